"""The sections of the Data page: which scenario this is, its files, the incidents in use and
those whose coordinates disagree with their feed, the validation list, how to bring your own
scenario or feed, and refreshing the feeds from their services (the import panel and the runs
are georisk.app.imports)."""

from __future__ import annotations

import os
import time

import pandas as pd
import streamlit as st

from georisk.analysis import freshness
from georisk.app import imports, refresh_job, roles
from georisk.feeds.refresh import RefreshConfig, read_config
from georisk.outputs import export
from georisk.scenario.dataset import FEED_NAMES, Dataset
from georisk.text import escape_markdown

# Where each service's credentials are looked for, in order (their values are never shown).
CREDENTIALS = {
    "acled": (("ACLED_EMAIL", "ACLED_PASSWORD"), "acled"),
    "ucdp": (("UCDP_TOKEN",), "ucdp"),
}


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
            f"(version {escape_markdown(source.version or 'unknown')}). Each run that made it, with "
            "its report, is under Runs.",
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
        "- `python -m georisk imports list|show|restore|curated [VERSION] --data DATA_DIR`\n"
        "- `python -m georisk refresh --data DATA_DIR` (what Refresh now does; schedule it with cron "
        "or a systemd timer), `python -m georisk status --data DATA_DIR` (freshness as JSON)"
    )


def sources_freshness(dataset: Dataset) -> None:
    """Each source's stamp, with the limit past which it is called stale."""
    stamps = export.stamps(dataset)
    for stamp in stamps:
        icon = (
            ":material/schedule:"
            if stamp.stale
            else (":material/sync_problem:" if stamp.failure else ":material/update:")
        )
        st.markdown(f"{icon} {escape_markdown(stamp.line())}")
    if any(s.feed for s in stamps):
        hours = stamps[0].stale_after_hours
        st.caption(
            "A source is stale when its last good update is older than "
            + (f"{freshness.hours_words(hours)}." if hours else "its limit (unknown here).")
            + " A refresh that found nothing new counts as an update."
        )


def refresh_panel(dataset: Dataset) -> None:
    """What a refresh would pull, where its credentials come from, and "Refresh now" (analysts
    only: it changes the data everyone sees)."""
    show_config(read_config(dataset.data_dir))
    if not roles.analyst_here("Analysts refresh the feeds from their services here."):
        return
    credentials_sources()
    running = refresh_job.running(dataset.data_dir)
    if running is not None:  # started by another analyst, or before this page was left
        run_refresh(dataset, running)
    elif st.button("Refresh now", key="refresh.now", icon=":material/sync:"):
        if not roles.refuse_viewer():
            run_refresh(dataset)


def show_config(config: RefreshConfig) -> None:
    first, _ = config.window()
    lines = [
        "Feeds: " + ", ".join(FEED_NAMES.get(f, f) for f in config.feeds),
        f"Events from {first.isoformat()}" + ("" if config.start else " (the default: a year back)"),
        f"Stale after {freshness.hours_words(config.stale_after_hours)}",
    ]
    if "acled" in config.feeds:
        where = f"bounding box {config.acled_bbox}" if config.acled_bbox else config.acled_country
        lines.append(f"ACLED: {where or 'the scenario country'}")
    if "ucdp" in config.feeds:
        lines.append(
            "UCDP GED: "
            + (
                f"country {config.ucdp_country_id}"
                if config.ucdp_country_id is not None
                else "no country_id set"
            )
        )
    st.markdown(
        "The refresh configuration in use (`refresh.toml` in the data folder):\n"
        + "\n".join(f"- {escape_markdown(line)}" for line in lines)
    )
    for problem in config.problems:
        st.warning(escape_markdown(problem), icon=":material/warning:")


def credentials_sources() -> None:
    """Where each service's credentials come from, and whether they were found there; never
    their values."""
    lines = []
    for feed, (names, section) in CREDENTIALS.items():
        found_env = all(os.environ.get(n) for n in names)
        found_secrets = _secrets_have(section)
        where = (
            "found in the environment"
            if found_env
            else ("found in the secrets" if found_secrets else "not found")
        )
        lines.append(
            f"{FEED_NAMES[feed]}: the environment ({' and '.join(f'`{n}`' for n in names)}), else the "
            f"`[{section}]` section of `.streamlit/secrets.toml`: {where}."
        )
    # Markdown rather than a caption: code inside a caption's grey text is too faint to read (axe).
    st.markdown("  \n".join(lines))


def _secrets_have(section: str) -> bool:
    try:
        return section in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def run_refresh(dataset: Dataset, job: refresh_job.RefreshJob | None = None) -> None:
    """Start a refresh (or follow the one already running) and show each progress line as it
    comes, then one line per feed. The refresh runs in the server's own thread: leaving the page
    does not stop it. Another refresh running elsewhere on the store makes this one a no-op that
    says so."""
    job = job or refresh_job.start(dataset.data_dir, imports.actor())
    with st.status("Refreshing the feeds…", expanded=True) as status:
        shown = 0
        placeholder = st.empty()
        while not job.done:
            shown = _progress(job, shown)
            time.sleep(0.25)
            placeholder.caption(f"Running for {time.time() - job.started:.0f} s …")
        placeholder.empty()
        _progress(job, shown)
        if job.error:
            st.error(escape_markdown(job.error))
            status.update(label="The refresh could not start", state="error")
            return
        outcomes = job.outcomes or []
        for outcome in outcomes:
            icon = ":material/check:" if outcome.ok else ":material/error:"
            st.markdown(f"{icon} {escape_markdown(outcome.line())}")
            for line in outcome.lines:
                st.markdown(escape_markdown(line))
        if outcomes and all(o.skipped for o in outcomes):
            status.update(label="Skipped: another refresh is running", state="complete")
        elif all(o.ok for o in outcomes):
            status.update(label="Refresh finished", state="complete")
        else:
            status.update(label="Refresh finished; a feed failed and kept its incidents", state="error")
    st.caption("Every page shows the refreshed incidents from its next run.")


def _progress(job: refresh_job.RefreshJob, shown: int) -> int:
    """Show the job's progress lines from `shown` on; how many are shown now."""
    lines = list(job.lines)
    for line in lines[shown:]:
        st.markdown(escape_markdown(line))
    return len(lines)
