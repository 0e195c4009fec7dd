"""The store on the Data page: importing an incident feed (check it, read its report, then use
it), the kept versions and putting any of them back (analysts only), and every run with its
report."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from georisk import text
from georisk.alerts.evaluate import evaluate_and_send
from georisk.app import roles
from georisk.scenario.dataset import FEED_NAMES, Dataset
from georisk.text import escape_markdown

if TYPE_CHECKING:  # the feeds and the store load when a panel is drawn
    from georisk.feeds.core import Report
    from georisk.store.database import Run, Store

IMPORT = "import.checked"
DONE = "import.done"  # what the last commit did, shown once after the page reloads with it
RUNS_SHOWN = 200
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
    from georisk.feeds.store import ImportRefused, StoreError, commit_import, refusals

    if not roles.analyst_here("Viewers see the data; analysts import feeds and restore versions."):
        return
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done), icon=":material/check:")
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
            f"Using this feed replaces the {escape_markdown(FEED_NAMES.get(report.kind, report.kind))} "
            f"incidents every page shows with these {len(incidents):,} rows, for everyone using this "
            "instance (the other feeds' incidents stay). The current ones are kept as a version and can "
            "be put back."
        )
        use = st.button(
            "Use this feed",
            key="import.use",
            type="primary",
            icon=":material/check:",
            disabled=bool(reasons) and not force,
        )
        if use and not roles.refuse_viewer():
            try:
                run = commit_import(dataset.data_dir, incidents, report, force=force, actor=actor())
            except ImportRefused as refused:
                st.error(escape_markdown(str(refused)))
            except StoreError as err:  # busy, or a write failed: nothing changed
                st.error(escape_markdown(str(err)))
            else:
                if run.outcome != "unchanged":
                    # In the background: a slow webhook must not hold up the page.
                    threading.Thread(target=evaluate_and_send, args=(dataset.data_dir,), daemon=True).start()
                st.session_state[IMPORT] = None
                st.session_state[DONE] = (
                    f"Nothing new: the store already holds these incidents (run {run.id})."
                    if run.outcome == "unchanged"
                    else f"Committed as version {run.id} ({run.summary}); it is in use."
                )
                st.rerun()
    versions_panel(dataset)


def actor() -> str:
    """Who a change is recorded as: the signed-in user, else the page it came from."""
    signed_in = st.user.get("is_logged_in", False)  # AppTest's stand-in user has no such key
    return str((st.user.get("email") if signed_in else None) or "Data page")


def open_store(dataset: Dataset) -> Store | None:
    """The data folder's store without making one (a viewer's visit must not create it); None
    when there is none yet. Says so, and gives None, when it cannot be opened."""
    from georisk.store import location
    from georisk.store.database import StoreError

    try:
        return location.open_store(dataset.data_dir)
    except StoreError as err:
        st.error(escape_markdown(str(err)), icon=":material/database:")
        return None


def versions_panel(dataset: Dataset) -> None:
    """The versions the store keeps loadable: their reports, and putting any back in use."""
    from georisk.feeds.store import StoreError

    st.subheader("Kept versions", anchor=False)
    store = open_store(dataset)
    versions = store.versions() if store is not None else []
    if not versions:
        st.caption("No import yet: the curated incidents.csv is in use.")
        return
    table = pd.DataFrame(
        {
            "in use": ["yes" if v.current else "" for v in versions],
            "version": [v.id for v in versions],
            "made": [when(v.finished) for v in versions],
            "kind": [v.kind for v in versions],
            "source": [source_of(v) for v in versions],
            "rows": [v.summary for v in versions],
            "incidents": [v.total for v in versions],
        }
    )
    st.dataframe(text.neutralise(table), hide_index=True)
    labels = {v.id: f"{v.id} · {v.label}" + (" (in use)" if v.current else "") for v in versions}
    chosen = st.selectbox("Version", list(labels), format_func=labels.__getitem__, key="import.version")
    columns = st.columns(2)
    in_use = next((v for v in versions if v.current), None)
    restore = columns[0].button(
        "Put this version in use",
        key="import.restore",
        disabled=in_use is not None and in_use.id == chosen,
        icon=":material/restore:",
    )
    curated = columns[1].button(
        "Go back to the curated incidents.csv", key="import.curated", disabled=in_use is None
    )
    who = actor()
    for wanted, change in (
        (restore, lambda: store.restore(chosen, actor=who)),
        (curated, lambda: store.use_curated(actor=who)),
    ):
        if wanted and not roles.refuse_viewer():
            try:
                change()
            except (StoreError, KeyError) as err:  # busy, gone, or a write failed: nothing changed
                st.error(escape_markdown(str(err)))
            else:
                st.rerun()
    with st.expander("The report of this version"):
        run_report(store, next(v for v in versions if v.id == chosen), "version")


def when(iso: str) -> str:
    """A run's time as a reader scans a column of them: "2026-12-01 18:54 UTC"."""
    try:
        moment = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    except (TypeError, ValueError):  # a time the store did not write: shown as it is
        return str(iso)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def source_of(run: Run) -> str:
    """A run's source in words: its feed and label (a restore names the version it put back)."""
    feed = FEED_NAMES.get(run.feed, run.feed) if run.feed else ""
    return " · ".join(part for part in (feed, run.label) if part)


def runs_table(dataset: Dataset) -> None:
    """Every run of the store, newest first (imports, refreshes, restores, and those that failed
    or were refused, with their reason); picking one shows its report."""
    store = open_store(dataset)
    runs = store.runs(limit=RUNS_SHOWN) if store is not None else []
    if not runs:
        st.caption("No run yet: nothing has been imported or refreshed into this data folder's store.")
        return
    table = pd.DataFrame(
        {
            "when": [when(r.finished) for r in runs],
            "source": [source_of(r) for r in runs],
            "kind": [r.kind for r in runs],
            "outcome": [r.outcome + (" (in use)" if r.current else "") for r in runs],
            "fetched": [r.fetched for r in runs],
            "new": [r.added for r in runs],
            "revised": [r.revised for r in runs],
            "withdrawn": [r.withdrawn for r in runs],
            "rejected": [r.rejected for r in runs],
            "seconds": [r.seconds for r in runs],
            "reason": [r.reason or "" for r in runs],
            "run": [r.id for r in runs],
        }
    )
    if roles.imports_allowed():  # who ran what is for the analysts, not for everyone with a link
        table.insert(len(table.columns) - 1, "by", [r.actor or "" for r in runs])
    st.dataframe(
        text.neutralise(table),
        hide_index=True,
        column_config={
            "seconds": st.column_config.NumberColumn("duration (s)", format="%.1f"),
            "reason": st.column_config.TextColumn(width="large"),
        },
    )
    if len(runs) == RUNS_SHOWN:
        st.caption(f"The latest {RUNS_SHOWN} runs; `python -m georisk store runs` lists them all.")
    labels = {r.id: f"{when(r.finished)} · {r.kind} · {source_of(r)} · {r.outcome}" for r in runs}
    chosen = st.selectbox(
        "Run",
        list(labels),
        format_func=labels.__getitem__,
        key="runs.pick",
        index=None,
        placeholder="Pick a run to read its report",
    )
    if chosen is not None:
        run_report(store, next(r for r in runs if r.id == chosen), "run")


def run_report(store: Store, run: Run, key: str) -> None:
    """A run's outcome with its reason, and its import report when it has one (a restore has
    none, nor has a refresh that failed before its rows were read)."""
    from georisk.feeds.store import report_of

    report, rows = report_of(store, run.id)
    if run.reason:
        st.markdown(f"**{escape_markdown(run.outcome.capitalize())}**: {escape_markdown(run.reason)}")
    if run.kind == "restore":
        st.caption(f"A restore of version {escape_markdown(run.restores or '')}: it has no import report.")
    elif not report.kind or report.kind == "restore":  # report_of's stand-in for no report
        st.caption("This run recorded no import report: it stopped before any row was read.")
    else:
        import_report(report, rows, key)


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
