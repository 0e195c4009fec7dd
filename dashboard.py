"""Home page: the executive overview. Headline risk and trend, the most exposed sites and why,
what changed, and the analysts' key judgments.

The file is also the app's ASGI entry (DESIGN.md §5): `streamlit run dashboard.py` first imports
it, with no Streamlit runtime yet, to find `app`, and serves that; every session then runs this
file as its home page, with the runtime, and only then is the page drawn."""

import streamlit as st
from starlette.middleware import Middleware

from georisk import access, figures, overview, ratings, risk, ui
from georisk.text import escape_markdown


def draw() -> None:
    frame = ui.page_frame("Overview")
    params = ui.model_settings()
    dataset, filters = frame.dataset, frame.filters
    since = ui.since_value(overview.since_default(filters.asof, frame.choices.first_date), frame)
    summary = ui.summary(frame, params, since)
    head, scores = summary.headline, summary.scores

    st.title(escape_markdown(dataset.scenario.get("title", "Risk overview")))
    with st.container(border=True):
        if head.band:
            incomplete = " :gray-badge[rests on exposure alone]" if summary.ratings.unrated else ""
            st.markdown(f"## Portfolio risk {ui.band_badge(head.band)}{incomplete}")
            st.markdown(
                f"**{escape_markdown(head.change())}.** Most exposed: **{escape_markdown(head.worst_site)}**."
            )
        else:
            st.markdown(escape_markdown(head.sentence()))
        notice = summary.ratings.text()
        if notice:
            st.warning(escape_markdown(notice), icon=":material/warning:")
        st.markdown(escape_markdown(head.trend_sentence()))
        st.caption(f"As of {filters.asof.isoformat()}. {escape_markdown(overview.trend_rule())}")
    ui.briefing_buttons(frame, params, since)

    columns = st.columns(3)
    columns[0].metric("Sites at High or Very high", f"{summary.top_two} of {len(scores)}")
    columns[1].metric(
        f"Incidents near sites, last {overview.WINDOW_DAYS} days",
        head.incidents_now,
        delta=head.incidents_now - head.incidents_before,
        delta_color="inverse",
        help=f"Within {params.radius_km:g} km of a site, counting only points placed precisely enough for "
        f"that radius ({summary.left_out_now} more nearby-looking incidents were left out for imprecision); "
        f"the change is against the {overview.WINDOW_DAYS} days before.",
    )
    columns[2].metric(
        "Highest-threat province",
        ", ".join(summary.provinces) or "no rating",
        help="No province has a threat rating at this date"
        if summary.top_level is None
        else f"Overall threat level {summary.top_level} of 5 ({ratings.SOURCE_LABELS[params.ratings]})",
    )
    if summary.left_out_now:
        st.caption(
            f"{summary.left_out_now} incident(s) in the last {overview.WINDOW_DAYS} days look near a site "
            "but are placed too coarsely (district, province or flagged points) to say so: not counted above."
        )

    site = ui.selected_site()
    left, right = st.columns([3, 2])
    with left:
        st.header("Likelihood and impact", anchor=False)
        st.plotly_chart(
            figures.risk_matrix(scores, params.cuts, site),
            key="overview.matrix",
            on_select=lambda: ui.on_chart_select("overview.matrix"),
            selection_mode="points",
            config={"displayModeBar": False},
            alt="5 by 5 likelihood and impact matrix with each site placed in its cell",
        )
    with right:
        st.header("Most exposed sites", anchor=False)
        if scores.empty:
            st.info("No site in view with these filters.")
        for row in scores.head(3).itertuples():
            st.markdown(
                f"{ui.band_badge(row.band)} **{escape_markdown(row.name)}**  \n{escape_markdown(row.reason)}"
            )
        ui.site_picker(scores, site)

    if site:
        ui.site_panel(frame, site, scores, summary.units, summary.ctx, params)
    ui.download_sites(frame, params, scores)

    st.header("What changed", anchor=False)
    ui.since_picker(summary.since, frame)
    columns = st.columns(3)
    columns[0].metric("Sites whose band moved", len(summary.moved))
    columns[1].metric("New incidents near sites", len(summary.new_incidents))
    columns[2].metric("New events", len(summary.new_events))
    if not summary.moved.empty:
        st.dataframe(summary.moved, hide_index=True)
    with st.expander(
        f"New incidents near sites ({len(summary.new_incidents)}) and new events ({len(summary.new_events)})"
    ):
        st.dataframe(
            summary.new_incidents[["date", "location", "province", "group", "killed", "wounded", "source"]],
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
        st.dataframe(
            summary.new_events[["date", "title", "category", "confidence", "source"]],
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )

    st.header("Key judgments", anchor=False)
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
        st.markdown(risk.methodology(params, summary.ctx.district_km))
        st.markdown(escape_markdown(overview.trend_rule()))

    st.divider()
    st.caption(
        f"Data as of {filters.asof.isoformat()} (latest in the data: {frame.choices.last_date.isoformat()}). "
        f"{risk.MODEL_VERSION}. {escape_markdown(dataset.sources_text())}"
    )


if st.runtime.exists():
    draw()
else:
    # Streamlit's upload endpoint takes a file for any live session, uploader on the page or
    # not: the gate refuses it to every session but an analyst's (georisk/access.py).
    app = st.App("dashboard.py", middleware=[Middleware(access.UploadGate)])
