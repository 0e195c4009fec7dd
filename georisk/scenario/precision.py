"""How exactly a point places an incident, and which points may say how far an incident was from a
site (DESIGN.md §6: precision decides what a point may say).

Levels, finest first (the `geo_precision` vocabulary of every table):
    site      the place itself (a building, a camp, a stretch of road)
    town      a town or village centre
    near      within about 25 km of a named place
    district  a district's headquarters or a point standing for the district
    province  a province's representative point
    country   the country, or an area wider than a province, at sea or in the air
    unknown   the feed does not say

The rule for distance, stated in the methodology: a point counts toward a site's exposure when
the distance it could be off by is no more than the model's radius. Site and town points always
count; a `near` point counts from a radius of 25 km; a district point counts when the radius is
at least the scenario's district size (`district_km` in catalog.json: the diameter of a circle
of the mean district area; when the scenario does not state it, district points never count);
province, country and unknown points never count. They still count where a province is meant:
in the province's context and as evidence for its threat rating.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

PRECISIONS = ("site", "town", "near", "district", "province", "country", "unknown")
NEAR_KM = 25.0
# The feeds' own precision codes (their codebooks; see georisk/feeds).
ACLED_GEO = {"1": "town", "2": "near", "3": "province"}
GTD_SPECIFICITY = {"1": "town", "2": "district", "3": "district", "4": "province", "5": "country"}
UCDP_WHERE = {
    "1": "town",
    "2": "near",
    "3": "district",
    "4": "province",
    "5": "country",
    "6": "country",
    "7": "country",
}


def uncertainty_km(precision: str, district_km: float | None) -> float:
    """How far a point of this precision may be from where the incident happened, for the rule."""
    if precision in ("site", "town"):
        return 0.0
    if precision == "near":
        return NEAR_KM
    if precision == "district":
        return math.inf if district_km is None else float(district_km)
    return math.inf


def area_km(precision: str, district_km: float | None) -> float:
    """The radius (km) of the area a point of this precision stands for, for drawing it: a `near`
    point is within NEAR_KM of its place; a district point anywhere in a district of the
    scenario's size (half its diameter). Other levels are not drawn as places."""
    if precision == "near":
        return NEAR_KM
    if precision == "district":
        return (district_km or 2 * NEAR_KM) / 2
    return 5.0


def uncertainties(precisions: pd.Series, district_km: float | None) -> np.ndarray:
    """uncertainty_km of each point (an unknown word counts as unknown precision)."""
    table = {p: uncertainty_km(p, district_km) for p in PRECISIONS}
    return precisions.map(table).astype(float).fillna(math.inf).to_numpy(copy=True)


def usable(uncertainty: np.ndarray, radius_km: float) -> np.ndarray:
    """Which points may count toward exposure at this radius."""
    return uncertainty <= radius_km


def rule_text(radius_km: float, district_km: float | None) -> str:
    """The rule in force, in one sentence (methodology, captions, exports)."""
    kept = [p for p in PRECISIONS if uncertainty_km(p, district_km) <= radius_km]
    left = [p for p in PRECISIONS if p not in kept]
    district = (
        f"district points count from a radius of {district_km:g} km (the scenario's district size)"
        if district_km is not None
        else "district points never count (the scenario does not state its district size)"
    )
    return (
        f"At {radius_km:g} km, distance is measured only from points placed at {', '.join(kept)} level; "
        f"points at {', '.join(left)} level are left out ({district}; a 'near' point counts from "
        f"{NEAR_KM:g} km; province-level and coarser points never count)."
    )
