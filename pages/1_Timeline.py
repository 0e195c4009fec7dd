"""The event timeline: cooperation milestones and security incidents on one time axis."""

import streamlit as st

from georisk.analysis import timeline
from georisk.app import downloads, model_panel, page, timeline_page
from georisk.charts import lanes, style

view = page.page_frame("Timeline")
st.title("Event timeline")
timeline_page.caption(view)

selected = timeline_page.selected_item()
timeline_page.chart(
    lanes.timeline_figure(
        view.events,
        view.incidents,
        view.filters.start,
        view.filters.end,
        style.family_colours(view.choices.actors),
        selected[1] if selected else None,
    )
)
timeline_page.detail(view, selected)

st.header("Events in view", anchor=False)
events = timeline.search(view.events, timeline_page.search_box())
timeline_page.events_table(events)
downloads.download_table(view, model_panel.model_in_force(), events, "events", "Download these events (CSV)")
