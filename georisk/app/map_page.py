"""The Map page's chart (a click opens a site) with the notes on what it draws, and its caption."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from georisk.app import site_panel
from georisk.model import ratings, settings
from georisk.text import escape_markdown
from georisk.view import View


def map_chart(figure: go.Figure, notes: list[str]) -> None:
    """The notes on what was drawn, then the map; a click on a site opens it."""
    for note in notes:
        st.info(escape_markdown(note), icon=":material/info:")
    st.plotly_chart(
        figure,
        key="map.chart",
        on_select=lambda: site_panel.on_chart_select("map.chart"),
        selection_mode="points",
        config={"scrollZoom": True, "displaylogo": False},
        alt="Map of the sites coloured by risk band, with the layers chosen above",
    )


def map_caption(view: View, model: settings.ModelSettings) -> None:
    """How to read the map: the date, what is coloured and dotted, the model and the source."""
    filters = view.filters
    st.caption(
        f"As of {filters.asof.isoformat()} · {view.incident_count:,} incidents in view · provinces "
        f"coloured by threat level for {', '.join(filters.actors) if filters.actors else 'all groups'} "
        f"({ratings.SOURCE_LABELS[model.ratings]}) · filled dots: points that count toward exposure at "
        f"{model.radius_km:g} km; rings: points too coarse to count; '+N in province': incidents placed only "
        f"at a province · {settings.MODEL_VERSION} · incidents: "
        f"{escape_markdown(view.dataset.incident_source.credit())}"
    )
