"""The data behind the dashboard: where each file comes from, what was wrong with it, how fresh
the incidents are, and every import and refresh that changed them."""

import streamlit as st

from georisk.app import data_page, imports, page

view = page.page_frame("Data")
dataset = view.dataset
st.title("Data")
data_page.scenario_caption(dataset)

st.header("Files")
data_page.files_table(dataset)
data_page.incidents_in_use(dataset)

st.header("Validation")
data_page.validation(dataset.problems_frame())

st.header("Freshness and refresh", anchor=False)
data_page.sources_freshness(dataset)
data_page.refresh_panel(dataset)

st.header("Runs", anchor=False)
imports.runs_table(dataset)

st.header("Bring your own scenario")
data_page.own_scenario()

st.header("Import an incident feed", anchor=False)
data_page.feeds_explained()
imports.import_panel(dataset)
