"""Opening a site (from a list or a chart click) and the panel that says why it scores as it does;
the badges the pages write bands and likelihood words with."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from georisk.app.url import current_params, guarded, page_param, set_page_param
from georisk.charts import matrix, style
from georisk.model import breakdown, settings
from georisk.scenario.schema import split_list
from georisk.text import escape_markdown
from georisk.view import View

SITE_CHOICE = "site.choice"


def selected_site() -> str | None:
    """The site the link or the analyst opened (checked against the data when the link was read)."""
    chosen = page_param("site")
    return chosen[-1] if chosen else None


@guarded
def _on_site_choice() -> None:
    choice = st.session_state[SITE_CHOICE]
    set_page_param("site", [choice] if choice else [])


def site_picker(scores: pd.DataFrame, site: str | None) -> None:
    """A list to open a site from (the same choice a click on a chart makes)."""
    labels = {
        i: f"{name} ({band})"
        for i, name, band in zip(scores["site_id"], scores["name"], scores["band"], strict=True)
    }
    st.session_state[SITE_CHOICE] = site if site in labels else None
    st.selectbox(
        "Open a site",
        list(labels),
        format_func=labels.__getitem__,
        key=SITE_CHOICE,
        index=None,
        placeholder="Choose a site to see why it scores as it does",
        on_change=_on_site_choice,
    )


def chart_selection(key: str) -> list[object]:
    """The `customdata` of the points selected on a chart (a click selects one)."""
    points = st.session_state[key].selection.get("points", [])
    return [p["customdata"] for p in points if p.get("customdata") is not None]


@guarded
def on_chart_select(key: str) -> None:
    """Callback of a chart whose points carry a site id: open that site."""
    ids = [i[0] if isinstance(i, list) else i for i in chart_selection(key)]
    if ids:
        set_page_param("site", [str(ids[0])])


def map_link(view: View, site_id: str, label: str) -> None:
    """A link to the map page with this site open and the current view kept."""
    query_params = {**current_params(view.filters, view.choices), "site": [site_id]}
    st.page_link(
        "pages/2_Map.py", label=escape_markdown(label), icon=":material/map:", query_params=query_params
    )


def band_badge(band: str) -> str:
    """A risk band as a coloured badge (Streamlit Markdown)."""
    return f":{style.BAND_BADGES[band]}-badge[{band}]"


def likelihood_badge(term: str) -> str:
    """A likelihood word of the judgments as a badge (Streamlit Markdown)."""
    return f":violet-badge[{escape_markdown(term)}]"


def site_panel(view: View, model: settings.ModelSettings, site_id: str | None) -> None:
    """Why the open site (if any) scores as it does in the view: its components, segments,
    incidents near it and related events."""
    if not site_id:
        return
    scores, units = view.scores(model)
    ctx = view.ctx
    if site_id not in set(scores["site_id"]):
        st.info("The chosen site is not in view with these filters.", icon=":material/filter_alt_off:")
        return
    row = scores.set_index("site_id").loc[site_id]
    site = view.sites.set_index("site_id").loc[site_id]
    start, asof = view.filters.start, view.filters.asof
    with st.container(border=True, key="site_panel"):
        st.header(escape_markdown(row["name"]), anchor=False)
        st.markdown(f"{band_badge(row['band'])} {escape_markdown(row['reason'])}")
        st.caption(escape_markdown(site["description"]))
        st.dataframe(breakdown.components(row, model, start, asof), hide_index=True, width="stretch")
        site_units = units[units["site_id"] == site_id]
        if len(site_units) > 1:
            st.plotly_chart(
                matrix.segment_bars(site_units),
                width="stretch",
                config={"displayModeBar": False},
                alt=f"Risk band of each segment along {row['name']}",
            )
        provinces = sorted({p for unit in site_units["provinces"] for p in unit})
        st.caption(
            escape_markdown(breakdown.province_context(ctx, provinces, model, asof, view.incident_mask))
        )
        near = breakdown.nearby(ctx, site.geometry, model, start, asof, view.incident_mask)
        st.markdown(f"**{escape_markdown(near.heading)}**")
        st.dataframe(
            near.table,
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
        st.caption(escape_markdown(breakdown.precision_rule(model, ctx.district_km)))
        # A boolean array: an empty mask Series of objects would select columns, not rows.
        related = view.events[
            view.events["site_ids"].map(lambda v: site_id in split_list(v)).to_numpy(dtype=bool)
        ]
        st.markdown(f"**Related events** ({len(related)})")
        st.dataframe(
            related[["date", "title", "category", "confidence", "source"]],
            hide_index=True,
            column_config={"date": st.column_config.DateColumn(format="YYYY-MM-DD")},
        )
        st.caption(f"{settings.MODEL_VERSION} · as of {view.filters.asof.isoformat()}")
