"""The map: plotly MapLibre traces, drawn with no network by default.

Layers (their names are the values of the `layers` URL parameter):
    provinces  provinces coloured by threat level at the as-of date for the families considered
    density    incidents counted in hexagons (the layer to use for large feeds)
    incidents  incidents as points, coloured by actor family, sized by deaths
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

from georisk import risk
from georisk.schema import UNKNOWN_FAMILY
from georisk.text import plain

# In drawing order; these names are the values of the `layers` URL parameter.
LAYERS = ("tiles", "provinces", "density", "incidents", "rings", "sites")
DEFAULT_LAYERS = ("provinces", "incidents", "rings", "sites")
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
MAX_POINTS = 5_000
HEX_KM = 25.0
FONT = "Noto Sans Regular"
# Relative to the page, so that it also works under a base URL path behind a proxy.
GLYPHS = "app/static/fonts/{fontstack}/{range}.pbf"
THREAT_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
FAMILY_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#393b79",
    "#637939",
    "#843c39",
)
UNKNOWN_COLOUR = "#7f7f7f"


def map_style(basemap: bool) -> dict:
    """A MapLibre style with our own glyphs; tiles only when asked for."""
    style = {
        "version": 8,
        "glyphs": GLYPHS,
        "sources": {},
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


def family_colours(families) -> dict[str, str]:
    known = sorted(f for f in pd.Series(families).unique() if f != UNKNOWN_FAMILY)
    colours = {f: FAMILY_COLOURS[i % len(FAMILY_COLOURS)] for i, f in enumerate(known)}
    colours[UNKNOWN_FAMILY] = UNKNOWN_COLOUR
    return colours


def province_levels(levels: pd.DataFrame, boundaries: pd.DataFrame, asof, families: set[str]) -> pd.DataFrame:
    asof = pd.Timestamp(asof)
    rows = [(name, *risk.threat_at(levels, name, families, asof)) for name in boundaries["name"]]
    return pd.DataFrame(rows, columns=["province", "level", "family", "period"])


def town_labels(incidents: pd.DataFrame, minimum: int = 2) -> pd.DataFrame:
    """Labels for the towns the data places incidents in: a district named at least `minimum`
    times with town precision, at its most used coordinates."""
    towns = incidents[incidents["geo_precision"] == "town"]
    if towns.empty:
        return pd.DataFrame(columns=["name", "lat", "lon"])
    counts = towns.groupby(["district", "lat", "lon"]).size().reset_index(name="n")
    best = counts.sort_values("n", ascending=False).drop_duplicates("district")
    totals = towns.groupby("district").size()
    best = best[best["district"].map(totals) >= minimum]
    return best.rename(columns={"district": "name"})[["name", "lat", "lon"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Hexagon density, computed in the metric projection


def hex_bins(x: np.ndarray, y: np.ndarray, size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial coordinates (q, r) of the pointy-top hexagon of circumradius size_m holding each point."""
    qf = (math.sqrt(3) / 3 * x - y / 3) / size_m
    rf = (2 / 3 * y) / size_m
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def hex_polygon(q: int, r: int, size_m: float) -> list[tuple[float, float]]:
    cx = size_m * math.sqrt(3) * (q + r / 2)
    cy = size_m * 1.5 * r
    angles = [math.radians(30 + 60 * k) for k in range(7)]
    return [(cx + size_m * math.cos(a), cy + size_m * math.sin(a)) for a in angles]


def density(
    incidents: pd.DataFrame,
    projection: risk.Projection,
    size_km: float = HEX_KM,
    xy: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Incidents counted per hexagon: (GeoJSON of the cells, a frame of id, count, killed).
    `xy`: the incidents' metric coordinates if already known (the model's context has them)."""
    if incidents.empty:
        return {"type": "FeatureCollection", "features": []}, pd.DataFrame(columns=["id", "count", "killed"])
    x, y = xy if xy is not None else projection.points(incidents["lon"], incidents["lat"])
    q, r = hex_bins(np.asarray(x), np.asarray(y), size_km * 1000)
    cells = (
        pd.DataFrame({"q": q, "r": r, "killed": incidents["killed"].to_numpy(dtype=float, na_value=0.0)})
        .groupby(["q", "r"], sort=False)
        .agg(count=("killed", "size"), killed=("killed", "sum"))
        .reset_index()
    )
    cells["id"] = cells["q"].astype(str) + "_" + cells["r"].astype(str)
    features = []
    for cell in cells.itertuples():
        ring = hex_polygon(cell.q, cell.r, size_km * 1000)
        xs, ys = zip(*ring, strict=True)
        lon, lat = projection.degrees(np.array(xs), np.array(ys))
        features.append(
            {
                "type": "Feature",
                "id": cell.id,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[round(a, 4), round(b, 4)] for a, b in zip(lon, lat, strict=True)]],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}, cells[["id", "count", "killed"]]


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
    labels = dict(zip(scale["level"], scale["label"], strict=True)) if not scale.empty else {}
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": name, "geometry": mapping(geometry), "properties": {}}
            for name, geometry in zip(boundaries["name"], boundaries.geometry, strict=True)
        ],
    }
    hover = [
        f"{plain(p)}<br>threat level {lv} ({plain(labels.get(lv, ''))})<br>{plain(f)}"
        for p, lv, f in zip(levels["province"], levels["level"], levels["family"], strict=True)
    ]
    colourscale = []
    for i, colour in enumerate(THREAT_COLOURS):
        colourscale += [[i / 5, colour], [(i + 1) / 5, colour]]
    return [
        go.Choroplethmap(
            geojson=geojson,
            locations=levels["province"],
            z=levels["level"],
            zmin=0.5,
            zmax=5.5,
            colorscale=colourscale,
            marker={"opacity": 0.75, "line": {"width": 1, "color": "#555555"}},
            colorbar={
                "title": {"text": "Threat level"},
                "tickvals": [1, 2, 3, 4, 5],
                "ticktext": [f"{lv} {labels.get(lv, '')}".strip() for lv in range(1, 6)],
                "thickness": 12,
                "len": 0.4,
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
        textfont={"family": FONT, "size": 12, "color": "#3a3a3a"},
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
        textfont={"family": FONT, "size": 11, "color": "#222222"},
        marker={"size": 4, "color": "#222222"},
        hoverinfo="skip",
        showlegend=False,
        name="towns",
    )
    return [provinces, places]


def incident_traces(incidents: pd.DataFrame, colours: dict[str, str]) -> list[go.Scattermap]:
    traces = []
    for family, group in incidents.groupby("actor_family", sort=True):
        killed = group["killed"].to_numpy(dtype=float, na_value=0.0)
        hover = [
            f"{d.date()} · {plain(loc)}<br>{plain(g)} ({plain(family)})<br>target: {plain(t)}<br>"
            f"killed: {'unknown' if pd.isna(k) else int(k)}<br>{plain(s)[:120]}"
            for d, loc, g, t, k, s in zip(
                group["date"],
                group["location"],
                group["group"],
                group["target_type"],
                group["killed"],
                group["source"],
                strict=True,
            )
        ]
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
                hovertext=hover,
                hoverinfo="text",
                name=f"{plain(family)} ({len(group)})",
                legendgroup="incidents",
                legendgrouptitle={"text": "Incidents"},
            )
        )
    return traces


def density_trace(geojson: dict, cells: pd.DataFrame, size_km: float) -> go.Choroplethmap:
    return go.Choroplethmap(
        geojson=geojson,
        locations=cells["id"],
        z=cells["count"],
        colorscale="YlOrBr",
        marker={"opacity": 0.7, "line": {"width": 0}},
        colorbar={
            "title": {"text": f"Incidents per<br>{size_km:g} km hexagon"},
            "thickness": 12,
            "len": 0.3,
            "x": 1.12,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
        },
        customdata=cells["killed"],
        hovertemplate="%{z} incidents, %{customdata:.0f} killed<extra></extra>",
        name="Incident density",
        showlegend=False,
    )


def ring_trace(sites: pd.DataFrame, projection: risk.Projection, radius_km: float) -> go.Scattermap:
    # A point's ring is a circle; a line's is the corridor of that width along it.
    rings = [
        projection.to_degrees(projection.to_metric(g).buffer(radius_km * 1000, quad_segs=16)).exterior
        for g in sites.geometry
    ]
    lons, lats = line_coordinates(rings)
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
    for band in risk.BANDS:
        colour = risk.BAND_COLOURS[band]
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
                textfont={"family": FONT, "size": 11, "color": "#111111"},
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
    boundaries,
    province_level: pd.DataFrame,
    threat_scale: pd.DataFrame,
    incidents: pd.DataFrame,
    scores: pd.DataFrame,
    units: pd.DataFrame,
    sites,
    projection: risk.Projection,
    radius_km: float,
    selected: str | None = None,
    max_points: int = MAX_POINTS,
    xy: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[go.Figure, list[str]]:
    """The map with the layers asked for; returns the figure and notes on what was drawn."""
    notes: list[str] = []
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
    if "density" in layers:
        geojson, cells = density(incidents, projection, xy=xy)
        traces.append(density_trace(geojson, cells, HEX_KM))
    if not boundaries.empty:
        traces.append(outline_trace(boundaries))
        traces += label_traces(
            boundaries,
            town_labels(incidents) if len(incidents) <= max_points else town_labels(incidents.head(0)),
        )
    if "incidents" in layers:
        traces += incident_traces(incidents, family_colours(incidents["actor_family"]))
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
        legend={
            "x": 1.0,
            "xanchor": "left",
            "y": 0.42,
            "yanchor": "top",
            "groupclick": "toggleitem",
            "font": {"size": 11},
        },
        # Keeps the analyst's pan and zoom when the figure is rebuilt on a rerun.
        uirevision="map",
        clickmode="event+select",
        font={"family": "Source Sans, sans-serif"},
    )
    return fig, notes
