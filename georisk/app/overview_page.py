"""The sections of the Overview (dashboard.py): the headline box, the key figures, the most
exposed sites, what changed, the key judgments, the methodology and the footer. Each draws what
`overview.summarise` (through cache.summary) or the dataset already holds."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from georisk.analysis import freshness, overview
from georisk.analysis.overview import Summary
from georisk.app import since_control, site_panel
from georisk.model import methodology as model_methodology
from georisk.model import ratings, settings
from georisk.outputs import export
from georisk.scenario.dataset import Dataset
from georisk.text import escape_markdown
from georisk.view import View


def headline_box(summary: Summary) -> None:
    """The portfolio's band and its change, the most exposed site, the ratings notice, whether the
    risk rests on stale data, the trend."""
    head = summary.headline
    with st.container(border=True):
        if head.band:
            incomplete = " :gray-badge[rests on exposure alone]" if summary.ratings.unrated else ""
            st.markdown(f"## Portfolio risk {site_panel.band_badge(head.band)}{incomplete}")
            st.markdown(
                f"**{escape_markdown(head.change())}.** Most exposed: **{escape_markdown(head.worst_site)}**."
            )
        else:
            st.markdown(escape_markdown(head.sentence()))
        notice = summary.ratings.text()
        if notice:
            st.warning(escape_markdown(notice), icon=":material/warning:")
        # Read on every run, not kept in the shared summary: data goes stale while a view stays.
        stale = freshness.stale_sentence(export.stamps(summary.view.dataset))
        if stale:
            st.warning(escape_markdown(stale), icon=":material/schedule:")
        st.markdown(escape_markdown(head.trend_sentence()))
        st.caption(f"As of {summary.view.filters.asof.isoformat()}. {escape_markdown(overview.trend_rule())}")


def key_figures(summary: Summary) -> None:
    """Sites at the top two bands, incidents near sites (with their change), the top province."""
    head, model = summary.headline, summary.model
    columns = st.columns(3)
    columns[0].metric("Sites at High or Very high", f"{summary.top_two} of {len(summary.scores)}")
    columns[1].metric(
        f"Incidents near sites, last {overview.WINDOW_DAYS} days",
        head.incidents_now,
        delta=head.incidents_now - head.incidents_before,
        delta_color="inverse",
        help=f"Within {model.radius_km:g} km of a site, counting only points placed precisely enough for "
        f"that radius ({summary.left_out_now} more nearby-looking incidents were left out for imprecision); "
        f"the change is against the {overview.WINDOW_DAYS} days before.",
    )
    columns[2].metric(
        "Highest-threat province",
        ", ".join(summary.provinces) or "no rating",
        help="No province has a threat rating at this date"
        if summary.top_level is None
        else f"Overall threat level {summary.top_level} of 5 ({ratings.SOURCE_LABELS[model.ratings]})",
    )
    if summary.left_out_now:
        st.caption(
            f"{summary.left_out_now} incident(s) in the last {overview.WINDOW_DAYS} days look near a site "
            "but are placed too coarsely (district, province or flagged points) to say so: not counted above."
        )


def exposed_sites(summary: Summary, risk_matrix: go.Figure, site: str | None) -> None:
    """The likelihood–impact matrix beside the three most exposed sites and the site picker."""
    scores = summary.scores
    left, right = st.columns([3, 2])
    with left:
        st.header("Likelihood and impact", anchor=False)
        st.plotly_chart(
            risk_matrix,
            key="overview.matrix",
            on_select=lambda: site_panel.on_chart_select("overview.matrix"),
            selection_mode="points",
            config={"displayModeBar": False},
            alt="5 by 5 likelihood and impact matrix with each site placed in its cell",
        )
    with right:
        st.header("Most exposed sites", anchor=False)
        if scores.empty:
            st.info("No site in view with these filters.")
        for row in scores.head(3).itertuples():
            badge = site_panel.band_badge(row.band)
            st.markdown(f"{badge} **{escape_markdown(row.name)}**  \n{escape_markdown(row.reason)}")
        site_panel.site_picker(scores, site)


def what_changed(summary: Summary) -> None:
    """What changed since the chosen date: bands that moved, new incidents near sites, new events."""
    since_control.since_picker(summary.since, summary.view)
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


def judgments(dataset: Dataset) -> None:
    """The analysts' key judgments with their likelihood words, and what the words mean."""
    for row in dataset.judgments.itertuples():
        st.markdown(
            f"{site_panel.likelihood_badge(row.likelihood_term)} {escape_markdown(row.statement)}  \n"
            f":gray[{escape_markdown(row.probability_band)} · {escape_markdown(row.confidence)} confidence · "
            f"{escape_markdown(row.horizon)}]"
        )
    with st.expander("What the likelihood and confidence words mean"):
        st.dataframe(overview.estimative_legend(dataset.estimative_scale), hide_index=True)
        st.dataframe(overview.confidence_legend(), hide_index=True)


def methodology(summary: Summary) -> None:
    """The risk model's methodology for the settings in force, and the trend rule."""
    with st.expander("Methodology"):
        st.markdown(model_methodology.methodology(summary.model, summary.ctx.district_km))
        st.markdown(escape_markdown(overview.trend_rule()))


def footer(view: View) -> None:
    """The data's as-of date, the model version and the sources."""
    st.divider()
    st.caption(
        f"Data as of {view.filters.asof.isoformat()} "
        f"(latest in the data: {view.choices.last_date.isoformat()}). "
        f"{settings.MODEL_VERSION}. {escape_markdown(view.dataset.sources_text())}"
    )


def open_alerts(dataset: Dataset) -> None:
    """How many alerts are open and the latest of them, linking to the Alerts page; nothing when
    there is no store, a short line when it cannot be read (the Overview must always draw)."""
    from georisk.alerts.records import OPEN_STATES
    from georisk.store import location
    from georisk.store.alerts import AlertBook

    try:
        store = location.open_store(dataset.data_dir)
        if store is None:
            return
        book = AlertBook(store)
        count, latest = book.open_count(), book.alerts(states=OPEN_STATES, limit=1)
    except Exception:  # noqa: BLE001 - any store or driver error: the page goes on without alerts
        st.caption("Alerts: the store cannot be read just now.")
        return
    line = f"{count:,} open alert(s)"
    if latest:
        details = latest[0]["details"]
        site, province = details.get("site_name"), latest[0].get("province")
        where = f" near {site}" if site else (f" in {province}" if province else "")
        line += f"; the latest: {details.get('title') or 'Alert'}{where}"
    # A page link's label is Markdown: the data in it is escaped.
    st.page_link("pages/5_Alerts.py", label=escape_markdown(line), icon=":material/notifications:")
