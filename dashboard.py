"""Home page: the executive overview of the scenario."""

import streamlit as st

from georisk import ui

frame = ui.page_frame("Overview")
dataset = frame.dataset

st.title(dataset.scenario.get("title", "Geopolitical risk overview"))
st.caption(dataset.scenario.get("summary", ""))

columns = st.columns(3)
columns[0].metric("Project sites", len(frame.sites))
columns[1].metric("Incidents", len(frame.incidents))
columns[2].metric("Events", len(frame.events))

st.subheader("Project sites")
st.dataframe(
    frame.sites.drop(columns="geometry")[["name", "sector", "status", "criticality", "provinces"]],
    hide_index=True,
)

st.subheader("Key judgments")
st.dataframe(
    dataset.judgments[["statement", "likelihood_term", "probability_band", "confidence", "horizon"]],
    hide_index=True,
)
