"""Map of project sites, incidents and provinces."""

import streamlit as st

from georisk import ui

frame = ui.page_frame("Map")
st.title("Map")

st.caption(
    f"{len(frame.sites)} sites, {len(frame.incidents)} incidents and "
    f"{len(frame.dataset.boundaries)} provinces in view."
)
st.dataframe(
    frame.sites.drop(columns="geometry")[["site_id", "name", "provinces", "status"]], hide_index=True
)
