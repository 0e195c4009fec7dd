"""Importing an incident feed on the Data page: check it, read its report, then use it; the kept
versions and putting any of them back (analysts only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from georisk.app import access
from georisk.app.roles import refuse_viewer, session_access
from georisk.scenario.dataset import Dataset
from georisk.text import escape_markdown

if TYPE_CHECKING:  # the feeds are imported when the panel is drawn (an analyst's Data page)
    from georisk.feeds.core import Report
    from georisk.feeds.store import FolderStore

IMPORT = "import.checked"
EXAMPLE_MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "mappings"


FEED_KINDS = {
    "acled": "ACLED export",
    "gtd": "Global Terrorism Database",
    "ucdp": "UCDP GED",
    "csv": "Other CSV, with a mapping",
}


def import_panel(dataset: Dataset) -> None:
    """Check an incident feed, see its report, then (and only then) use it; any kept version can
    be put back in use."""
    from georisk import feeds
    from georisk.feeds.reading import FeedError
    from georisk.feeds.store import FolderStore, ImportRefused, StoreError, refusals

    role = session_access()
    if not role.analyst:
        st.info(
            f"{escape_markdown(role.reason)} Viewers see the data; analysts import feeds and restore "
            f"versions. {access.HOW_TO_ENABLE}",  # our own text, with its command as code
            icon=":material/lock:",
        )
        return
    store = FolderStore(dataset.data_dir)
    kind = st.radio(
        "Kind of feed", list(FEED_KINDS), horizontal=True, key="import.kind", format_func=FEED_KINDS.get
    )
    upload = st.file_uploader("Feed file", type=["csv", "txt", "xlsx", "parquet"], key="import.file")
    mapping_text = None
    if kind == "csv":
        examples = sorted(p.name for p in EXAMPLE_MAPPINGS.glob("*.toml"))
        mapping_upload = st.file_uploader("Mapping file (TOML)", type=["toml"], key="import.mapping")
        example = st.selectbox("…or an example mapping", examples, index=None, key="import.example")
        if mapping_upload is not None:
            mapping_text = mapping_upload.getvalue().decode("utf-8", errors="replace")
        elif example:
            mapping_text = (EXAMPLE_MAPPINGS / example).read_text(encoding="utf-8")
    if upload is not None and st.button("Check the feed", key="import.check", icon=":material/fact_check:"):
        try:
            model_context = feeds.context_for(dataset.data_dir)
            incidents, report = feeds.run(kind, upload.getvalue(), upload.name, model_context, mapping_text)
            st.session_state[IMPORT] = (incidents, report)
        except FeedError as err:
            st.session_state[IMPORT] = None
            st.error(f"{escape_markdown(upload.name)} cannot be imported: {escape_markdown(err)}")
    checked = st.session_state.get(IMPORT)
    if checked:
        incidents, report = checked
        import_report(report, feeds.safe_rows(report.issues_frame()), "checked")
        reasons = refusals(report)
        force = False
        if reasons:
            st.error(
                "This import would replace the incidents in use with an incomplete set: "
                + escape_markdown("; ".join(reasons))
                + ". Check the listed rows (a date or number format the importer does not know?).",
                icon=":material/block:",
            )
            force = st.checkbox("Use it anyway: I have read the report", key="import.force")
        st.warning(
            f"Using this feed replaces the incidents every page shows ({len(incidents):,} rows) for "
            "everyone using this instance. The current ones are kept as a version and can be put back."
        )
        use = st.button(
            "Use this feed",
            key="import.use",
            type="primary",
            icon=":material/check:",
            disabled=bool(reasons) and not force,
        )
        if use and not refuse_viewer():
            try:
                store.commit(incidents, report, force=force)
            except ImportRefused as refused:
                st.error(escape_markdown(str(refused)))
            except StoreError as err:  # busy, or a write failed: nothing changed
                st.error(escape_markdown(str(err)))
            else:
                st.session_state[IMPORT] = None
                st.rerun()
    versions_panel(store)


def versions_panel(store: FolderStore) -> None:
    """The kept versions of the imports: their reports, and putting any back in use."""
    from georisk.feeds.store import StoreError

    versions = store.versions()
    st.subheader("Kept versions", anchor=False)
    if not versions:
        st.caption("No import yet: the curated incidents.csv is in use.")
        return
    table = pd.DataFrame(
        {
            "in use": ["yes" if v.in_use else "" for v in versions],
            "version": [v.id for v in versions],
            "imported": [v.created for v in versions],
            "feed": [FEED_KINDS.get(v.kind, v.kind) for v in versions],
            "file": [v.file for v in versions],
            "rows": [v.summary for v in versions],
        }
    )
    st.dataframe(table, hide_index=True)
    labels = {v.id: f"{v.id} · {v.file}" + (" (in use)" if v.in_use else "") for v in versions}
    chosen = st.selectbox("Version", list(labels), format_func=labels.__getitem__, key="import.version")
    columns = st.columns(2)
    in_use = next((v for v in versions if v.in_use), None)
    restore = columns[0].button(
        "Put this version in use",
        key="import.restore",
        disabled=in_use is not None and in_use.id == chosen,
        icon=":material/restore:",
    )
    curated = columns[1].button(
        "Go back to the curated incidents.csv", key="import.curated", disabled=in_use is None
    )
    for wanted, change in ((restore, lambda: store.restore(chosen)), (curated, store.use_curated)):
        if wanted and not refuse_viewer():
            try:
                change()
            except (StoreError, KeyError) as err:  # busy, gone, or a write failed: nothing changed
                st.error(escape_markdown(str(err)))
            else:
                st.rerun()
    with st.expander("The report of this version"):
        report, rows = store.report(chosen)
        import_report(report, rows, "version")


def import_report(report: Report, rows: pd.DataFrame, key: str) -> None:
    """An import's report: its counts, how its rows were placed and named, every listed row."""
    from georisk.feeds.store import rows_csv

    st.markdown(
        f"**{escape_markdown(report.file)}** ({escape_markdown(report.kind)}, read as "
        f"{escape_markdown(report.encoding)}): `{report.summary()}`"
    )
    st.markdown("\n".join(f"- {escape_markdown(line)}" for line in report.lines()))
    if report.unknown_actors:
        st.markdown(
            "The most frequent group names the alias table does not know (imported as `unknown`; teach them "
            "in `actor_aliases.csv`):"
        )
        st.dataframe(
            pd.DataFrame(list(report.unknown_actors.items()), columns=["name", "rows"]), hide_index=True
        )
    for field_name, values in report.other_values.items():
        st.markdown(f"Words for {escape_markdown(field_name)} that were not recognised:")
        st.dataframe(pd.DataFrame(list(values.items()), columns=["word", "rows"]), hide_index=True)
    if not rows.empty:
        st.markdown("Rows not imported as they came, each with its row in the file, its feed id and reason:")
        st.dataframe(rows, hide_index=True)
        st.download_button(
            "Download the listed rows (CSV)",
            rows_csv(rows),
            "import_rows.csv",
            "text/csv",
            key=f"import.rows.{key}",
            icon=":material/download:",
        )
