"""The map: project sites with threat overlays. Choose a site (click it, or pick it from the list)
to see why it scores as it does."""

import pandas as pd
import streamlit as st

from georisk import mapping, overview, risk, ui

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
figure, notes = mapping.map_figure(
    layers=layers,
    boundaries=dataset.boundaries,
    province_level=mapping.province_levels(
        dataset.threat_levels, dataset.boundaries, asof, set(filters.actors)
    ),
    threat_scale=dataset.threat_scale,
    incidents=frame.incidents,
    scores=scores,
    units=units,
    sites=frame.sites,
    projection=ctx.projection,
    radius_km=params.radius_km,
    selected=site,
    xy=(ctx.x[frame.incident_mask], ctx.y[frame.incident_mask]),
)
for note in notes:
    st.info(note, icon=":material/hexagon:")
st.plotly_chart(
    figure,
    key="map.chart",
    on_select=lambda: ui.on_chart_select("map.chart"),
    selection_mode="points",
    config={"scrollZoom": True, "displaylogo": False},
    alt="Map of the sites coloured by risk band, with the layers chosen above",
)
st.caption(
    f"As of {filters.asof.isoformat()} · {len(frame.incidents)} incidents in view · provinces coloured by "
    f"threat level for {', '.join(filters.actors) if filters.actors else 'all groups'} · {risk.MODEL_VERSION}"
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
