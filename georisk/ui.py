"""The Streamlit glue: the cached loader and the frame every page calls first.

This is the only module of the package that imports streamlit; what it shows comes from plain
functions elsewhere in the package.

How the view survives page switches and travels in links (Streamlit 1.67, classic `pages/`
mode, see DESIGN.md §5): the canonical view lives in `st.session_state[VIEW]`. On a session's
first run it is read from the URL; on later runs from session state. The sidebar widgets are
seeded from it, and after they are drawn the view is written back to the URL on every run.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from georisk import breakdown, briefing, cooperation, export, figures, limits, links, overview, ratings, risk
from georisk import filters as flt
from georisk.dataset import Dataset, data_dir_from, load_dataset
from georisk.schema import split_list
from georisk.text import escape_markdown
from georisk.view import View

VIEW = "view.filters"
PAGE_PARAMS = "view.page_params"
NOTICES = "view.notices"
MODEL = "view.model"
MODEL_ERROR = "view.model_error"
# Widget keys of the "adjust the model" panel, by ModelParams attribute (cut-offs: one per band).
MODEL_WIDGETS = {
    "radius_km": "model.radius",
    "half_life_days": "model.halflife",
    "w_threat": "model.w_threat",
    "w_exposure": "model.w_exposure",
}
CUT_WIDGETS = ("model.cut.low", "model.cut.medium", "model.cut.high", "model.cut.very_high")
RATINGS_WIDGET = "model.ratings"
MODEL_LABELS = {
    "radius_km": "Radius (km)",
    "half_life_days": "Half-life (days)",
    "w_threat": "Weight of threat",
    "w_exposure": "Weight of exposure",
}
MODEL_HELP = {
    "radius_km": "Incidents within this distance of a site count toward its exposure.",
    "half_life_days": "An incident this old counts half as much as one on the as-of date.",
}
SITE_CHOICE = "site.choice"
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


def _stamp(data_dir: Path) -> tuple:
    """What changes when a file in the folder changes, so an edited file is read again."""
    if not data_dir.is_dir():
        return ()
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(data_dir.iterdir()) if p.is_file()
    )


class _Base:
    """The scenario loaded once per process and shared by every session (read-only): the
    dataset, its filter choices, and (made on first use) the risk model's context.

    It is kept here rather than in st.cache_resource on purpose: any viewer can send the message
    that clears Streamlit's caches, and with a million incidents reloading costs seconds."""

    _lock = threading.Lock()
    _current: tuple[tuple, _Base] | None = None

    # Summaries shared by all sessions; each session may hold at most SUMMARIES_PER_SESSION of
    # its own (limits.QuotaCache), so a viewer cycling through new settings cannot push out
    # the views other people look at.
    SUMMARIES_KEPT = 64
    SUMMARIES_PER_SESSION = 8
    # Summaries one session may compute (cache misses) per minute, after a first burst: enough
    # for a person trying settings (a slider move is one); a loop beyond it waits in its own
    # session, so that it takes no more than its share of the process's one busy core
    # (benchmarks/load.py --hostile: at 30 a minute a settings loop still slowed others 2x).
    NEW_SUMMARIES_PER_MINUTE = 12
    NEW_SUMMARIES_BURST = 10

    def __init__(self, data_dir: Path):
        self.dataset = load_dataset(data_dir)
        self.choices = flt.choices_for(self.dataset)
        self._context: risk.Context | None = None
        self._summaries = limits.QuotaCache(self.SUMMARIES_KEPT, self.SUMMARIES_PER_SESSION)
        self._new_summaries = limits.RateLimit(self.NEW_SUMMARIES_PER_MINUTE, self.NEW_SUMMARIES_BURST)

    def summary(
        self,
        view: View,
        model: risk.ModelParams,
        since: dt.date,
        session: str = "",
        on_wait: Callable[[float], None] = lambda seconds: None,
    ) -> overview.Summary:
        """The overview of a view, made once and shared by every session that shows the same
        view (a shared link is opened by many people). A session over its rate of new summaries
        first waits (`on_wait` is told how long); only that session's run is slowed."""
        key = (view.filters, model, since)
        made = self._summaries.get(key, session)
        if made is not None:
            return made
        while (wait := self._new_summaries.take(session)) > 0:
            on_wait(wait)
            time.sleep(wait)  # releases the GIL: the other sessions' runs go on meanwhile
        made = overview.summarise(view, model, self.context(), since)
        self._summaries.put(key, made, session)
        return made

    def context(self) -> risk.Context:
        with self._lock:
            if self._context is None:
                self._context = risk.context_of(self.dataset)
            return self._context

    @classmethod
    def of(cls, data_dir: Path) -> _Base:
        key = (str(data_dir), _stamp(data_dir))
        with cls._lock:
            if cls._current is None or cls._current[0] != key:
                # Only the latest version of the data is kept: an edited file frees the old one.
                cls._current = None
                cls._current = (key, cls(data_dir))
            return cls._current[1]

    @classmethod
    def forget(cls) -> None:
        with cls._lock:
            cls._current = None


def load() -> Dataset:
    return _Base.of(data_dir_from(sys.argv)).dataset


def context(dataset: Dataset) -> risk.Context:
    """The risk model's context for the loaded dataset: its incidents projected and indexed."""
    return _Base.of(dataset.data_dir).context()


def summary(view: View, model: risk.ModelParams, since: dt.date) -> overview.Summary:
    """The overview's summary of the view (shared between sessions; read it, never change it)."""

    def waiting(seconds: float) -> None:
        st.toast(
            f"Many new views in a short time: this one waits {seconds:.0f} s so that other viewers "
            "are not slowed down.",
            icon=":material/hourglass_top:",
        )

    return _Base.of(view.dataset.data_dir).summary(view, model, since, _session_id(), waiting)


def _session_id() -> str:
    """Streamlit's id of this session: it stays the same when a viewer clears the caches (which
    also clears st.session_state, so an id kept there would give a fresh allowance)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


def forget_loaded_data() -> None:
    """Drop the loaded scenario (tests start each case from the files)."""
    _Base.forget()


# What a page works with (see georisk.view).
Frame = View


# The pages, in sidebar order: file (relative to dashboard.py), label, icon. Streamlit's own
# page list is hidden (.streamlit/config.toml) because it can only name the home page after
# its file, "dashboard"; these links also carry the current view in their URL.
PAGES = (
    ("dashboard.py", "Overview", ":material/dashboard:"),
    ("pages/1_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/2_Map.py", "Map", ":material/map:"),
    ("pages/3_Cooperation.py", "Cooperation", ":material/handshake:"),
    ("pages/4_Data.py", "Data", ":material/database:"),
)


# Page runs one session may make per minute after a first burst. A person clicking through
# filters, or the Map's "Play" (one run every 2 s), stays inside it; a loop of reruns beyond
# it waits in its own session's thread, so that it takes no more than its share of the process's
# one busy core (benchmarks/load.py --hostile).
RUNS_PER_MINUTE = 30
RUNS_BURST = 20
_RUNS = limits.RateLimit(RUNS_PER_MINUTE, RUNS_BURST)


def _pace_runs() -> None:
    session = _session_id()
    if not session:  # no runtime (a bare script run): nobody else to protect
        return
    while (wait := _RUNS.take(session)) > 0:
        time.sleep(wait)  # releases the GIL: the other sessions' runs go on meanwhile


def page_frame(title: str) -> Frame:
    """Set up the page, load the data, draw the shared filters; return the filtered view."""
    st.set_page_config(page_title=f"{title} · Geopolitical risk", page_icon="🛰️", layout="wide")
    _pace_runs()
    _require_sign_in()
    navigation = st.sidebar.container()
    base = _Base.of(data_dir_from(sys.argv))
    dataset, choices = base.dataset, base.choices
    if VIEW not in st.session_state:
        _read_url(dataset, choices)
    filters = _sidebar(choices)
    st.session_state[VIEW] = filters
    _write_url(filters, choices)
    _show_notices()
    _data_status(dataset)
    frame = View.of(dataset, filters, choices)
    with st.sidebar:
        st.caption(
            f"In view: {len(frame.events)} events · {frame.incident_count:,} incidents · "
            f"{len(frame.sites)} sites"
        )
    _share_control(frame)
    with navigation:
        params = current_params(filters, choices)
        for page, label, icon in PAGES:
            st.page_link(page, label=label, icon=icon, query_params=params)
    return frame


# ---------------------------------------------------------------------------------------------
# Optional sign-in (OpenID Connect through st.login; docs/deploy.md)


def sign_in_configured() -> bool:
    """Sign-in is on when the operator has put an [auth] section in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def _require_sign_in() -> None:
    """With sign-in on, a viewer who has not signed in sees only the sign-in button: no data is
    loaded for them."""
    # Every run of every page records this session's role, so that the upload gate
    # (georisk.access.UploadGate) knows it before any uploader is drawn, and forgets a role
    # that has just been lost.
    session_access()
    if not sign_in_configured():
        return
    if st.user.get("is_logged_in", False):  # AppTest's stand-in user has no such key
        with st.sidebar:
            st.caption(f"Signed in as {escape_markdown(st.user.get('email') or st.user.get('name') or '')}")
            st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        return
    st.title("Geopolitical risk dashboard")
    st.info("This dashboard is private: sign in to see it.", icon=":material/lock:")
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
    st.stop()


# ---------------------------------------------------------------------------------------------
# URL <-> session


def _query_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params.keys()}


def _read_url(dataset: Dataset, choices: flt.Choices) -> None:
    link = links.parse(
        _query_params(), choices, set(dataset.sites["site_id"]), set(dataset.indicators["indicator"])
    )
    st.session_state[VIEW] = link.filters
    st.session_state[MODEL] = link.model
    st.session_state[PAGE_PARAMS] = link.page_params
    st.session_state[NOTICES] = link.notices


def current_params(filters: flt.Filters, choices: flt.Choices) -> dict[str, list[str]]:
    """The URL parameters of the whole view: filters, model settings, the pages' own."""
    link = links.Link(
        filters, st.session_state.get(MODEL, risk.DEFAULTS), st.session_state.get(PAGE_PARAMS, {})
    )
    return links.to_params(link, choices)


def _write_url(filters: flt.Filters, choices: flt.Choices) -> None:
    wanted = current_params(filters, choices)
    if wanted != _query_params():
        st.query_params.from_dict(wanted)


def page_param(name: str) -> list[str]:
    """The values of a page's own URL parameter (e.g. `site`), as the link or the page set them."""
    return list(st.session_state.get(PAGE_PARAMS, {}).get(name, []))


def set_page_param(name: str, values: list[str]) -> None:
    """Record a page's own parameter so that it travels in the URL; empty removes it."""
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))
    if values:
        page_params[name] = list(values)
    else:
        page_params.pop(name, None)
    st.session_state[PAGE_PARAMS] = page_params
    if values:
        st.query_params[name] = list(values)
    elif name in st.query_params:
        del st.query_params[name]


def _show_notices() -> None:
    notices = st.session_state.get(NOTICES) or []
    if notices:
        st.warning(
            "Some parts of the link could not be used and were ignored:\n\n"
            + "\n".join(f"- {escape_markdown(n)}" for n in notices),
            icon="⚠️",
        )
        if st.button("Dismiss", key="view.dismiss"):
            st.session_state[NOTICES] = []
            st.rerun()


def share_link(filters: flt.Filters, choices: flt.Choices) -> str:
    """The full link of the current view, for anyone who opens it."""
    query = urllib.parse.urlencode(current_params(filters, choices), doseq=True)
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?{query}" if query else base


# ---------------------------------------------------------------------------------------------
# Sidebar


def _set_widgets(filters: flt.Filters) -> None:
    """Give every filter widget its value from the view. Done on every run: after a page switch
    Streamlit does not keep the widgets' values, so the view (kept up to date by the widgets'
    callbacks) is the one copy that survives."""
    for attribute, key in WIDGETS.items():
        value = getattr(filters, attribute)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value


def guarded(function):
    """Mark a widget callback that needs the session's state. Callbacks run before the page, and
    the state may be gone by then: Streamlit's clear-cache message, which any viewer can send,
    clears it. The callback is then skipped, and the page rebuilds the view from its URL."""

    @functools.wraps(function)
    def run_if_state(*args, **kwargs):
        if VIEW in st.session_state:
            return function(*args, **kwargs)
        return None

    return run_if_state


def _update_view(**changes) -> None:
    st.session_state[VIEW] = replace(st.session_state[VIEW], **changes)


@guarded
def _on_widget(attribute: str) -> None:
    value = st.session_state[WIDGETS[attribute]]
    _update_view(**{attribute: tuple(value) if isinstance(value, list) else value})


@guarded
def _on_preset(preset: str, choices: flt.Choices) -> None:
    view = st.session_state[VIEW]
    start, end = flt.preset_period(preset, view.asof, choices)
    _update_view(start=start, end=end)


@guarded
def _on_reset(choices: flt.Choices) -> None:
    st.session_state[VIEW] = choices.defaults()
    st.session_state[MODEL] = risk.DEFAULTS
    st.session_state[PAGE_PARAMS] = {}
    st.session_state[NOTICES] = []


def _sidebar(choices: flt.Choices) -> flt.Filters:
    view = flt.clamp(st.session_state[VIEW], choices)
    st.session_state[VIEW] = view
    _set_widgets(view)

    def callback(attribute: str) -> dict:
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
            max_value=view.asof,
            format="YYYY-MM-DD",
            **callback("start"),
        )
        st.date_input("To", min_value=view.start, max_value=view.asof, format="YYYY-MM-DD", **callback("end"))
        presets = st.columns(len(flt.PRESETS))
        for column, (preset, label) in zip(presets, flt.PRESETS.items(), strict=True):
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
    return view


def _share_control(frame: Frame) -> None:
    """A 'share this view' control with the full link, ready to copy."""
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("Anyone who opens this link sees this page with the same filters.")
        st.code(share_link(frame.filters, frame.choices), language=None, wrap_lines=True)


# ---------------------------------------------------------------------------------------------
# Data status


def _data_status(dataset: Dataset) -> None:
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


# ---------------------------------------------------------------------------------------------
# The risk model's settings


def _set_model(params: risk.ModelParams) -> None:
    # The frame writes the settings to the URL on the rerun this callback precedes.
    st.session_state[MODEL] = params


@guarded
def _on_model_widget() -> None:
    state = st.session_state
    candidate = replace(
        state[MODEL],
        **{attribute: float(state[key]) for attribute, key in MODEL_WIDGETS.items()},
        cuts=tuple(int(state[key]) for key in CUT_WIDGETS),
        ratings=state[RATINGS_WIDGET],
    )
    problems = candidate.validate()
    if problems:
        state[MODEL_ERROR] = f"Not applied: {problems[0]}."
        return
    state[MODEL_ERROR] = None
    _set_model(candidate)


@guarded
def _on_model_reset() -> None:
    st.session_state[MODEL_ERROR] = None
    _set_model(risk.DEFAULTS)


def model_in_force() -> risk.ModelParams:
    """The model's settings without drawing the panel (for pages that do not score)."""
    return st.session_state.get(MODEL, risk.DEFAULTS)


def model_settings() -> risk.ModelParams:
    """The "adjust the model" panel in the sidebar; returns the settings in force."""
    params = model_in_force()
    for attribute, key in MODEL_WIDGETS.items():
        st.session_state[key] = float(getattr(params, attribute))
    for key, cut in zip(CUT_WIDGETS, params.cuts, strict=True):
        st.session_state[key] = int(cut)
    st.session_state[RATINGS_WIDGET] = params.ratings
    changed = params != risk.DEFAULTS
    with st.sidebar.expander("Adjust the risk model" + (" (changed)" if changed else ""), expanded=changed):
        for attribute, key in MODEL_WIDGETS.items():
            # The ranges are the model's own (risk.SETTINGS), so any setting a link may carry fits.
            setting = risk.SETTINGS[attribute]
            st.slider(
                MODEL_LABELS[attribute],
                setting.low,
                setting.high,
                step=setting.step,
                key=key,
                on_change=_on_model_widget,
                help=MODEL_HELP.get(attribute),
            )
        st.radio(
            "Threat ratings",
            list(ratings.SOURCES),
            format_func=lambda source: ratings.SOURCE_LABELS[source].capitalize(),
            key=RATINGS_WIDGET,
            help="Derived ratings come from the incidents in use by a stated rule (see the methodology) and "
            "are labelled as derived wherever they are used.",
            on_change=_on_model_widget,
        )
        st.caption("Bands start at these likelihood × impact scores (1–25):")
        columns = st.columns(2)
        for i, (key, band) in enumerate(zip(CUT_WIDGETS, risk.BANDS[1:], strict=True)):
            columns[i % 2].number_input(band, *risk.CUT_RANGE, step=1, key=key, on_change=_on_model_widget)
        if st.session_state.get(MODEL_ERROR):
            st.warning(st.session_state[MODEL_ERROR])
        st.button("Default settings", key="model.reset", on_click=_on_model_reset, disabled=not changed)
    return params


# ---------------------------------------------------------------------------------------------
# Site selection and breakdown


def selected_site() -> str | None:
    """The site the link or the analyst opened (checked against the data when the link was read)."""
    chosen = page_param("site")
    return chosen[-1] if chosen else None


@guarded
def _on_site_choice() -> None:
    choice = st.session_state[SITE_CHOICE]
    set_page_param("site", [choice] if choice else [])


def site_picker(scores: pd.DataFrame, site: str | None) -> None:
    """A list to open a site from (the same choice a click on a chart makes)."""
    labels = {
        i: f"{name} ({band})"
        for i, name, band in zip(scores["site_id"], scores["name"], scores["band"], strict=True)
    }
    st.session_state[SITE_CHOICE] = site if site in labels else None
    st.selectbox(
        "Open a site",
        list(labels),
        format_func=labels.__getitem__,
        key=SITE_CHOICE,
        index=None,
        placeholder="Choose a site to see why it scores as it does",
        on_change=_on_site_choice,
    )


def chart_selection(key: str) -> list:
    """The `customdata` of the points selected on a chart (a click selects one)."""
    points = st.session_state[key].selection.get("points", [])
    return [p["customdata"] for p in points if p.get("customdata") is not None]


@guarded
def on_chart_select(key: str) -> None:
    """Callback of a chart whose points carry a site id: open that site."""
    ids = [i[0] if isinstance(i, list) else i for i in chart_selection(key)]
    if ids:
        set_page_param("site", [str(ids[0])])


def map_link(frame: Frame, site_id: str, label: str) -> None:
    """A link to the map page with this site open and the current view kept."""
    params = {**current_params(frame.filters, frame.choices), "site": [site_id]}
    st.page_link("pages/2_Map.py", label=escape_markdown(label), icon=":material/map:", query_params=params)


def band_badge(band: str) -> str:
    return f":{risk.BAND_BADGES[band]}-badge[{band}]"


def likelihood_badge(term: str) -> str:
    return f":violet-badge[{escape_markdown(term)}]"


@guarded
def _on_since() -> None:
    value = st.session_state["overview.since"]
    set_page_param("since", [value.isoformat()] if value else [])


def since_value(default: dt.date, frame: Frame) -> dt.date:
    """The "what changed since" date: from the link (`since`), else `default`."""
    given = page_param("since")
    since = flt.parse_date(given[-1]) if given else default
    # A later change of the as-of date may leave the chosen date after it.
    return min(max(since, frame.choices.first_date), frame.filters.asof)


def since_picker(since: dt.date, frame: Frame) -> None:
    st.session_state["overview.since"] = since
    st.date_input(
        "Compare with",
        key="overview.since",
        min_value=frame.choices.first_date,
        max_value=frame.filters.asof,
        format="YYYY-MM-DD",
        on_change=_on_since,
    )


def site_panel(frame: Frame, site_id: str, scores: pd.DataFrame, units: pd.DataFrame, ctx, params) -> None:
    """Why a site scores as it does: components, segments, incidents near it, related events."""
    if site_id not in set(scores["site_id"]):
        st.info("The chosen site is not in view with these filters.", icon=":material/filter_alt_off:")
        return
    row = scores.set_index("site_id").loc[site_id]
    site = frame.sites.set_index("site_id").loc[site_id]
    start, asof = frame.filters.start, frame.filters.asof
    with st.container(border=True, key="site_panel"):
        st.header(escape_markdown(row["name"]), anchor=False)
        st.markdown(f"{band_badge(row['band'])} {escape_markdown(row['reason'])}")
        st.caption(escape_markdown(site["description"]))
        st.dataframe(breakdown.components(row, params, start, asof), hide_index=True, width="stretch")
        site_units = units[units["site_id"] == site_id]
        if len(site_units) > 1:
            st.plotly_chart(
                figures.segment_bars(site_units),
                width="stretch",
                config={"displayModeBar": False},
                alt=f"Risk band of each segment along {row['name']}",
            )
        provinces = sorted({p for unit in site_units["provinces"] for p in unit})
        st.caption(
            escape_markdown(breakdown.province_context(ctx, provinces, params, asof, frame.incident_mask))
        )
        near = breakdown.nearby(ctx, site.geometry, params, start, asof, frame.incident_mask)
        st.markdown(f"**{escape_markdown(near.heading)}**")
        st.dataframe(
            near.table,
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
        st.caption(escape_markdown(breakdown.precision_rule(params, ctx.district_km)))
        # A boolean array: an empty mask Series of objects would select columns, not rows.
        related = frame.events[
            frame.events["site_ids"].map(lambda v: site_id in split_list(v)).to_numpy(dtype=bool)
        ]
        st.markdown(f"**Related events** ({len(related)})")
        st.dataframe(
            related[["date", "title", "category", "confidence", "source"]],
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
        st.caption(f"{risk.MODEL_VERSION} · as of {frame.filters.asof.isoformat()}")


# ---------------------------------------------------------------------------------------------
# Map controls: layers and the quarter-by-quarter time control


@guarded
def _on_layers() -> None:
    set_page_param("layers", [",".join(st.session_state["map.layers"])])


def layer_picker(labels: dict[str, str], default: tuple[str, ...]) -> tuple[str, ...]:
    """The map layers in force (from the link, else the default); the choice travels as `layers`."""
    given = page_param("layers")
    chosen = tuple(v for v in given[-1].split(",") if v) if given else default
    st.session_state["map.layers"] = list(chosen)
    st.pills(
        "Layers",
        list(labels),
        format_func=labels.get,
        selection_mode="multi",
        key="map.layers",
        on_change=_on_layers,
    )
    return chosen


def _shift_asof(target: dt.date) -> None:
    view = st.session_state[VIEW]
    # A period that ended at the as-of date keeps ending there.
    end = target if view.end == view.asof or view.end > target else view.end
    _update_view(asof=target, end=end, start=min(view.start, end))


@guarded
def _on_quarter(choices: flt.Choices) -> None:
    _shift_asof(flt.quarter_end(st.session_state["map.quarter"], choices))


@guarded
def _step_quarter(step: int, choices: flt.Choices) -> None:
    quarters = flt.quarters(choices)
    here = quarters.index(flt.quarter_of(st.session_state[VIEW].asof))
    target = quarters[min(max(here + step, 0), len(quarters) - 1)]
    _shift_asof(flt.quarter_end(target, choices))


def quarter_control(frame: Frame) -> None:
    """Step the as-of date by quarter, or play through the quarters."""
    quarters = flt.quarters(frame.choices)
    st.session_state["map.quarter"] = flt.quarter_of(frame.filters.asof)
    left, middle, right, play = st.columns([1, 6, 1, 2], vertical_alignment="bottom")
    left.button(
        "◀",
        key="map.back",
        help="One quarter earlier",
        on_click=_step_quarter,
        args=(-1, frame.choices),
        disabled=st.session_state["map.quarter"] == quarters[0],
    )
    middle.select_slider(
        "As of the end of quarter", quarters, key="map.quarter", on_change=_on_quarter, args=(frame.choices,)
    )
    right.button(
        "▶",
        key="map.forward",
        help="One quarter later",
        on_click=_step_quarter,
        args=(1, frame.choices),
        disabled=st.session_state["map.quarter"] == quarters[-1],
    )
    play.toggle("Play", key="map.play", help="Step through the quarters, one every two seconds")
    if st.session_state.get("map.play"):
        _player(frame.choices)


@st.fragment(run_every=2.0)
def _player(choices: flt.Choices) -> None:
    # Runs every two seconds while "Play" is on: advance one quarter and redraw the page.
    quarters = flt.quarters(choices)
    if not st.session_state.get("map.play"):
        return
    if flt.quarter_of(st.session_state[VIEW].asof) == quarters[-1]:
        st.session_state["map.play"] = False
        st.rerun()
    _step_quarter(1, choices)
    st.rerun()


# ---------------------------------------------------------------------------------------------
# Cooperation index weights


@guarded
def _on_weight(defaults: dict[str, float]) -> None:
    weights = {name: float(st.session_state[f"index.w.{name}"]) for name in defaults}
    text = cooperation.weights_to_text(weights, defaults)
    set_page_param("iw", [text] if text else [])


def index_weights(defaults: dict[str, float], names: dict[str, str]) -> dict[str, float]:
    """The cooperation index's weights (from the link, else the defaults), with sliders to change
    them; the changes travel in the URL as `iw`."""
    given = page_param("iw")
    chosen, _ = cooperation.parse_weights(given[-1], set(defaults)) if given else ({}, [])
    weights = {**defaults, **chosen}
    with st.expander("Index weights" + (" (changed)" if chosen else ""), expanded=bool(chosen)):
        columns = st.columns(3)
        for i, (name, weight) in enumerate(weights.items()):
            st.session_state[f"index.w.{name}"] = weight
            columns[i % 3].slider(
                names.get(name, name),
                cooperation.WEIGHT.low,
                cooperation.WEIGHT.high,
                step=cooperation.WEIGHT.step,
                key=f"index.w.{name}",
                on_change=_on_weight,
                args=(defaults,),
            )
    return weights


# ---------------------------------------------------------------------------------------------
# Downloads


def download_table(
    frame: Frame,
    model: risk.ModelParams,
    table: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str,
) -> None:
    """A zip of the table as CSV with its metadata (filters, as-of date, model, sources). Pass a
    function for `table` when making it costs: it is then only made when someone clicks."""
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))

    def bundle() -> bytes:
        rows = table() if callable(table) else table
        return export.csv_bundle(rows, name, export.metadata(frame, model, name, len(rows), page_params))

    st.download_button(
        label,
        data=bundle,
        file_name=f"{name}_{frame.filters.asof.isoformat()}.zip",
        mime="application/zip",
        key=f"download.{name}",
        icon=":material/download:",
        on_click="ignore",
        help="A CSV file and a JSON file saying which view it comes from.",
    )


def download_sites(frame: Frame, model: risk.ModelParams, scores: pd.DataFrame) -> None:
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))

    def geojson() -> bytes:
        meta = export.metadata(frame, model, "sites", len(scores), page_params)
        return export.sites_geojson(scores, frame.sites, meta)

    columns = st.columns(2)
    columns[0].download_button(
        "Sites and scores (GeoJSON)",
        data=geojson,
        file_name=f"sites_{frame.filters.asof.isoformat()}.geojson",
        mime="application/geo+json",
        key="download.sites.geojson",
        icon=":material/download:",
        on_click="ignore",
    )
    with columns[1]:
        download_table(
            frame, model, lambda: export.site_table(scores, frame.sites), "sites", "Sites and scores (CSV)"
        )


def briefing_buttons(frame: Frame, model: risk.ModelParams, since: dt.date) -> None:
    """Make the one-page briefing of what is on screen, as HTML or PDF (made when clicked).

    Any viewer can ask for these in a loop, so each session may ask for a few a minute and the
    PDFs are printed one at a time (georisk.briefing). The files are made in a thread of
    Streamlit's, after a click, which can only refuse by raising: the browser then shows
    "Failed to generate file for download" under the button for five seconds, and this page
    says why on its next run (and disables the buttons while the session is over its rate)."""
    link = share_link(frame.filters, frame.choices)
    session = _session_id()  # read now: the click's thread has no session of its own

    def refusing(make: Callable[[], bytes]) -> Callable[[], bytes]:
        def made() -> bytes:
            try:
                return make()
            except limits.Refused as err:
                briefing.refused(session, err)
                raise

        return made

    def document() -> briefing.Briefing:
        briefing.allow(session)
        made = _Base.of(frame.dataset.data_dir).summary(frame, model, since, session)
        return briefing.build(made, link)

    name = f"briefing_{frame.filters.asof.isoformat()}"
    chromium = briefing.find_chromium()
    wait = briefing.next_allowed(session)
    limited = (
        f"Briefing limit reached (at most {briefing.BRIEFINGS_PER_MINUTE} a minute per viewer): the next "
        f"one in {limits.retry_text(wait)}."
        if wait
        else None
    )
    columns = st.columns(2)
    columns[0].download_button(
        "Briefing (PDF, one page)",
        data=refusing(lambda: briefing.printed(document().html)),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        key="briefing.pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        disabled=chromium is None or wait > 0,
        help=limited or (None if chromium else "Needs Chromium or Chrome on the server."),
    )
    columns[1].download_button(
        "Briefing (HTML, works offline)",
        data=refusing(lambda: document().html.encode("utf-8")),
        file_name=f"{name}.html",
        mime="text/html",
        key="briefing.html",
        icon=":material/description:",
        on_click="ignore",
        disabled=wait > 0,
        help=limited,
    )
    notice = limited or briefing.last_refusal(session)
    if notice:
        st.caption(f":orange[{escape_markdown(notice)}]")


# ---------------------------------------------------------------------------------------------
# Importing a feed from the Data page

IMPORT = "import.checked"
READ_ONLY_ENV = "GEORISK_READ_ONLY"  # georisk.access.READ_ONLY_ENV; kept here for its readers
EXAMPLE_MAPPINGS = Path(__file__).resolve().parent.parent / "examples" / "mappings"


def session_access():
    """This session's role, viewer or analyst, with its reason (georisk.access.decide has the
    rules); recorded for the upload gate. GEORISK_READ_ONLY and GEORISK_ANALYSTS may be top-level
    secrets on Community Cloud: Streamlit copies those into the environment when the secrets are
    first read, which sign_in_configured does before the environment is read here."""
    from streamlit import config
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    from georisk import access

    sign_in = sign_in_configured()
    signed_in = sign_in and st.user.get("is_logged_in", False)
    decision = access.decide(
        address=config.get_option("server.address"),
        sign_in=sign_in,
        email=st.user.get("email") if signed_in else None,
        analysts=access.analysts_from(os.environ.get(access.ANALYSTS_ENV)),
        env=os.environ,
        proxied=access.forwarded(st.context.headers.keys()),
    )
    ctx = get_script_run_ctx()
    access.remember(ctx.session_id if ctx else None, decision)
    return decision


def imports_allowed() -> bool:
    """Whether this session may change the data (an analyst's): asked again by every action at
    the moment it acts, so that a forged widget message from a viewer changes nothing."""
    return session_access().analyst


def _refuse_viewer() -> bool:
    """True (and says so) when this session may not change the data."""
    if imports_allowed():
        return False
    st.error("Only an analyst can change the data of this instance.", icon=":material/block:")
    return True


FEED_KINDS = {
    "acled": "ACLED export",
    "gtd": "Global Terrorism Database",
    "ucdp": "UCDP GED",
    "csv": "Other CSV, with a mapping",
}


def import_panel(dataset: Dataset) -> None:
    """Check an incident feed, see its report, then (and only then) use it; any kept version can
    be put back in use."""
    from georisk import access, feeds
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
            context = feeds.context_for(dataset.data_dir)
            incidents, report = feeds.run(kind, upload.getvalue(), upload.name, context, mapping_text)
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
        if use and not _refuse_viewer():
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


def versions_panel(store) -> None:
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
        if wanted and not _refuse_viewer():
            try:
                change()
            except (StoreError, KeyError) as err:  # busy, gone, or a write failed: nothing changed
                st.error(escape_markdown(str(err)))
            else:
                st.rerun()
    with st.expander("The report of this version"):
        report, rows = store.report(chosen)
        import_report(report, rows, "version")


def import_report(report, rows: pd.DataFrame, key: str) -> None:
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
