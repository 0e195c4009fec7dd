"""The sidebar: the shared filters (seeded from the view, written back by their callbacks), the
share-this-view control and the data's status."""

from __future__ import annotations

import sys

import streamlit as st

from georisk.analysis.freshness import Stamp
from georisk.app.roles import session_access
from georisk.app.url import MODEL, NOTICES, PAGE_PARAMS, VIEW, guarded, share_link, update_view
from georisk.model import settings
from georisk.outputs import export
from georisk.scenario.dataset import Dataset
from georisk.text import escape_markdown
from georisk.view import PRESETS, Choices, Filters, View, clamp_filters, preset_period

# Widget keys of the sidebar filters, by Filters attribute.
WIDGETS = {
    "sectors": "filter.sector",
    "regions": "filter.region",
    "actors": "filter.actor",
    "categories": "filter.category",
    "attributions": "filter.attribution",
    "outcomes": "filter.outcome",
    "start": "filter.from",
    "end": "filter.to",
    "asof": "filter.asof",
}


def _set_widgets(filters: Filters) -> None:
    """Give every filter widget its value from the view. Done on every run: after a page switch
    Streamlit does not keep the widgets' values, so the view (kept up to date by the widgets'
    callbacks) is the one copy that survives."""
    for attribute, key in WIDGETS.items():
        value = getattr(filters, attribute)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value


@guarded
def _on_widget(attribute: str) -> None:
    value = st.session_state[WIDGETS[attribute]]
    update_view(**{attribute: tuple(value) if isinstance(value, list) else value})


@guarded
def _on_preset(preset: str, choices: Choices) -> None:
    current = st.session_state[VIEW]
    start, end = preset_period(preset, current.asof, choices)
    update_view(start=start, end=end)


@guarded
def _on_reset(choices: Choices) -> None:
    st.session_state[VIEW] = choices.defaults()
    st.session_state[MODEL] = settings.DEFAULTS
    st.session_state[PAGE_PARAMS] = {}
    st.session_state[NOTICES] = []


def filter_widgets(choices: Choices) -> Filters:
    """The filter widgets, seeded from the view in the session; returns the filters in force."""
    current = clamp_filters(st.session_state[VIEW], choices)
    st.session_state[VIEW] = current
    _set_widgets(current)

    def callback(attribute: str) -> dict[str, object]:
        return {"key": WIDGETS[attribute], "on_change": _on_widget, "args": (attribute,)}

    with st.sidebar:
        st.header("Filters")
        st.multiselect("Sector", choices.sectors, placeholder="All sectors", **callback("sectors"))
        st.multiselect("Region", choices.regions, placeholder="All regions", **callback("regions"))
        st.multiselect("Actor family", choices.actors, placeholder="All actor families", **callback("actors"))
        st.multiselect(
            "Event category", choices.categories, placeholder="All categories", **callback("categories")
        )
        st.multiselect(
            "Attribution",
            choices.attributions,
            placeholder="Any attribution",
            help="Incidents only: claimed by the group, attributed to it by officials or reporting, only "
            "suspected, or no perpetrator named.",
            **callback("attributions"),
        )
        st.multiselect(
            "Outcome",
            choices.outcomes,
            placeholder="Successful and failed attacks",
            help="Incidents only: whether the attack succeeded (feeds that record it, such as the GTD).",
            **callback("outcomes"),
        )
        st.date_input(
            "As of",
            min_value=choices.first_date,
            max_value=choices.last_date,
            format="YYYY-MM-DD",
            help="The date at which risk is assessed: nothing after it is shown.",
            **callback("asof"),
        )
        st.date_input(
            "From",
            min_value=choices.first_date,
            max_value=current.asof,
            format="YYYY-MM-DD",
            **callback("start"),
        )
        st.date_input(
            "To", min_value=current.start, max_value=current.asof, format="YYYY-MM-DD", **callback("end")
        )
        presets = st.columns(len(PRESETS))
        for column, (preset, label) in zip(presets, PRESETS.items(), strict=True):
            column.button(
                label,
                help=f"Period: {preset}, ending at the as-of date",
                key=f"filter.preset.{preset}",
                on_click=_on_preset,
                args=(preset, choices),
                width="stretch",
            )
        st.button(
            "Reset filters",
            key="filter.reset",
            on_click=_on_reset,
            args=(choices,),
            icon=":material/restart_alt:",
        )
    return current


def share_control(view: View) -> None:
    """A 'share this view' control with the full link, ready to copy."""
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("Anyone who opens this link sees this page with the same filters.")
        st.code(share_link(view.filters, view.choices), language=None, wrap_lines=True)


def data_status(dataset: Dataset) -> None:
    """Say when the data folder is missing, a file could not be used or rows were rejected."""
    if not dataset.data_dir.is_dir():
        # The server's own paths are for those who run it, not for everyone with the link.
        if session_access().analyst:
            st.error(
                f"The data folder {escape_markdown(dataset.data_dir)} does not exist. Set GEORISK_DATA or "
                "pass `-- --data DIR` after `streamlit run dashboard.py`."
            )
        else:
            st.error("The data folder of this instance does not exist; the server's log names it.")
            print(f"georisk: the data folder {dataset.data_dir} does not exist", file=sys.stderr)
        return
    errors = dataset.errors
    for problem in errors:
        if problem.row is None:
            st.error(
                f"{escape_markdown(problem.file)} could not be loaded: {escape_markdown(problem.reason)}",
                icon="🚫",
            )
    rejected = len({(p.file, p.row) for p in errors if p.row is not None})
    unusable = len({p.file for p in errors if p.row is None})
    with st.sidebar:
        if errors:
            parts = [f"{rejected} row(s) were rejected and left out"] if rejected else []
            parts += [f"{unusable} file(s) could not be used"] if unusable else []
            st.warning(f"{'; '.join(parts)}. The Data page lists each problem.", icon="⚠️")
        else:
            st.caption(f"Data: {escape_markdown(dataset.data_dir.name)}/ loaded with no problems.")
        if dataset.store_problem:
            # Its reason may name the server's store; that is for those who run it.
            reason = (
                escape_markdown(dataset.store_problem)
                if session_access().analyst
                else ("the server's log says why")
            )
            st.warning(
                f"The store of imported and refreshed incidents cannot be read, so the curated "
                f"incidents are shown: {reason}",
                icon=":material/database:",
            )
        freshness_stamps(export.stamps(dataset))


def freshness_stamps(stamps: list[Stamp]) -> None:
    """Each source's stamp. A stale one is a warning that says "stale" beside its icon, so that
    it reads the same without colour; a failed last refresh is named with its reason."""
    for stamp in stamps:
        if stamp.stale or stamp.failure:
            icon = ":material/schedule:" if stamp.stale else ":material/sync_problem:"
            st.warning(escape_markdown(stamp.line()), icon=icon)
        else:
            st.caption(f":material/update: {escape_markdown(stamp.line())}")
