"""Synthetic incidents for benchmarks and load tests: realistic in where and when, invented in
everything else. Never mixed with curated data: every row says `synthetic` in its source.

Points cluster around the places where the curated scenario's incidents happened (the cities and
conflict areas), with a spread of about 15 km, and a tenth fall anywhere in the country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from georisk.scenario.rules import country_outline
from georisk.scenario.schema import ATTACK_TYPES, TARGET_TYPES

SPREAD_DEG = 0.15
# How an ACLED export would name each family's groups (and the state forces and civilians hit).
ACLED_ACTORS = {
    "TTP": "TTP: Tehreek-i-Taliban Pakistan",
    "Jamaat-ul-Ahrar": "Jamaat-ul-Ahrar",
    "Lashkar-e-Jhangvi": "LeJ: Lashkar-e-Jhangvi",
    "IS-Khorasan": "Islamic State (Pakistan)",
    "Baloch separatists": "BLA: Balochistan Liberation Army",
    "Sindhi separatists": "SRA: Sindhudesh Revolutionary Army",
    "Lashkar-e-Islam": "Lashkar-e-Islam",
    "Al-Qaeda affiliates": "AQIS: Al-Qaeda in the Indian Subcontinent",
    "Other groups": "Jaish-ul-Islam",
    "unknown": "Unidentified Armed Group (Pakistan)",
}
ACLED_SUB_EVENTS = {
    "bombing": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "suicide bombing": ("Explosions/Remote violence", "Suicide bomb"),
    "armed assault": ("Violence against civilians", "Attack"),
    "targeted killing": ("Violence against civilians", "Attack"),
    "kidnapping": ("Violence against civilians", "Abduction/forced disappearance"),
    "infrastructure sabotage": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "rocket attack": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "other": ("Battles", "Armed clash"),
    "unknown": ("Battles", "Armed clash"),
}
ACLED_TARGETS = {
    "police": "Police Forces of Pakistan (2013-2018)",
    "military": "Military Forces of Pakistan (2013-2018)",
}


def incidents(
    n: int,
    anchors: pd.DataFrame,
    boundaries: pd.DataFrame,
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
    outline = country_outline(boundaries, tolerance_deg=0)
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


def to_acled(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The same incidents as an ACLED export would list them (its documented columns), with a
    few protests mixed in as real exports have, which an import must leave out."""
    rng = np.random.default_rng(seed)
    n = len(frame)
    kinds = frame["attack_type"].map(ACLED_SUB_EVENTS)
    event_type = kinds.str[0].to_numpy(dtype=object).copy()
    sub_event = kinds.str[1].to_numpy(dtype=object).copy()
    protest = rng.random(n) < 0.05
    event_type[protest] = "Protests"
    sub_event[protest] = "Peaceful protest"
    actor1 = (
        frame["actor_family"]
        .map(ACLED_ACTORS)
        .fillna("Unidentified Armed Group (Pakistan)")
        .to_numpy(dtype=object)
        .copy()
    )
    actor1[protest] = "Protesters (Pakistan)"
    actor2 = frame["target_type"].map(ACLED_TARGETS).fillna("Civilians (Pakistan)")
    return pd.DataFrame(
        {
            "event_id_cnty": [f"PAK{i}" for i in range(1, n + 1)],
            "event_date": frame["date"].dt.strftime("%d %B %Y").str.lstrip("0"),
            "year": frame["date"].dt.year,
            "time_precision": 1,
            "disorder_type": np.where(protest, "Demonstrations", "Political violence"),
            "event_type": event_type,
            "sub_event_type": sub_event,
            "actor1": actor1,
            "assoc_actor_1": "",
            "inter1": 2,
            "actor2": actor2,
            "admin1": frame["province"],
            "admin2": frame["district"],
            "admin3": "",
            "location": frame["location"],
            "latitude": frame["lat"],
            "longitude": frame["lon"],
            "geo_precision": 1,
            "source": "Synthetic (georisk)",
            "notes": "Synthetic event for tests and benchmarks.",
            "fatalities": frame["killed"].fillna(0),
            "timestamp": 1_700_000_000,
        }
    )
