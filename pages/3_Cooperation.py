"""Cooperation indicators: each series over time, a composite index, and cooperation set against
the threat to the partner's projects."""

import streamlit as st

from georisk.analysis import cooperation
from georisk.app import cooperation_page, model_panel, page
from georisk.app import weights as app_weights
from georisk.charts import indicators

view = page.page_frame("Cooperation")
model = model_panel.model_settings()
dataset = view.dataset
st.title("Cooperation indicators")

table = cooperation.series(view.indicators)
names = cooperation.labels(dataset.indicators)
indicator_units = cooperation.units(dataset.indicators)
if table.empty:
    st.info("No indicator values in view: widen the period or the sector filter.")
    st.stop()

cooperation_page.values_caption(table)
cooperation_page.chart(
    indicators.small_multiples(table, names, indicator_units),
    "Small multiples: each cooperation indicator by year",
)

st.header("One indicator, with the key events", anchor=False)
chosen = cooperation_page.indicator_picker(table, names)
name = names.get(chosen, chosen)
cooperation_page.chart(
    indicators.indicator_figure(table, chosen, name, indicator_units.get(chosen, ""), view.events),
    f"{name} by year with the key events",
)
cooperation_page.indicator_values(view.indicators, chosen)

st.header("Composite cooperation index", anchor=False)
defaults = cooperation.default_weights(dataset.indicators, dataset.scenario.get("cooperation_index_weights"))
weights = app_weights.index_weights(defaults, names)
composite = cooperation.index(table, weights)
cooperation_page.index_explained(weights, names)

st.header("Cooperation against threat", anchor=False)
threat = cooperation.threat_by_year(view, model, list(composite["year"]))
cooperation_page.chart(
    indicators.against_threat(
        composite, threat.near, threat.risk, model.radius_km, threat.partner or "partner"
    ),
    "Cooperation index, incidents near the partner's sites and portfolio risk by year",
)
cooperation_page.threat_notes(view, model, threat)
