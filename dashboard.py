"""Home page: the executive overview. Headline risk and trend, the most exposed sites and why,
what changed, and the analysts' key judgments."""

import pandas as pd
import streamlit as st

from georisk import figures, overview, risk, ui
from georisk.text import escape_markdown

frame = ui.page_frame("Overview")
params = ui.model_settings()
dataset, filters = frame.dataset, frame.filters
asof = pd.Timestamp(filters.asof)

# The model scores the incidents in view; the trend compares fixed 90-day windows, so it takes
# every incident in view whatever the period filter says.
ctx = risk.context_for(
    frame.incidents, dataset.threat_levels, dataset.actors, dataset.boundaries, frame.sites
)
scores, units = risk.score_sites(frame.sites, ctx, asof, params, filters.actors)
previous, _ = risk.score_sites(
    frame.sites, ctx, asof - pd.Timedelta(days=overview.WINDOW_DAYS), params, filters.actors
)
trend_ctx = risk.context_for(
    frame.incidents_any_period(), dataset.threat_levels, dataset.actors, dataset.boundaries, frame.sites
)
near = risk.near_any_site(trend_ctx, frame.sites, params.radius_km)
counts = overview.window_counts(trend_ctx.incidents["date"], near, asof)
head = overview.headline(scores, previous, counts)

st.title(dataset.scenario.get("title", "Risk overview"))
with st.container(border=True):
    if head.band:
        st.markdown(f"### Portfolio risk {ui.band_badge(head.band)}")
        st.markdown(
            f"**{escape_markdown(head.change())}.** Most exposed: **{escape_markdown(head.worst_site)}**."
        )
    else:
        st.markdown(escape_markdown(head.sentence()))
    st.markdown(escape_markdown(head.trend_sentence()))
    st.caption(
        f"As of {filters.asof.isoformat()}. Trend words: a change of {overview.CHANGE_PCT} % or more is an "
        f"increase or decrease, {overview.SHARP_CHANGE_PCT} % or more a sharp one (ACLED's convention)."
    )

provinces, top_level = overview.highest_threat(dataset.threat_levels, asof)
top_two = scores["band"].isin(risk.BANDS[-2:]).sum() if not scores.empty else 0
columns = st.columns(3)
columns[0].metric("Sites at High or Very high", f"{top_two} of {len(scores)}")
columns[1].metric(
    f"Incidents near sites, last {overview.WINDOW_DAYS} days",
    head.incidents_now,
    delta=head.incidents_now - head.incidents_before,
    delta_color="inverse",
    help=f"Within {params.radius_km:g} km of a site; the change is against the "
    f"{overview.WINDOW_DAYS} days before.",
)
columns[2].metric(
    "Highest-threat province",
    ", ".join(provinces) or "no rating",
    help=None if top_level is None else f"Overall threat level {top_level} of 5",
)

site = ui.selected_site()
left, right = st.columns([3, 2])
with left:
    st.subheader("Likelihood and impact", anchor=False)
    st.plotly_chart(
        figures.risk_matrix(scores, params.cuts, site),
        key="overview.matrix",
        on_select=lambda: ui.on_chart_select("overview.matrix"),
        selection_mode="points",
        config={"displayModeBar": False},
        alt="5 by 5 likelihood and impact matrix with each site placed in its cell",
    )
with right:
    st.subheader("Most exposed sites", anchor=False)
    if scores.empty:
        st.info("No site in view with these filters.")
    for row in scores.head(3).itertuples():
        st.markdown(
            f"{ui.band_badge(row.band)} **{escape_markdown(row.name)}**  \n{escape_markdown(row.reason)}"
        )
    ui.site_picker(scores, site)

if site:
    ui.site_panel(frame, site, scores, units, ctx, params)

st.subheader("What changed", anchor=False)
since = ui.since_date(overview.since_default(filters.asof, frame.choices.first_date), frame)
before, _ = risk.score_sites(frame.sites, ctx, pd.Timestamp(since), params, filters.actors)
moved = overview.band_changes(before, scores)
new_incidents = trend_ctx.incidents[
    near
    & (trend_ctx.incidents["date"] > pd.Timestamp(since)).to_numpy()
    & (trend_ctx.incidents["date"] <= asof).to_numpy()
]
new_events = frame.events[frame.events["date"] > pd.Timestamp(since)]
columns = st.columns(3)
columns[0].metric("Sites whose band moved", len(moved))
columns[1].metric("New incidents near sites", len(new_incidents))
columns[2].metric("New events", len(new_events))
if not moved.empty:
    st.dataframe(moved, hide_index=True)
with st.expander(f"New incidents near sites ({len(new_incidents)}) and new events ({len(new_events)})"):
    st.dataframe(
        new_incidents[["date", "location", "province", "group", "killed", "wounded", "source"]],
        hide_index=True,
        column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
    )
    st.dataframe(
        new_events[["date", "title", "category", "confidence", "source"]],
        hide_index=True,
        column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
    )

st.subheader("Key judgments", anchor=False)
for row in dataset.judgments.itertuples():
    st.markdown(
        f"{ui.likelihood_badge(row.likelihood_term)} {escape_markdown(row.statement)}  \n"
        f":gray[{escape_markdown(row.probability_band)} · {escape_markdown(row.confidence)} confidence · "
        f"{escape_markdown(row.horizon)}]"
    )
with st.expander("What the likelihood and confidence words mean"):
    st.dataframe(overview.estimative_legend(dataset.estimative_scale), hide_index=True)
    st.dataframe(overview.confidence_legend(), hide_index=True)

with st.expander("Methodology"):
    st.markdown(risk.methodology(params))

st.divider()
sources = dataset.catalog.get("files", {})
st.caption(
    f"Data as of {filters.asof.isoformat()} (latest in the data: {frame.choices.last_date.isoformat()}). "
    f"{risk.MODEL_VERSION}. Sources: every record cites its own; by file: "
    + "; ".join(f"{name}: {escape_markdown(entry.get('source', ''))}" for name, entry in sources.items())
)
