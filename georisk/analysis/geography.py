"""georisk.analysis.geography."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from georisk.model import context
from georisk.model import projection as model_projection
from georisk.scenario.schema import DateLike

# In drawing order; these names are the values of the `layers` URL parameter.
LAYERS = ("tiles", "provinces", "density", "incidents", "rings", "sites")
DEFAULT_LAYERS = ("provinces", "incidents", "rings", "sites")
HEX_KM = 25.0


def province_levels(
    ctx: context.ModelContext, asof: DateLike, families: set[str], source: str
) -> pd.DataFrame:
    """The threat of every area of the boundaries at the date (an area that no longer existed
    takes its successor's), with what the map says about it."""
    asof = pd.Timestamp(asof)
    rows = []
    for name in ctx.boundaries["name"]:
        threat = ctx.threat(name, set(families), asof, source)
        rows.append(
            (name, threat.level, threat.family, threat.period, threat.status, threat.origin, threat.words())
        )
    frame = pd.DataFrame(rows, columns=["province", "level", "family", "period", "status", "origin", "words"])
    frame["level"] = frame["level"].astype("Int64")
    return frame


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
    projection: model_projection.Projection,
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
