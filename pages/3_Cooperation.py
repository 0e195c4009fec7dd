"""Cooperation indicators: each series over time, a composite index, and cooperation set against
the threat to the partner's projects."""

import streamlit as st

from georisk import cooperation, risk, ui
from georisk.text import escape_markdown

frame = ui.page_frame("Cooperation")
params = ui.model_settings()
dataset, filters = frame.dataset, frame.filters
st.title("Cooperation indicators")

table = cooperation.series(frame.indicators)
names = cooperation.labels(dataset.indicators)
units = dict(zip(dataset.indicators["indicator"], dataset.indicators["unit"], strict=True))
if table.empty:
    st.info("No indicator values in view: widen the period or the sector filter.")
    st.stop()

st.caption(
    f"{table.shape[1]} indicators, {int(table.notna().sum().sum())} yearly values in view. "
    "'n/a' (a small grey tick on a long axis) marks a year for which no figure was found: missing, not zero."
)
st.plotly_chart(
    cooperation.small_multiples(table, names, units),
    config={"displayModeBar": False},
    alt="Small multiples: each cooperation indicator by year",
)

st.header("One indicator, with the key events", anchor=False)
chosen = st.selectbox(
    "Indicator", list(table.columns), format_func=lambda c: names.get(c, c), key="coop.indicator"
)
st.plotly_chart(
    cooperation.indicator_figure(
        table, chosen, names.get(chosen, chosen), units.get(chosen, ""), frame.events
    ),
    config={"displayModeBar": False},
    alt=f"{names.get(chosen, chosen)} by year with the key events",
)
rows = frame.indicators[frame.indicators["indicator"] == chosen].sort_values("year")
st.dataframe(
    rows[["year", "value", "unit", "confidence", "source", "notes"]],
    hide_index=True,
    column_config={"year": st.column_config.NumberColumn(format="%d")},
)

st.header("Composite cooperation index", anchor=False)
defaults = cooperation.default_weights(dataset.indicators, dataset.scenario.get("cooperation_index_weights"))
weights = ui.index_weights(defaults, names)
composite = cooperation.index(table, weights)
st.markdown(
    "Each indicator is scaled to 0–1 over the years it has a value; the index is the weighted mean of the "
    "scaled indicators that have a value that year, times 100. A year whose indicators with values carry "
    f"less than {cooperation.MIN_COVERAGE:.0%} of the total weight has no index. Weights in force: "
    + escape_markdown(", ".join(f"{names.get(k, k)} {v:g}" for k, v in weights.items() if v > 0))
    + "."
)

st.header("Cooperation against threat", anchor=False)
partner = dataset.scenario.get("partner_country")
partner_sites = frame.sites[frame.sites["partner_country"] == partner] if partner else frame.sites
ctx = ui.context(dataset)
years = list(composite["year"])
incident_years = dataset.incidents["date"].dt.year
covered = (int(incident_years.min()), int(incident_years.max())) if len(incident_years) else (0, -1)
near = cooperation.incidents_near_by_year(
    ctx, partner_sites, params.radius_km, years, covered, frame.trend_mask
)
risk_years = cooperation.risk_by_year(
    partner_sites, ctx, params, years, covered, filters.actors, frame.trend_mask
)
st.plotly_chart(
    cooperation.against_threat(composite, near, risk_years, params.radius_km, partner or "partner"),
    config={"displayModeBar": False},
    alt="Cooperation index, incidents near the partner's sites and portfolio risk by year",
)
curated = dataset.incident_source.curated
st.warning(
    "Moving together is not cause. These series share a period, not a proven link: more cooperation does "
    "not show that militants target the projects because of it"
    + (", and the incident counts cover a curated sample of notable attacks." if curated else "."),
    icon=":material/info:",
)
left_out = int(near["left_out"].sum(skipna=True))
st.caption(
    f"Sites: those whose partner is {escape_markdown(partner or 'any country')} and that are in view. "
    f"Incidents: those in view within {params.radius_km:g} km of them, counted only where their point is "
    f"precise enough for that radius (solid bars); {left_out:,} more looked near but were placed too "
    f"coarsely to say (outlined bars). Years the incident data covers: {covered[0]}–{covered[1]}. Risk: "
    f"{risk.MODEL_VERSION}, worst site at each year end. Incidents: "
    f"{escape_markdown(dataset.incident_source.credit())}."
)
