"""georisk.charts.indicators."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from georisk.analysis.timeline import milestones
from georisk.charts.lanes import milestone_labels
from georisk.charts.style import FONT
from georisk.text import plain

# ---------------------------------------------------------------------------------------------
# Figures


def small_multiples(table: pd.DataFrame, names: dict[str, str], units: dict[str, str]) -> go.Figure:
    columns = list(table.columns)
    cols = 3
    rows = max(1, math.ceil(len(columns) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_title(names.get(c, c)) for c in columns],
        vertical_spacing=0.16 if rows > 1 else 0.1,
        horizontal_spacing=0.06,
    )
    for i, column in enumerate(columns):
        r, c = i // cols + 1, i % cols + 1
        values = table[column]
        fig.add_trace(
            go.Bar(
                x=values.index,
                y=values,
                marker={"color": "#1f4e79"},
                showlegend=False,
                hovertemplate="%{x}: %{y:,.4~g} " + plain(units.get(column, "")) + "<extra></extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_trace(_missing_years(values, "n/a", 9), row=r, col=c)
    fig.update_layout(
        height=260 * rows,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": FONT},
        bargap=0.25,
    )
    fig.update_annotations(font={"size": 11})
    fig.update_xaxes(dtick=max(2, year_step(table.index)), tickfont={"size": 10})
    return fig


def _title(name: str, width: int = 22, lines: int = 3) -> str:
    """A subplot title in short lines: three charts share a row, which is about 120 px each on a
    phone, and plotly neither wraps nor clips a title, so long ones ran into their neighbours."""
    wrapped = textwrap.wrap(str(name), width, max_lines=lines, placeholder=" …")
    return "<br>".join(plain(line) for line in wrapped)


# Most year labels (or "n/a" marks) an axis shows before they would run into each other.
MAX_YEAR_LABELS = 15


def year_step(years: Iterable[int]) -> int:
    """The step between labelled years: every year on a short axis, a round step (2, 5, 10, 20, 50
    ...) on a long one, so that a series reaching back a century stays readable."""
    years = list(years)
    span = (max(years) - min(years) + 1) if years else 1
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if span / step <= MAX_YEAR_LABELS:
            return step
    return 1000


def _missing_years(values: pd.Series, label: str, size: int) -> go.Scatter:
    """A mark on the axis for each year with no figure: a missing year is shown, never drawn as 0.
    On a long axis the words would overlap, so each missing year is a small grey tick instead."""
    missing = values[values.isna()]
    words = len(values) <= MAX_YEAR_LABELS * 2
    return go.Scatter(
        x=missing.index,
        y=[0] * len(missing),
        mode="text" if words else "markers",
        text=[label] * len(missing) if words else None,
        textfont={"size": size, "color": "#8a8a8a"},
        textposition="top center",
        marker={"symbol": "line-ns-open", "size": size, "color": "#8a8a8a"},
        hovertemplate="%{x}: no figure found<extra></extra>",
        showlegend=False,
    )


def indicator_figure(
    table: pd.DataFrame, column: str, name: str, unit: str, events: pd.DataFrame
) -> go.Figure:
    values = table[column]
    fig = go.Figure(
        go.Bar(
            x=values.index,
            y=values,
            name=plain(name),
            marker={"color": "#1f4e79"},
            hovertemplate="%{x}: %{y:,.4~g} " + plain(unit) + "<extra></extra>",
        )
    )
    fig.add_trace(_missing_years(values, "no data", 10))
    key = milestones(events)
    first, last = values.index.min(), values.index.max()
    # A label only where it does not overlap the previous one (about 40 fit across the chart).
    labelled = milestone_labels(key["date"], f"{first - 1}-07-01", f"{last}-07-01", slots=40)
    for event, label in zip(key.itertuples(), labelled, strict=True):
        x = event.date.year + (event.date.day_of_year - 1) / 366 - 0.5
        fig.add_vline(x=x, line={"width": 1, "dash": "dot", "color": "#b15928"})
        if label:
            fig.add_annotation(
                x=x,
                y=1,
                yref="paper",
                text=plain(event.title[:34]),
                textangle=-90,
                showarrow=False,
                xanchor="right",
                yanchor="top",
                font={"size": 9, "color": "#b15928"},
            )
    fig.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        yaxis={"title": plain(unit)},
        xaxis={"dtick": year_step(values.index)},
        font={"family": FONT},
    )
    return fig


def against_threat(
    index_frame: pd.DataFrame,
    near: pd.DataFrame,
    risk_frame: pd.DataFrame,
    radius_km: float,
    partner: str | None,
) -> go.Figure:
    """Three panels on one year axis: the index, the incidents near the partner's sites (counted,
    and beside them those left out for imprecision), the portfolio's worst score. `partner` is the
    scenario's partner country (catalog.json scenario.partner_country); None: "partner"."""
    incidents = near["counted"]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=[
            "Cooperation index (0-100)",
            f"Incidents within {radius_km:g} km of {plain(partner or 'partner')}-backed sites",
            "Portfolio risk: worst site score at year end (1-25)",
        ],
    )
    fig.add_trace(
        go.Scatter(
            x=index_frame["year"],
            y=index_frame["index"],
            mode="lines+markers",
            line={"color": "#1f4e79"},
            connectgaps=False,
            name="index",
            hovertemplate="%{x}: %{y:.0f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=incidents.index,
            y=incidents.to_numpy(),
            marker={"color": "#e31a1c"},
            name="counted",
            hovertemplate="%{x}: %{y} incident(s) counted<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=near.index,
            y=near["left_out"].to_numpy(),
            marker={"color": "rgba(0,0,0,0)", "line": {"color": "#e31a1c", "width": 1.5}},
            name="left out for imprecision",
            hovertemplate="%{x}: %{y} more nearby-looking, left out for imprecision<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=risk_frame["year"],
            y=risk_frame["score"],
            mode="lines+markers",
            connectgaps=False,
            line={"color": "#fc8d59"},
            name="worst score",
            text=risk_frame["band"],
            hovertemplate="%{x}: score %{y} (%{text})<extra></extra>",
        ),
        row=3,
        col=1,
    )
    fig.add_trace(_missing_years(incidents, "no data", 9), row=2, col=1)
    fig.update_layout(
        height=620,
        barmode="group",
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT},
    )
    fig.update_xaxes(dtick=year_step(near.index))
    fig.update_yaxes(range=[0, 100], row=1, col=1)
    fig.update_yaxes(range=[0, 25], row=3, col=1)
    return fig
