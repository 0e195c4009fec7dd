"""The sections of the Data page: which scenario this is, its files, the incidents in use and
those whose coordinates disagree with their feed, the validation list, and how to bring your
own scenario or feed (the import panel itself is georisk.app.imports)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from georisk.app import roles
from georisk.scenario.dataset import Dataset
from georisk.text import escape_markdown


def scenario_caption(dataset: Dataset) -> None:
    """Which scenario this is; its folder only for analysts (the server's paths are theirs)."""
    scenario_name = str(dataset.scenario.get("title") or dataset.data_dir.name)
    if roles.imports_allowed():
        st.caption(f"Scenario: {escape_markdown(scenario_name)} · folder {escape_markdown(dataset.data_dir)}")
    else:
        st.caption(f"Scenario: {escape_markdown(scenario_name)}")


def files_table(dataset: Dataset) -> None:
    """The catalogue: each file with its source, licence and rows."""
    st.dataframe(
        dataset.files_table(),
        hide_index=True,
        column_config={
            "description": st.column_config.TextColumn(width="large"),
            "source": st.column_config.TextColumn(width="large"),
        },
    )


def incidents_in_use(dataset: Dataset) -> None:
    """An imported feed in use, and the incidents whose coordinates disagree with their feed."""
    source = dataset.incident_source
    if not source.curated:
        st.info(
            f"Incidents in use: {escape_markdown(source.credit())} "
            f"(version {escape_markdown(source.version or 'unknown')}). Its report is under Import an "
            "incident feed → Kept versions.",
            icon=":material/upload_file:",
        )
    flagged = dataset.incidents[dataset.incidents["location_flag"].notna()]
    if len(flagged):
        st.subheader(f"Incidents whose coordinates disagree with their feed ({len(flagged):,})", anchor=False)
        st.caption("Kept at the feed's own province; no distance is measured from their coordinates.")
        st.dataframe(
            flagged[["incident_id", "source_row", "date", "province", "lat", "lon", "location_flag"]],
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )


def validation(problems: pd.DataFrame) -> None:
    """Every problem found in the files, or that there was none."""
    if problems.empty:
        st.success("Every row of every file passed validation.")
    else:
        st.write(
            f"{len(problems)} problem(s). Each rejected row was left out of every page; "
            "the row number is the spreadsheet row (the header is row 1) or the GeoJSON feature number."
        )
        st.dataframe(problems, hide_index=True)


def own_scenario() -> None:
    """How to point the app at another scenario folder."""
    st.markdown(
        "Every file's columns are described in `data/README.md`. Point the app at another folder with "
        "`GEORISK_DATA=/path/to/folder streamlit run dashboard.py`, and check it first with "
        "`python -m georisk validate /path/to/folder`."
    )


def feeds_explained() -> None:
    """Which feeds can be imported, how an import is checked, and the same from the command line."""
    st.markdown(
        "ACLED exports, Global Terrorism Database files (CSV, Excel or Parquet), UCDP GED files or any CSV "
        "with a mapping file. The feed is checked first and every row accounted for; nothing changes until "
        "you choose to use it, and an import that would keep no row, or reject too many, is refused unless "
        "you insist. The same from the command line:"
    )
    st.markdown(
        "- `python -m georisk import acled|gtd|ucdp|csv FILE [--mapping M] --out DATA_DIR "
        "[--check] [--force]`\n"
        "- `python -m georisk imports list|show|restore|curated [VERSION] --data DATA_DIR`"
    )
