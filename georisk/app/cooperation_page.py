"""The sections of the Cooperation page: its charts, the indicator picker and its values, how the
composite index is made, and cooperation against threat (the partner's sites in view, the years
the incident data covers, and what the chart beside the index says)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from georisk.analysis import cooperation
from georisk.model import settings
from georisk.text import escape_markdown
from georisk.view import View


def chart(figure: go.Figure, alt: str) -> None:
    """A cooperation chart, without plotly's toolbar."""
    st.plotly_chart(figure, config={"displayModeBar": False}, alt=alt)


def values_caption(table: pd.DataFrame) -> None:
    """How many indicators and yearly values are in view, and how a missing year is drawn."""
    st.caption(
        f"{table.shape[1]} indicators, {int(table.notna().sum().sum())} yearly values in view. "
        "'n/a' (a small grey tick on a long axis) marks a year for which no figure was found: "
        "missing, not zero."
    )


def indicator_picker(table: pd.DataFrame, names: dict[str, str]) -> str:
    """The indicator to show alone, with the key events."""
    return st.selectbox(
        "Indicator", list(table.columns), format_func=lambda c: names.get(c, c), key="coop.indicator"
    )


def indicator_values(indicators: pd.DataFrame, chosen: str) -> None:
    """The chosen indicator's values in view, by year, with their sources."""
    rows = indicators[indicators["indicator"] == chosen].sort_values("year")
    st.dataframe(
        rows[["year", "value", "unit", "confidence", "source", "notes"]],
        hide_index=True,
        column_config={"year": st.column_config.NumberColumn(format="%d")},
    )


def index_explained(weights: dict[str, float], names: dict[str, str]) -> None:
    """How the composite index is made, and the weights in force."""
    st.markdown(
        "Each indicator is scaled to 0–1 over the years it has a value; the index is the weighted mean of "
        "the scaled indicators that have a value that year, times 100. A year whose indicators with values "
        f"carry less than {cooperation.MIN_COVERAGE:.0%} of the total weight has no index. Weights in force: "
        + escape_markdown(", ".join(f"{names.get(k, k)} {v:g}" for k, v in weights.items() if v > 0))
        + "."
    )


def threat_notes(view: View, model: settings.ModelSettings, threat: cooperation.ThreatByYear) -> None:
    """The caution (moving together is not cause) and what the chart counts."""
    source = view.dataset.incident_source
    st.warning(
        "Moving together is not cause. These series share a period, not a proven link: more cooperation does "
        "not show that militants target the projects because of it"
        + (", and the incident counts cover a curated sample of notable attacks." if source.curated else "."),
        icon=":material/info:",
    )
    left_out = int(threat.near["left_out"].sum(skipna=True))
    covered = threat.covered
    st.caption(
        f"Sites: those whose partner is {escape_markdown(threat.partner or 'any country')} "
        "and that are in view. "
        f"Incidents: those in view within {model.radius_km:g} km of them, counted only where their point is "
        f"precise enough for that radius (solid bars); {left_out:,} more looked near but were placed too "
        f"coarsely to say (outlined bars). Years the incident data covers: {covered[0]}–{covered[1]}. Risk: "
        f"{settings.MODEL_VERSION}, worst site at each year end. Incidents: "
        f"{escape_markdown(source.credit())}."
    )
