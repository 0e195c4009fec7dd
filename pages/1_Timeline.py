"""Event timeline: cooperation milestones and security incidents."""

import streamlit as st

from georisk import ui

frame = ui.page_frame("Timeline")
st.title("Event timeline")

events = frame.events.sort_values("date")
st.caption(f"{len(events)} events and {len(frame.incidents)} incidents in view.")
st.dataframe(
    events[["date", "title", "category", "sector", "significance", "confidence", "source"]],
    hide_index=True,
    column_config={"date": st.column_config.DateColumn("Date", format="YYYY-MM-DD")},
)
