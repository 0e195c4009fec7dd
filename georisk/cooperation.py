"""Cooperation indicators, the composite cooperation index, and cooperation set against threat.

The index, for each year:
  1. each indicator is scaled to 0-1 over the years it has a value (min-max; an indicator with a
     single distinct value scores 1 where it is above zero, else 0);
  2. the index is the weighted mean of the scaled indicators that have a value that year, times 100;
  3. a year whose indicators with values carry less than half of the total weight has no index:
     missing values are never read as zero.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from georisk import risk
from georisk.notices import Dropped
from georisk.schema import INDEX_WEIGHT_RANGE
from georisk.text import plain
from georisk.timeline import milestone_labels, milestones

MIN_COVERAGE = 0.5


def series(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicator x year values, every year from the first to the last present, NaN where missing."""
    if indicators.empty:
        return pd.DataFrame()
    table = indicators.pivot_table(
        index="year", columns="indicator", values="value", aggfunc="first", dropna=False
    )
    years = range(int(indicators["year"].min()), int(indicators["year"].max()) + 1)
    return table.reindex(years).astype(float)


def labels(indicators: pd.DataFrame) -> dict[str, str]:
    return dict(zip(indicators["indicator"], indicators["label"], strict=True))


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    low, high = table.min(), table.max()
    spread = high - low
    scaled = (table - low) / spread.where(spread > 0)
    flat = spread.fillna(0) == 0
    scaled.loc[:, flat] = (table.loc[:, flat] > 0).astype(float).where(table.loc[:, flat].notna())
    return scaled


# The range of an index weight: the link parser and the sliders share it.
WEIGHT = risk.Setting("index weight", *INDEX_WEIGHT_RANGE, 0.5)


def default_weights(indicators: pd.DataFrame, configured: dict | None = None) -> dict[str, float]:
    """Every indicator weighs 1 unless the scenario's catalogue says otherwise (its weights are
    checked when it is read: georisk.catalog)."""
    configured = configured or {}
    return {name: float(configured.get(name, 1.0)) for name in sorted(indicators["indicator"].unique())}


def index(table: pd.DataFrame, weights: dict[str, float], min_coverage: float = MIN_COVERAGE) -> pd.DataFrame:
    """The composite index by year: year, index (0-100 or NaN), coverage (share of the weight with data)."""
    columns = [c for c in table.columns if weights.get(c, 0) > 0]
    if table.empty or not columns:
        return pd.DataFrame({"year": list(table.index), "index": np.nan, "coverage": 0.0})
    scaled = normalise(table[columns])
    w = pd.Series({c: weights[c] for c in columns})
    present = scaled.notna()
    weight_present = present.mul(w, axis=1).sum(axis=1)
    weighted = scaled.fillna(0).mul(w, axis=1).sum(axis=1)
    coverage = weight_present / w.sum()
    value = 100 * weighted / weight_present.where(weight_present > 0)
    value = value.where(coverage >= min_coverage)
    return pd.DataFrame({"year": scaled.index, "index": value.to_numpy(), "coverage": coverage.to_numpy()})


def parse_weights(text: str, known: set[str]) -> tuple[dict[str, float], list[str]]:
    """Weights from their URL form `name:weight,name:weight`; what cannot be used is reported."""
    weights = {}
    unusable = Dropped(
        one="Ignored index weight {value}: expected indicator:weight with a weight "
        f"{WEIGHT.low:g}-{WEIGHT.high:g}.",
        many=f"Ignored {{count}} index weights that are not indicator:weight with a weight "
        f"{WEIGHT.low:g}-{WEIGHT.high:g}; the first {{first}}: {{values}}.",
    )
    for part in filter(None, (text or "").split(",")):
        name, _, value = part.partition(":")
        try:
            number = float(value)
            if name not in known or not (WEIGHT.low <= number <= WEIGHT.high) or math.isnan(number):
                raise ValueError
            weights[name] = number
        except ValueError:
            unusable.add(part)
    return weights, unusable.lines()


def weights_to_text(weights: dict[str, float], defaults: dict[str, float]) -> str:
    """Only the weights that differ from the defaults, so that ordinary links stay short."""
    return ",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()) if v != defaults.get(k))


# ---------------------------------------------------------------------------------------------
# Cooperation against threat


def incidents_near_by_year(
    ctx: risk.Context,
    sites: pd.DataFrame,
    radius_km: float,
    years,
    covered: tuple[int, int],
    mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """Incidents in view within the radius of any of the sites, per year: `counted` (placed
    precisely enough for the radius) and `left_out` (nearby-looking, but too coarse to say);
    NaN outside the years the incident data covers (no data is not zero)."""
    nearby = risk.near_any_site(ctx, sites, radius_km, mask)
    years = list(years)
    out = pd.DataFrame(index=years)
    for column, near in (("counted", nearby.counted), ("left_out", nearby.left_out)):
        counts = ctx.incidents.loc[near, "date"].dt.year.value_counts()
        out[column] = [float(counts.get(y, 0)) for y in years]
    inside = (out.index >= covered[0]) & (out.index <= covered[1])
    return out.where(pd.Series(inside, index=out.index), axis=0)


def risk_by_year(
    sites: pd.DataFrame,
    ctx: risk.Context,
    params: risk.ModelParams,
    years,
    covered: tuple[int, int],
    families: tuple[str, ...] = (),
    mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """The portfolio's worst site score (1-25) and band at the end of each covered year."""
    rows = []
    for year in years:
        if not covered[0] <= year <= covered[1]:
            rows.append({"year": year, "score": np.nan, "band": None})
            continue
        end = pd.Timestamp(year=year, month=12, day=31)
        existing = sites[sites["announced_date"] <= end]
        scores, _ = risk.score_sites(existing, ctx, end, params, families, mask)
        if scores.empty:
            rows.append({"year": year, "score": np.nan, "band": None})
        else:
            rows.append({"year": year, "score": float(scores["score"].max()), "band": scores.iloc[0]["band"]})
    return pd.DataFrame(rows)


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
        font={"family": "Source Sans, sans-serif"},
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


def year_step(years) -> int:
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
        font={"family": "Source Sans, sans-serif"},
    )
    return fig


def against_threat(
    index_frame: pd.DataFrame, near: pd.DataFrame, risk_frame: pd.DataFrame, radius_km: float, partner: str
) -> go.Figure:
    """Three panels on one year axis: the index, the incidents near the partner's sites (counted,
    and beside them those left out for imprecision), the portfolio's worst score."""
    incidents = near["counted"]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=[
            "Cooperation index (0-100)",
            f"Incidents within {radius_km:g} km of {plain(partner)}-backed sites",
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
        font={"family": "Source Sans, sans-serif"},
    )
    fig.update_xaxes(dtick=year_step(near.index))
    fig.update_yaxes(range=[0, 100], row=1, col=1)
    fig.update_yaxes(range=[0, 25], row=3, col=1)
    return fig
