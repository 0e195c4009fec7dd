"""Synthetic incidents for benchmarks and load tests: realistic in where and when, invented in
everything else. Never mixed with curated data: every row says `synthetic` in its source.

Points cluster around the places where the curated scenario's incidents happened (the cities and
conflict areas), with a spread of about 15 km, and a tenth fall anywhere in the country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from georisk.schema import ATTACK_TYPES, TARGET_TYPES

SPREAD_DEG = 0.15


def incidents(
    n: int,
    anchors: pd.DataFrame,
    boundaries,
    seed: int = 0,
    start: str = "2014-01-01",
    end: str = "2018-12-31",
) -> pd.DataFrame:
    """`n` incidents in the curated schema, clustered on `anchors` (rows with lat, lon,
    province, district, actor_family), kept inside the country's `boundaries`."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(anchors), n)
    base = anchors.iloc[pick].reset_index(drop=True)
    lat = base["lat"].to_numpy(dtype=float) + rng.normal(0, SPREAD_DEG, n)
    lon = base["lon"].to_numpy(dtype=float) + rng.normal(0, SPREAD_DEG, n)
    anywhere = rng.random(n) < 0.1
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(boundaries.geometry))
    lon[anywhere] = rng.uniform(minx, maxx, anywhere.sum())
    lat[anywhere] = rng.uniform(miny, maxy, anywhere.sum())
    # Points that fell outside the country go back to their anchor.
    outline = shapely.union_all(np.asarray(boundaries.geometry))
    shapely.prepare(outline)
    outside = ~shapely.contains_xy(outline, lon, lat)
    lat[outside] = base["lat"].to_numpy(dtype=float)[outside]
    lon[outside] = base["lon"].to_numpy(dtype=float)[outside]
    families = anchors["actor_family"].unique()
    family = np.where(rng.random(n) < 0.7, base["actor_family"].to_numpy(), rng.choice(families, n))
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    dates = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D")
    killed = rng.negative_binomial(0.5, 0.25, n)  # most kill nobody, a few kill many
    return pd.DataFrame(
        {
            "incident_id": [f"SYN{i:07d}" for i in range(n)],
            "date": dates,
            "date_precision": "day",
            "lat": lat.round(4),
            "lon": lon.round(4),
            "geo_precision": "town",
            "location": base["district"].to_numpy(),
            "district": base["district"].to_numpy(),
            "province": base["province"].to_numpy(),
            "group": family,
            "actor_family": family,
            "attack_type": rng.choice(ATTACK_TYPES, n),
            "target_type": rng.choice(TARGET_TYPES, n),
            "killed": pd.array(killed, dtype="Int64"),
            "wounded": pd.array(rng.negative_binomial(0.5, 0.2, n), dtype="Int64"),
            "summary": "synthetic incident",
            "source": "synthetic (georisk.synthetic)",
            "confidence": "reported",
            "notes": None,
        }
    )
