"""The map: project sites with threat overlays. Choose a site (click it, or pick it from the list)
to see why it scores as it does."""

import streamlit as st

from georisk.analysis import geography
from georisk.app import downloads, map_controls, map_page, model_panel, page, since_control, site_panel
from georisk.charts import maps

view = page.page_frame("Map")
model = model_panel.model_settings()

st.title("Map")
layers = map_controls.layer_picker(maps.LAYER_LABELS, geography.DEFAULT_LAYERS)
map_controls.quarter_control(view)

site = site_panel.selected_site()
figure, notes = maps.view_map(view, model, layers, site)
map_page.map_chart(figure, notes)
map_page.map_caption(view, model)

scores, _ = view.scores(model)
site_panel.site_picker(scores, site)
site_panel.site_panel(view, model, site)

st.header("Take it away", anchor=False)
downloads.briefing_buttons(view, model, since_control.since_date(view))
downloads.download_sites(view, model, scores)
downloads.download_table(view, model, lambda: view.incidents, "incidents", "Incidents in view (CSV)")
