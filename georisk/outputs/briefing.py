"""A one-page briefing of a view: self-contained HTML (plotly.js inlined, nothing fetched), and a
PDF of exactly one A4 page printed from it by headless Chromium.

The briefing's map is an SVG drawing of the same layers (provinces by threat, incidents, sites by
band) rather than the app's MapLibre map: it needs no WebGL, no glyph files and no network, so it
opens from a file anywhere and prints the same every time.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon

import georisk
from georisk.analysis import freshness, geography, overview
from georisk.charts import maps, style
from georisk.charts import matrix as charts_matrix
from georisk.model import settings
from georisk.outputs import export
from georisk.scenario import precision
from georisk.text import plain
from georisk.view import View

# Most items of each list a single A4 page holds; the page says when it shows fewer than exist.
TOP_SITES = 3
MAX_JUDGMENTS = 6
MAX_CHANGES = 4
MAX_MAP_INCIDENTS = 3_000


def _polygons(geometry: Polygon | MultiPolygon) -> list[Polygon]:
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]


def static_map(summary: overview.Summary) -> go.Figure:
    """Provinces by threat level, incidents, sites and pipeline segments by band, as SVG."""
    view = summary.view
    dataset = view.dataset
    levels = geography.province_levels(
        summary.ctx, summary.asof, set(view.filters.actors), summary.model.ratings
    )
    level_of = dict(zip(levels["province"], levels["level"], strict=True))
    fig = go.Figure()
    for name, geometry in zip(dataset.boundaries["name"], dataset.boundaries.geometry, strict=True):
        level = level_of.get(name)
        # A province with no rating is grey, never the colour of a level.
        colour = (
            style.NO_RATING_COLOUR
            if level is None or pd.isna(level)
            else style.THREAT_COLOURS[int(level) - 1]
        )
        for polygon in _polygons(geometry):
            xs, ys = polygon.exterior.xy
            fig.add_trace(
                go.Scatter(
                    x=list(xs),
                    y=list(ys),
                    fill="toself",
                    fillcolor=colour,
                    mode="lines",
                    line={"color": "#777777", "width": 0.6},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        point = geometry.representative_point()
        fig.add_annotation(
            x=point.x, y=point.y, text=plain(name), showarrow=False, font={"size": 7, "color": "#333333"}
        )
    # Filled: points that count toward exposure; open circles: too coarse for the radius;
    # province-level points are not drawn as places.
    ctx, radius = summary.ctx, summary.model.radius_km
    positions = np.flatnonzero(view.incident_mask)[-MAX_MAP_INCIDENTS:]
    uncertainty = ctx.uncertainty[positions]
    incidents = ctx.incidents.iloc[positions]
    for symbol, keep in (
        ("circle", precision.usable(uncertainty, radius)),
        ("circle-open", np.isfinite(uncertainty) & ~precision.usable(uncertainty, radius)),
    ):
        fig.add_trace(
            go.Scatter(
                x=incidents.loc[keep, "lon"],
                y=incidents.loc[keep, "lat"],
                mode="markers",
                hoverinfo="skip",
                marker={
                    "size": 3 if symbol == "circle" else 5,
                    "color": "#444444",
                    "opacity": 0.5,
                    "symbol": symbol,
                },
                name="incidents",
            )
        )
    units = summary.units
    for band in settings.BANDS:
        colour = style.BAND_COLOURS[band]
        part = units[units["band"] == band] if not units.empty else units
        lines = (
            [g for g in part["geometry"] if isinstance(g, LineString | MultiLineString)] if len(part) else []
        )
        lons, lats = maps.line_coordinates(lines)
        if lons:
            fig.add_trace(
                go.Scatter(
                    x=lons,
                    y=lats,
                    mode="lines",
                    line={"color": colour, "width": 4},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        points = (
            [
                g.representative_point()
                for g in part["geometry"]
                if not isinstance(g, LineString | MultiLineString)
            ]
            if len(part)
            else []
        )
        if points:
            fig.add_trace(
                go.Scatter(
                    x=[p.x for p in points],
                    y=[p.y for p in points],
                    mode="markers",
                    marker={"size": 9, "color": colour, "line": {"color": "#222222", "width": 1}},
                    hoverinfo="skip",
                    name=band,
                )
            )
    lat = summary.ctx.projection.degrees(0, 0)[1]
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1 / math.cos(math.radians(float(lat)))},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        plot_bgcolor="white",
        height=300,
        width=390,
    )
    return fig


def _figure_html(fig: go.Figure, div_id: str) -> str:
    # A fixed div id (plotly draws a random one): the same view then gives the same HTML, which
    # is what the app's PDF cache is keyed by.
    return pio.to_html(
        fig, full_html=False, include_plotlyjs=False, config={"staticPlot": True}, div_id=div_id
    )


def _escape(value: object) -> str:
    return plain(value)


@dataclass(frozen=True)
class Briefing:
    html: str
    title: str


def build(summary: overview.Summary, link: str = "", stale_hours: float | None = None) -> Briefing:
    """The briefing of a summary; its incidents' freshness is judged by `stale_hours` (default:
    the data folder's stale age)."""
    view, head = summary.view, summary.headline
    dataset, filters = view.dataset, view.filters
    title = dataset.scenario.get("title", "Risk briefing")
    scope = _scope(view)
    band = head.band or "no site in view"
    band_colour = style.BAND_COLOURS.get(head.band, "#cccccc")
    matrix = charts_matrix.risk_matrix(summary.scores, summary.model.cuts)
    matrix.update_layout(height=300, width=330, margin={"l": 40, "r": 5, "t": 5, "b": 35}, font={"size": 9})
    sites_html = (
        "".join(
            f"<li><span class='band' style='background:{style.BAND_COLOURS[r.band]}'>"
            f"{_escape(r.band)}</span> "
            f"<b>{_escape(r.name)}</b>: {_escape(r.reason)}</li>"
            for r in summary.scores.head(TOP_SITES).itertuples()
        )
        or "<li>No site in view.</li>"
    )
    judgments = dataset.judgments.head(MAX_JUDGMENTS)
    judgments_html = "".join(
        f"<li><b>{_escape(r.likelihood_term)}</b> ({_escape(r.probability_band)}, {_escape(r.confidence)} "
        f"confidence): {_escape(r.statement)}</li>"
        for r in judgments.itertuples()
    )
    more_judgments = (
        f"<p class='small'>{len(dataset.judgments) - len(judgments)} more judgments in the app.</p>"
        if len(dataset.judgments) > len(judgments)
        else ""
    )
    moved = summary.moved.head(MAX_CHANGES)
    moved_html = (
        "".join(
            f"<li>{_escape(r.name)}: {_escape(r.band_before)} → {_escape(r.band_now)}</li>"
            for r in moved.itertuples()
        )
        or "<li>No site changed band.</li>"
    )
    sources = _escape(dataset.sources_text())
    stamps = export.stamps(dataset, stale_hours)
    stale = freshness.stale_sentence(stamps)
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = TEMPLATE.format(
        plotlyjs=get_plotlyjs(),
        title=_escape(title),
        asof=filters.asof.isoformat(),
        scope=_escape(scope),
        band=_escape(band),
        band_colour=band_colour,
        change=_escape(head.change() + "." if head.band else head.sentence()),
        worst=_escape(head.worst_site or "-"),
        trend=_escape(head.trend_sentence()),
        ratings_notice=(f"<br><b>{_escape(summary.ratings.text())}</b>" if summary.ratings.text() else ""),
        stale_notice=f"<br><b>{_escape(stale)}</b>" if stale else "",
        freshness=_escape(" · ".join(stamp.line() for stamp in stamps)),
        left_out=(f"; {summary.left_out_now} more left out for imprecision" if summary.left_out_now else ""),
        top_two=summary.top_two,
        site_count=len(summary.scores),
        incidents_now=head.incidents_now,
        incidents_before=head.incidents_before,
        window=overview.WINDOW_DAYS,
        province=_escape(", ".join(summary.provinces) or "no rating"),
        province_level="" if summary.top_level is None else f" (level {summary.top_level})",
        matrix=_figure_html(matrix, "matrix"),
        map=_figure_html(static_map(summary), "map"),
        sites=sites_html,
        since=summary.since.isoformat(),
        moved=moved_html,
        new_incidents=len(summary.new_incidents),
        new_events=len(summary.new_events),
        judgments=judgments_html,
        more_judgments=more_judgments,
        sources=sources,
        model=_escape(settings.MODEL_VERSION),
        model_settings=_escape(_settings(summary.model)),
        link=_escape(link),
        generated=generated,
        version=georisk.__version__,
    )
    return Briefing(html=html, title=title)


def _scope(view: View) -> str:
    f = view.filters
    parts = [f"period {f.start.isoformat()} to {f.end.isoformat()}"]
    for label, values in (
        ("sector", f.sectors),
        ("region", f.regions),
        ("actor", f.actors),
        ("category", f.categories),
        ("attribution", f.attributions),
        ("outcome", f.outcomes),
    ):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return "; ".join(parts)


def _settings(model: settings.ModelSettings) -> str:
    return (
        f"radius {model.radius_km:g} km, half-life {model.half_life_days:g} days, weights threat "
        f"{model.w_threat:g} / exposure {model.w_exposure:g}, band cut-offs {','.join(map(str, model.cuts))}"
    )


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}: briefing as of {asof}</title>
<script>{plotlyjs}</script>
<style>
@page {{ size: A4; margin: 9mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 8.4pt; color: #1b1b1b; margin: 0; }}
.page {{ width: 192mm; height: 278mm; overflow: hidden; margin: 0 auto; }}
h1 {{ font-size: 14pt; margin: 0 0 1mm 0; }}
h2 {{ font-size: 9.5pt; margin: 2.5mm 0 1mm 0; border-bottom: 1px solid #ccc; }}
.meta, .small {{ color: #555; font-size: 7pt; margin: 0; }}
.headline {{ border: 1px solid #bbb; border-left: 6mm solid {band_colour}; padding: 2mm 3mm; margin-top: 2mm; }}
.headline .band {{ font-size: 13pt; font-weight: bold; }}
.figures {{ display: flex; gap: 3mm; margin-top: 2mm; }}
.figures div {{ flex: 1; border: 1px solid #ddd; padding: 1.5mm; }}
.figures b {{ display: block; font-size: 11pt; }}
.row {{ display: flex; gap: 3mm; align-items: flex-start; }}
ul {{ margin: 0; padding-left: 4mm; }}
li {{ margin-bottom: 0.8mm; }}
span.band {{ display: inline-block; padding: 0 1.5mm; border-radius: 1mm; font-size: 7pt; color: #111; }}
footer {{ margin-top: 2mm; font-size: 6.2pt; color: #555; }}
</style></head>
<body><div class="page">
<h1>{title}</h1>
<p class="meta">Briefing as of <b>{asof}</b> · {scope} · generated {generated} by georisk {version}</p>
<div class="headline"><span class="band">Portfolio risk: {band}</span><br>{change} Most exposed: <b>{worst}</b>.<br>{trend}{ratings_notice}{stale_notice}</div>
<div class="figures">
<div>Sites at High or Very high<b>{top_two} of {site_count}</b></div>
<div>Incidents near sites, last {window} days<b>{incidents_now} (previous {window}: {incidents_before}{left_out})</b></div>
<div>Highest-threat province<b>{province}{province_level}</b></div>
</div>
<div class="row">
<div><h2>Likelihood and impact</h2>{matrix}</div>
<div><h2>Map: threat by province, incidents, sites by band</h2>{map}</div>
</div>
<h2>Most exposed sites</h2><ul>{sites}</ul>
<h2>What changed since {since}</h2>
<p>{new_incidents} new incidents near sites · {new_events} new events</p><ul>{moved}</ul>
<h2>Key judgments</h2><ul>{judgments}</ul>{more_judgments}
<footer><b>Model:</b> {model} ({model_settings}). Likelihood words: ICD 203 scale.
{sources}<br><b>Freshness:</b> {freshness}<br><b>View:</b> {link}</footer>
</div></body></html>
"""
