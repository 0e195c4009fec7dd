"""Plotly figures for the overview (and the charts later pages share). Pure: data in, figure out."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from georisk.charts import style
from georisk.charts.style import FONT, discrete_scale
from georisk.model import formula, settings
from georisk.text import plain


def _spread(count: int, radius: float = 0.25) -> list[tuple[float, float]]:
    """Offsets that place `count` markers of one cell around its centre without overlap."""
    if count == 1:
        return [(0.0, 0.0)]
    return [
        (radius * math.cos(2 * math.pi * k / count), radius * math.sin(2 * math.pi * k / count))
        for k in range(count)
    ]


def short_name(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def risk_matrix(
    scores: pd.DataFrame, cuts: tuple[int, int, int, int], selected: str | None = None
) -> go.Figure:
    """The 5x5 likelihood-impact matrix, cells coloured by band, the sites placed on it.

    Each site marker carries its site id in `customdata`, so that a click can select it.
    """
    levels = [1, 2, 3, 4, 5]
    bands = [[settings.BANDS.index(formula.band_of(lk, im, cuts)) for im in levels] for lk in levels]
    labels = [[formula.band_of(lk, im, cuts) for im in levels] for lk in levels]
    fig = go.Figure(
        go.Heatmap(
            x=levels,
            y=levels,
            z=bands,
            zmin=-0.5,
            zmax=len(settings.BANDS) - 0.5,
            text=labels,
            texttemplate="%{text}",
            textfont={"size": 10, "color": "rgba(0,0,0,0.45)"},
            colorscale=discrete_scale([style.BAND_COLOURS[b] for b in settings.BANDS]),
            showscale=False,
            hoverinfo="skip",
            xgap=2,
            ygap=2,
        )
    )
    if not scores.empty:
        xs, ys, names, ids, hovers, sizes, positions, fills = [], [], [], [], [], [], [], []
        for (impact, likelihood), cell in scores.groupby(["impact", "likelihood_class"], sort=False):
            for k, ((dx, dy), site) in enumerate(zip(_spread(len(cell)), cell.itertuples(), strict=True)):
                xs.append(impact + dx)
                ys.append(likelihood + dy)
                # Neighbours in one cell label above and below in turn, so labels do not collide.
                positions.append("top center" if k % 2 == 0 else "bottom center")
                # A site with no threat rating is drawn hollow and marked: its likelihood rests on
                # exposure alone.
                unrated = "threat" in cell and pd.isna(site.threat)
                names.append(plain(short_name(site.name)) + (" (no rating)" if unrated else ""))
                ids.append(site.site_id)
                hovers.append(
                    f"{plain(site.name)}<br>{site.band}: likelihood {likelihood} × impact {impact}"
                    + ("<br>no threat rating: likelihood from exposure alone" if unrated else "")
                )
                sizes.append(18 if site.site_id == selected else 12)
                fills.append("white" if unrated else "#1b1b1b")
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                text=names,
                textposition=positions,
                textfont={"size": 11, "color": "#1b1b1b"},
                customdata=ids,
                hovertext=hovers,
                hoverinfo="text",
                marker={
                    "size": sizes,
                    "color": fills,
                    "line": {"color": ["#1b1b1b" if f == "white" else "white" for f in fills], "width": 2},
                },
                name="sites",
                showlegend=False,
            )
        )
    axis = {
        "tickmode": "array",
        "tickvals": levels,
        "range": [0.5, 5.5],
        "fixedrange": True,
        "showgrid": False,
        "zeroline": False,
    }
    fig.update_layout(
        xaxis={**axis, "title": "Impact (criticality)"},
        yaxis={**axis, "title": "Likelihood"},
        margin={"l": 50, "r": 10, "t": 10, "b": 45},
        height=420,
        font={"family": FONT},
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="white",
    )
    return fig


def segment_bars(units: pd.DataFrame) -> go.Figure:
    """A line site's segments along its length, each coloured by its band."""
    fig = go.Figure()
    for band in settings.BANDS:
        part = units[units["band"] == band]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["km_to"] - part["km_from"],
                base=part["km_from"],
                y=["segments"] * len(part),
                orientation="h",
                marker={"color": style.BAND_COLOURS[band], "line": {"color": "white", "width": 1}},
                name=band,
                customdata=part[["unit_name", "threat", "exposure_level", "likelihood_class"]]
                .astype(object)
                .where(
                    part[["unit_name", "threat", "exposure_level", "likelihood_class"]].notna(), "not rated"
                )
                .to_numpy(),
                hovertemplate="%{customdata[0]}<br>threat %{customdata[1]}, exposure %{customdata[2]:.1f}, "
                "likelihood %{customdata[3]}<extra>" + band + "</extra>",
            )
        )
    fig.update_layout(
        barmode="overlay",
        height=140,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        xaxis={"title": "km from the start of the line", "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
        legend={"orientation": "h", "y": -0.9},
        font={"family": FONT},
    )
    return fig
