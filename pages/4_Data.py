"""The data behind the dashboard: where each file comes from, and what was wrong with it."""

import streamlit as st

from georisk import ui
from georisk.text import escape_markdown

frame = ui.page_frame("Data")
dataset = frame.dataset
st.title("Data")
# Viewers see which scenario this is; the server's folder is for the analysts who manage it.
scenario_name = str(dataset.scenario.get("title") or dataset.data_dir.name)
if ui.imports_allowed():
    st.caption(f"Scenario: {escape_markdown(scenario_name)} · folder {escape_markdown(dataset.data_dir)}")
else:
    st.caption(f"Scenario: {escape_markdown(scenario_name)}")

st.header("Files")
st.dataframe(
    dataset.catalogue(),
    hide_index=True,
    column_config={
        "description": st.column_config.TextColumn(width="large"),
        "source": st.column_config.TextColumn(width="large"),
    },
)

source = dataset.incident_source
if not source.curated:
    st.info(
        f"Incidents in use: {escape_markdown(source.credit())} "
        f"(version {escape_markdown(source.version or 'unknown')}). Its report is under Import an incident "
        "feed → Kept versions.",
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

st.header("Validation")
problems = dataset.problems_frame()
if problems.empty:
    st.success("Every row of every file passed validation.")
else:
    st.write(
        f"{len(problems)} problem(s). Each rejected row was left out of every page; "
        "the row number is the spreadsheet row (the header is row 1) or the GeoJSON feature number."
    )
    st.dataframe(problems, hide_index=True)

st.header("Bring your own scenario")
st.markdown(
    "Every file's columns are described in `data/README.md`. Point the app at another folder with "
    "`GEORISK_DATA=/path/to/folder streamlit run dashboard.py`, and check it first with "
    "`python -m georisk validate /path/to/folder`."
)

st.header("Import an incident feed", anchor=False)
st.markdown(
    "ACLED exports, Global Terrorism Database files (CSV, Excel or Parquet), UCDP GED files or any CSV with "
    "a mapping file. The feed is checked first and every row accounted for; nothing changes until you choose "
    "to use it, and an import that would keep no row, or reject too many, is refused unless you insist. The "
    "same from the command line:"
)
st.markdown(
    "- `python -m georisk import acled|gtd|ucdp|csv FILE [--mapping M] --out DATA_DIR [--check] [--force]`\n"
    "- `python -m georisk imports list|show|restore|curated [VERSION] --data DATA_DIR`"
)
ui.import_panel(dataset)
