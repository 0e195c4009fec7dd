"""The frame every page calls first: page set-up, the shared data, the sidebar, the URL.

How the view survives page switches and travels in links (Streamlit 1.67, classic `pages/`
mode, see DESIGN.md §5): the canonical view lives in `st.session_state[VIEW]`. On a session's
first run it is read from the URL; on later runs from session state. The sidebar widgets are
seeded from it, and after they are drawn the view is written back to the URL on every run.
"""

from __future__ import annotations

import time

import streamlit as st

from georisk import limits
from georisk.app import cache, roles, sidebar
from georisk.app.url import VIEW, current_params, read_url, session_id, show_notices, write_url
from georisk.view import View

# The pages, in sidebar order: file (relative to dashboard.py), label, icon. Streamlit's own
# page list is hidden (.streamlit/config.toml) because it can only name the home page after
# its file, "dashboard"; these links also carry the current view in their URL.
PAGES = (
    ("dashboard.py", "Overview", ":material/dashboard:"),
    ("pages/1_Timeline.py", "Timeline", ":material/timeline:"),
    ("pages/2_Map.py", "Map", ":material/map:"),
    ("pages/3_Cooperation.py", "Cooperation", ":material/handshake:"),
    ("pages/4_Data.py", "Data", ":material/database:"),
    ("pages/5_Alerts.py", "Alerts", ":material/notifications:"),
)


# Page runs one session may make per minute after a first burst. A person clicking through
# filters, or the Map's "Play" (one run every 2 s), stays inside it; a loop of reruns beyond
# it waits in its own session's thread, so that it takes no more than its share of the process's
# one busy core (benchmarks/load.py --hostile).
RUNS_PER_MINUTE = 30
RUNS_BURST = 20
RUNS = limits.RateLimit(RUNS_PER_MINUTE, RUNS_BURST)


def pace_runs() -> None:
    """Hold this session's run while it is over its rate of page runs (RUNS)."""
    session = session_id()
    if not session:  # no runtime (a bare script run): nobody else to protect
        return
    while (wait := RUNS.take(session)) > 0:
        time.sleep(wait)  # releases the GIL: the other sessions' runs go on meanwhile


def page_frame(title: str) -> View:
    """Set up the page, load the data, draw the shared filters; return the filtered view."""
    st.set_page_config(page_title=f"{title} · Geopolitical risk", page_icon="🛰️", layout="wide")
    pace_runs()
    roles.require_sign_in()
    navigation = st.sidebar.container()
    loaded = cache.loaded()
    dataset, choices = loaded.dataset, loaded.choices
    if VIEW not in st.session_state:
        read_url(dataset, choices)
    filters = sidebar.filter_widgets(choices)
    st.session_state[VIEW] = filters
    write_url(filters, choices)
    show_notices()
    sidebar.data_status(dataset)
    view = View.of(dataset, filters, choices)
    with st.sidebar:
        st.caption(
            f"In view: {len(view.events)} events · {view.incident_count:,} incidents · "
            f"{len(view.sites)} sites"
        )
    sidebar.share_control(view)
    with navigation:
        query_params = current_params(filters, choices)
        for page, label, icon in PAGES:
            st.page_link(page, label=label, icon=icon, query_params=query_params)
    return view
