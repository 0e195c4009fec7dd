"""The map: plotly MapLibre traces, drawn with no network by default.

Layers (their names are the values of the `layers` URL parameter):
    provinces  provinces coloured by threat level at the as-of date for the families considered
    density    incidents counted in hexagons (the layer to use for large feeds)
    incidents  incidents as points, coloured by actor family, sized by deaths: filled where the point
               is precise enough to count toward exposure at the radius in force, a ring of the
               distance it may be off by where it is not, and, for points that stand only for a
               province (or coarser), one count per province instead of dots
    rings      the model's radius around each site
    sites      sites coloured by risk band; a line's segments each in its own band
    tiles      an OpenStreetMap tile basemap (needs the internet; off by default)

The default style is a plain background: the boundaries, province names and town labels from the
data give the context, and label glyphs are served by the app itself (static/fonts), so nothing is
fetched from another host. A tile basemap (OpenStreetMap) is an option for online users.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import LineString, MultiLineString, mapping

from georisk.analysis.geography import HEX_KM, LAYERS, density, province_levels, town_labels
from georisk.charts import style as charts_style
from georisk.charts.style import NO_RATING_COLOUR, THREAT_COLOURS, UNKNOWN_COLOUR, family_colours
from georisk.model import context, settings
from georisk.model import projection as model_projection
from georisk.scenario import precision
from georisk.text import count_text, plain
from georisk.view import View

LAYER_LABELS = {
    "tiles": "Tile basemap (online)",
    "provinces": "Threat by province",
    "density": "Incident density",
    "incidents": "Incidents",
    "rings": "Radius rings",
    "sites": "Sites",
}
# Above this many incidents the points layer is replaced by the density layer: a browser draws
# a few thousand markers quickly, a hundred thousand not at all well (DESIGN.md §6).
MAX_MAP_POINTS = 5_000
GLYPH_FONT = "Noto Sans Regular"
# Relative to the page, so that it also works under a base URL path behind a proxy.
GLYPHS = "app/static/fonts/{fontstack}/{range}.pbf"


def map_style(basemap: bool) -> dict:
    """A MapLibre style with our own glyphs; tiles only when asked for."""
    style = {
        "version": 8,
        "glyphs": GLYPHS,
        # MapLibre requires a `sources` member, and plotly.js drops an empty object on its way to
        # the browser (the map then raised "Map error." on every load: "missing required property
        # sources"). One empty GeoJSON source, used by no layer, keeps the member.
        "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#ffffff"}}],
    }
    if basemap:
        style["sources"]["osm"] = {
            "type": "raster",
            "tiles": ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"],
            "tileSize": 256,
            "attribution": "© OpenStreetMap contributors",
        }
        style["layers"].append(
            {"id": "osm", "type": "raster", "source": "osm", "paint": {"raster-opacity": 0.6}}
        )
    return style


# ---------------------------------------------------------------------------------------------
# Traces


def line_coordinates(geometries) -> tuple[list, list]:
    """Coordinates of several lines in one trace, separated by gaps."""
    lons, lats = [], []
    for geometry in geometries:
        parts = geometry.geoms if isinstance(geometry, MultiLineString) else [geometry]
        for part in parts:
            xs, ys = part.xy
            lons += [*xs, None]
            lats += [*ys, None]
    return lons, lats


def province_traces(boundaries, levels: pd.DataFrame, scale: pd.DataFrame) -> list[go.BaseTraceType]:
    """Provinces filled by threat level; provinces with no rating in grey, said in their hover and
    in the legend (a missing rating is never drawn as a level)."""
    labels = dict(zip(scale["level"], scale["label"], strict=True)) if not scale.empty else {}
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": name, "geometry": mapping(geometry), "properties": {}}
            for name, geometry in zip(boundaries["name"], boundaries.geometry, strict=True)
        ],
    }
    rated = levels[levels["level"].notna()]
    unrated = levels[levels["level"].isna()]
    hover = [
        f"{plain(p)}<br>threat level {lv} ({plain(labels.get(lv, ''))})<br>{plain(w)}"
        for p, lv, w in zip(rated["province"], rated["level"], rated["words"], strict=True)
    ]
    traces: list[go.BaseTraceType] = [
        go.Choroplethmap(
            geojson=geojson,
            locations=rated["province"],
            z=rated["level"].astype(float),
            zmin=0.5,
            zmax=5.5,
            colorscale=charts_style.discrete_scale(THREAT_COLOURS),
            marker={"opacity": 0.75, "line": {"width": 1, "color": "#555555"}},
            colorbar={
                "title": {"text": "Threat level"},
                "tickvals": [1, 2, 3, 4, 5],
                "ticktext": [f"{lv} {labels.get(lv, '')}".strip() for lv in range(1, 6)],
                "thickness": 12,
                "len": 0.3,
                "x": 1.0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "top",
            },
            hovertext=hover,
            hoverinfo="text",
            name="Threat level (provinces)",
            showlegend=False,
        )
    ]
    if len(unrated):
        traces.append(
            go.Choroplethmap(
                geojson=geojson,
                locations=unrated["province"],
                z=[0] * len(unrated),
                colorscale=charts_style.discrete_scale([NO_RATING_COLOUR]),
                showscale=False,
                marker={"opacity": 0.75, "line": {"width": 1, "color": "#555555"}},
                hovertext=[f"{plain(p)}<br>no threat rating at this date" for p in unrated["province"]],
                hoverinfo="text",
                name="No threat rating (grey)",
                showlegend=True,
                legendgroup="provinces",
            )
        )
    return traces


def outline_trace(boundaries) -> go.Scattermap:
    lons, lats = line_coordinates(g.boundary for g in boundaries.geometry)
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"width": 1, "color": "#888888"},
        hoverinfo="skip",
        showlegend=False,
        name="boundaries",
    )


def label_traces(boundaries, towns: pd.DataFrame) -> list[go.Scattermap]:
    points = [g.representative_point() for g in boundaries.geometry]
    provinces = go.Scattermap(
        lon=[p.x for p in points],
        lat=[p.y for p in points],
        mode="text",
        text=list(boundaries["name"]),
        textfont={"family": GLYPH_FONT, "size": 12, "color": "#3a3a3a"},
        hoverinfo="skip",
        showlegend=False,
        name="province names",
    )
    places = go.Scattermap(
        lon=towns["lon"],
        lat=towns["lat"],
        mode="markers+text",
        text=towns["name"],
        textposition="top right",
        textfont={"family": GLYPH_FONT, "size": 11, "color": "#222222"},
        marker={"size": 4, "color": "#222222"},
        hoverinfo="skip",
        showlegend=False,
        name="towns",
    )
    return [provinces, places]


def _hover(group: pd.DataFrame, family: str) -> list[str]:
    attribution = group["attribution"] if "attribution" in group else pd.Series(None, index=group.index)
    attribution = attribution.where(attribution.notna(), "attribution not stated")
    return [
        f"{d.date()} · {plain(loc)}<br>{plain(g)} ({plain(family)}, {plain(a)})<br>target: {plain(t)}"
        f"<br>killed: {count_text(k)}<br>placed: {plain(pr)}<br>{plain(s)[:120]}"
        for d, loc, g, a, t, k, pr, s in zip(
            group["date"],
            group["location"],
            group["group"],
            attribution,
            group["target_type"],
            group["killed"],
            group["geo_precision"],
            group["source"],
            strict=True,
        )
    ]


def incident_traces(incidents: pd.DataFrame, colours: dict[str, str]) -> list[go.Scattermap]:
    """Incidents whose points count toward exposure, as filled dots, one trace per family."""
    traces = []
    for family, group in incidents.groupby("actor_family", sort=True):
        killed = group["killed"].to_numpy(dtype=float, na_value=0.0)
        traces.append(
            go.Scattermap(
                lon=group["lon"],
                lat=group["lat"],
                mode="markers",
                marker={
                    "size": 6 + 3 * np.sqrt(killed),
                    "sizemode": "diameter",
                    "color": colours.get(family, UNKNOWN_COLOUR),
                    "opacity": 0.75,
                },
                hovertext=_hover(group, family),
                hoverinfo="text",
                name=f"{plain(family)} ({len(group)})",
                legendgroup="incidents",
                legendgrouptitle={"text": "Incidents"},
            )
        )
    return traces


def imprecise_traces(
    incidents: pd.DataFrame, district_km: float | None, projection: model_projection.Projection
) -> list[go.Scattermap]:
    """Incidents whose points are too coarse to count at the radius in force, but finer than a
    province: each as a ring around the area it stands for (hollow: not an exact place)."""
    if incidents.empty:
        return []
    areas = {level: precision.area_km(level, district_km) for level in precision.PRECISIONS}
    radius_m = incidents["geo_precision"].map(areas).fillna(5.0).to_numpy(dtype=float) * 1000
    x, y = projection.points(incidents["lon"], incidents["lat"])
    lons, lats = line_coordinates(rings_around(projection, shapely.points(x, y), radius_m, quad_segs=6))
    rings = go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"width": 0.8, "color": "#6a6a6a"},
        hoverinfo="skip",
        name=f"Too coarse for distance ({len(incidents)})",
        legendgroup="imprecise",
    )
    centres = go.Scattermap(
        lon=incidents["lon"],
        lat=incidents["lat"],
        mode="markers",
        marker={"size": 10, "opacity": 0},
        hovertext=[f"{h}<br><i>not used for distance</i>" for h in _hover(incidents, "")],
        hoverinfo="text",
        showlegend=False,
        legendgroup="imprecise",
        name="imprecise points",
    )
    return [rings, centres]


def province_count_trace(incidents: pd.DataFrame, boundaries) -> go.Scattermap | None:
    """Incidents placed only at a province (or coarser): one label per province with their count,
    never dots at the province's point."""
    if incidents.empty or boundaries.empty:
        return None
    counts = incidents.groupby("province").size()
    points = {
        n: g.representative_point() for n, g in zip(boundaries["name"], boundaries.geometry, strict=True)
    }
    names = [n for n in counts.index if n in points]
    return go.Scattermap(
        lon=[points[n].x for n in names],
        lat=[points[n].y - 0.35 for n in names],
        mode="text",
        text=[f"+{counts[n]:,} in province" for n in names],
        textfont={"family": GLYPH_FONT, "size": 11, "color": "#5a3d00"},
        hovertext=[
            f"{plain(n)}: {counts[n]:,} incident(s) placed only at the province (or coarser): "
            "they count in the province's context, not for distance"
            for n in names
        ],
        hoverinfo="text",
        name=f"At a province only ({int(counts[names].sum()) if names else 0})",
        legendgroup="imprecise",
    )


def density_trace(geojson: dict, cells: pd.DataFrame, size_km: float) -> go.Choroplethmap:
    """Hexagons coloured by the logarithm of their count: one stacked point (a thousand incidents
    at one coordinate) cannot flatten the scale for every other cell. Half transparent, so the
    provinces' threat colours still show through."""
    top = max(1.0, float(cells["count"].max())) if len(cells) else 1.0
    ticks = [v for v in (1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000) if v <= top * 1.01] or [1]
    return go.Choroplethmap(
        geojson=geojson,
        locations=cells["id"],
        z=np.log10(cells["count"].to_numpy(dtype=float)),
        zmin=0,
        zmax=max(np.log10(top), 0.5),
        colorscale="YlOrBr",
        marker={"opacity": 0.55, "line": {"width": 0.5, "color": "#7a4a00"}},
        colorbar={
            "title": {"text": f"Incidents per<br>{size_km:g} km hexagon"},
            "tickvals": [float(np.log10(v)) for v in ticks],
            "ticktext": [f"{v:,}" for v in ticks],
            "thickness": 12,
            "len": 0.3,
            "x": 1.12,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
        },
        customdata=np.stack([cells["count"].to_numpy(), cells["killed"].to_numpy()], axis=1)
        if len(cells)
        else None,
        hovertemplate="%{customdata[0]:,} incidents, %{customdata[1]:,.0f} killed<extra></extra>",
        name="Incident density",
        showlegend=False,
    )


def rings_around(
    projection: model_projection.Projection, geometries_m, radius_m, quad_segs: int = 16
) -> list:
    """The outline, in degrees, of the area within radius_m (one value or one per geometry) of
    each metric geometry: a point's is a circle, a line's the corridor of that width along it."""
    areas = shapely.buffer(np.asarray(geometries_m, dtype=object), radius_m, quad_segs=quad_segs)
    return [projection.to_degrees(area).exterior for area in areas]


def ring_trace(
    sites: pd.DataFrame, projection: model_projection.Projection, radius_km: float
) -> go.Scattermap:
    metric = [projection.to_metric(g) for g in sites.geometry]
    lons, lats = line_coordinates(rings_around(projection, metric, radius_km * 1000))
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"width": 1.5, "color": "#333333"},
        hoverinfo="skip",
        name=f"{radius_km:g} km radius",
        legendgroup="sites",
    )


def site_traces(scores: pd.DataFrame, units: pd.DataFrame, sites: pd.DataFrame, selected: str | None):
    """Sites by band: points as markers, lines as their segments; every trace carries site ids."""
    traces = []
    info = scores.set_index("site_id") if not scores.empty else scores
    is_line = (
        units["geometry"].map(lambda g: isinstance(g, LineString | MultiLineString))
        if not units.empty
        else []
    )
    for band in settings.BANDS:
        colour = charts_style.BAND_COLOURS[band]
        line_units = units[(units["band"] == band) & is_line] if not units.empty else units
        if len(line_units):
            lons, lats = line_coordinates(line_units["geometry"])
            traces.append(
                go.Scattermap(
                    lon=lons,
                    lat=lats,
                    mode="lines",
                    line={"width": 6, "color": colour},
                    hoverinfo="skip",
                    name=f"{band} (line segment)",
                    legendgroup="bands",
                    showlegend=False,
                )
            )
            mids = [g.interpolate(0.5, normalized=True) for g in line_units["geometry"]]
            traces.append(
                go.Scattermap(
                    lon=[p.x for p in mids],
                    lat=[p.y for p in mids],
                    mode="markers",
                    marker={"size": 9, "color": colour},
                    customdata=line_units["site_id"],
                    hovertext=[
                        f"{plain(info.at[s, 'name'])}: {plain(u)}<br>{band}"
                        for s, u in zip(line_units["site_id"], line_units["unit_name"], strict=True)
                    ],
                    hoverinfo="text",
                    name=f"{band} segments",
                    showlegend=False,
                    legendgroup="bands",
                )
            )
        point_sites = scores[(scores["band"] == band)] if not scores.empty else scores
        point_sites = point_sites[
            ~point_sites["site_id"].isin(line_units["site_id"] if len(line_units) else [])
        ]
        point_sites = point_sites[
            point_sites["site_id"].isin(units.loc[~is_line, "site_id"] if not units.empty else [])
        ]
        geoms = sites.set_index("site_id").loc[point_sites["site_id"], "geometry"] if len(point_sites) else []
        centres = [g.representative_point() if not isinstance(g, shapely.Point) else g for g in geoms]
        traces.append(
            go.Scattermap(
                lon=[p.x for p in centres],
                lat=[p.y for p in centres],
                mode="markers+text",
                # MapLibre draws label text as text (no markup), so the names go in as they are.
                text=list(point_sites["name"]) if len(point_sites) else [],
                textposition="bottom right",
                textfont={"family": GLYPH_FONT, "size": 11, "color": "#111111"},
                marker={
                    "size": [22 if s == selected else 15 for s in point_sites["site_id"]],
                    "color": colour,
                },
                customdata=list(point_sites["site_id"]),
                hovertext=[
                    f"<b>{plain(n)}</b><br>{band}<br>{plain(r)}"
                    for n, r in zip(point_sites["name"], point_sites["reason"], strict=True)
                ]
                if len(point_sites)
                else [],
                hoverinfo="text",
                name=band,
                legendgroup="bands",
                legendgrouptitle={"text": "Site risk band"},
            )
        )
    return traces


# ---------------------------------------------------------------------------------------------
# The figure


def view_of(boundaries, sites) -> tuple[dict, float]:
    geoms = list(boundaries.geometry) or list(sites.geometry)
    if not geoms:
        return {"lat": 0.0, "lon": 0.0}, 1.0
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms))
    span = max(maxx - minx, (maxy - miny) * 1.3, 0.5)
    return {"lat": (miny + maxy) / 2, "lon": (minx + maxx) / 2}, round(math.log2(360 / span) + 0.45, 2)


def map_figure(
    *,
    layers: tuple[str, ...],
    ctx: context.ModelContext,
    asof,
    radius_km: float,
    province_level: pd.DataFrame,
    threat_scale: pd.DataFrame,
    scores: pd.DataFrame,
    units: pd.DataFrame,
    sites,
    colours: dict[str, str],
    mask: np.ndarray | None = None,
    selected: str | None = None,
    max_points: int = MAX_MAP_POINTS,
) -> tuple[go.Figure, list[str]]:
    """The map with the layers asked for; returns the figure and notes on what was drawn.
    `mask`: which of the context's incidents are in view (None: all)."""
    notes: list[str] = []
    boundaries, projection = ctx.boundaries, ctx.projection
    in_view = np.ones(len(ctx.incidents), dtype=bool) if mask is None else mask
    in_view = in_view & (ctx.dates <= np.datetime64(pd.Timestamp(asof)))
    positions = np.flatnonzero(in_view)
    incidents = ctx.incidents.iloc[positions]
    uncertainty = ctx.uncertainty[positions]
    counted = precision.usable(uncertainty, radius_km)
    # Province-level (or coarser) points and flagged geocodes say nothing about where in the
    # province an incident was: they are counted per province, never drawn as a place.
    placed = np.isfinite(uncertainty)
    layers = tuple(layer for layer in LAYERS if layer in layers)
    if "incidents" in layers and len(incidents) > max_points:
        notes.append(
            f"{len(incidents):,} incidents are too many to draw one by one: the map shows their "
            "density in hexagons instead."
        )
        layers = tuple(layer for layer in layers if layer != "incidents")
        if "density" not in layers:
            layers = (*layers, "density")
    traces: list = []
    if "provinces" in layers and not boundaries.empty:
        traces += province_traces(boundaries, province_level, threat_scale)
        if province_level["level"].isna().any():
            unrated = ", ".join(province_level.loc[province_level["level"].isna(), "province"])
            notes.append(f"No threat rating at this date for {unrated}: drawn in grey, not as a level.")
    if "density" in layers:
        geojson, cells = density(
            incidents[placed], projection, xy=(ctx.x[positions][placed], ctx.y[positions][placed])
        )
        traces.append(density_trace(geojson, cells, HEX_KM))
        if (~placed).any():
            notes.append(
                f"The density counts the {int(placed.sum()):,} incidents placed finer than a province; "
                f"{int((~placed).sum()):,} placed only at a province (or flagged) are counted per province."
            )
    if not boundaries.empty:
        traces.append(outline_trace(boundaries))
        traces += label_traces(
            boundaries,
            town_labels(incidents) if len(incidents) <= max_points else town_labels(incidents.head(0)),
        )
    if "incidents" in layers:
        traces += incident_traces(incidents[counted], colours)
        traces += imprecise_traces(incidents[placed & ~counted], ctx.district_km, projection)
    if ("incidents" in layers or "density" in layers) and (~placed).any():
        province_counts = province_count_trace(incidents[~placed], boundaries)
        if province_counts is not None:
            traces.append(province_counts)
    if "rings" in layers and not sites.empty:
        traces.append(ring_trace(sites, projection, radius_km))
    if "sites" in layers and not scores.empty:
        traces += site_traces(scores, units, sites, selected)
    fig = go.Figure(traces)
    center, zoom = view_of(boundaries, sites)
    fig.update_layout(
        map={"style": map_style("tiles" in layers), "center": center, "zoom": zoom},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=640,
        # Below the colour bars, and short enough not to push the map's bottom margin up.
        legend={
            "x": 1.0,
            "xanchor": "left",
            "y": 0.66,
            "yanchor": "top",
            "groupclick": "toggleitem",
            "font": {"size": 10},
            "tracegroupgap": 4,
        },
        # Keeps the analyst's pan and zoom when the figure is rebuilt on a rerun.
        uirevision="map",
        clickmode="event+select",
        font={"family": charts_style.FONT},
    )
    return fig, notes


def view_map(
    view: View,
    model: settings.ModelSettings,
    layers: tuple[str, ...],
    selected: str | None = None,
    *,
    max_points: int = MAX_MAP_POINTS,
) -> tuple[go.Figure, list[str]]:
    """The map of a view, scored with `model` (the view's one shared scoring, `View.scores`):
    what the Map page draws, its tests check and the benchmark times. Returns the figure and
    notes on what was drawn. `selected`: the open site, drawn larger."""
    ctx = view.ctx
    scores, units = view.scores(model)
    asof = pd.Timestamp(view.filters.asof)
    return map_figure(
        layers=layers,
        ctx=ctx,
        asof=asof,
        radius_km=model.radius_km,
        province_level=province_levels(ctx, asof, set(view.filters.actors), model.ratings),
        threat_scale=view.dataset.threat_scale,
        scores=scores,
        units=units,
        sites=view.sites,
        colours=family_colours(view.choices.actors),
        mask=view.incident_mask,
        selected=selected,
        max_points=max_points,
    )
