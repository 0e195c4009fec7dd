"""The map: project sites with threat overlays. Choose a site (click it, or pick it from the list)
to see why it scores as it does."""

import pandas as pd
import streamlit as st

from georisk import mapping, overview, ratings, risk, ui
from georisk.text import escape_markdown

frame = ui.page_frame("Map")
params = ui.model_settings()
dataset, filters = frame.dataset, frame.filters
asof = pd.Timestamp(filters.asof)

st.title("Map")
layers = ui.layer_picker(mapping.LAYER_LABELS, mapping.DEFAULT_LAYERS)
ui.quarter_control(frame)

ctx = ui.context(dataset)
scores, units = risk.score_sites(frame.sites, ctx, asof, params, filters.actors, frame.incident_mask)
site = ui.selected_site()
figure, notes = mapping.view_map(frame, ctx, params, scores, units, layers, selected=site)
for note in notes:
    st.info(escape_markdown(note), icon=":material/info:")
st.plotly_chart(
    figure,
    key="map.chart",
    on_select=lambda: ui.on_chart_select("map.chart"),
    selection_mode="points",
    config={"scrollZoom": True, "displaylogo": False},
    alt="Map of the sites coloured by risk band, with the layers chosen above",
)
st.caption(
    f"As of {filters.asof.isoformat()} · {frame.incident_count:,} incidents in view · provinces coloured by "
    f"threat level for {', '.join(filters.actors) if filters.actors else 'all groups'} "
    f"({ratings.SOURCE_LABELS[params.ratings]}) · filled dots: points that count toward exposure at "
    f"{params.radius_km:g} km; rings: points too coarse to count; '+N in province': incidents placed only "
    f"at a province · {risk.MODEL_VERSION} · incidents: {escape_markdown(dataset.incident_source.credit())}"
)

ui.site_picker(scores, site)
if site:
    ui.site_panel(frame, site, scores, units, ctx, params)

st.header("Take it away", anchor=False)
ui.briefing_buttons(
    frame, params, ui.since_value(overview.since_default(filters.asof, frame.choices.first_date), frame)
)
ui.download_sites(frame, params, scores)
ui.download_table(frame, params, frame.incidents, "incidents", "Incidents in view (CSV)")
