"""Why one site scores as it does: its components and the incidents behind them.

Every count says which set it counts, so that the counts on one panel agree where they describe
the same set:
    in the period      incidents in view (the period filter, up to the as-of date) within the
                       radius of the site's worst part: what the exposure sums;
    recent             the same within the last half-life before the as-of date: the headline;
    near the site      within the radius of any part of the site (a pipeline has many): the table.
Each is split into incidents counted (placed precisely enough for the radius) and incidents left
out for imprecision (georisk.scenario.precision).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from georisk.model import context, scoring, settings
from georisk.scenario import precision
from georisk.scenario.schema import DateLike

TABLE_COLUMNS = [
    "date",
    "distance_km",
    "counted",
    "geo_precision",
    "location",
    "group",
    "actor_family",
    "attribution",
    "attack_type",
    "target_type",
    "killed",
    "wounded",
    "source",
]


def period_words(start: DateLike, asof: DateLike) -> str:
    return f"{pd.Timestamp(start).date()} to {pd.Timestamp(asof).date()}"


def components(
    row: pd.Series, params: settings.ModelSettings, start: DateLike, asof: DateLike
) -> pd.DataFrame:
    """The score's components, each in words that name what it rests on."""
    if pd.isna(row["threat"]):
        threat = "no rating: the likelihood rests on exposure alone"
    else:
        origin = ", derived" if row["threat_origin"] == "derived" else ""
        carried = ", carried forward" if row["threat_status"] == "carried" else ""
        threat = f"{int(row['threat'])} ({row['threat_family']}{origin}{carried})"
    part = row["worst_unit"] if row["worst_unit"] != "whole site" else "the site"
    exposure = (
        f"{row['exposure']:.2f} from {row['incidents_near']} incident(s) within {params.radius_km:g} km of "
        f"{part}, in the period {period_words(start, asof)}"
    )
    if row["incidents_left_out"]:
        exposure += f"; {row['incidents_left_out']} more left out for imprecision"
    likelihood = f"{row['likelihood']:.2f} → {row['likelihood_class']}"
    if pd.isna(row["threat"]):
        likelihood += " (exposure level alone)"
    return pd.DataFrame(
        {
            "component": [
                "Threat",
                "Exposure",
                "Exposure level",
                "Likelihood",
                "Impact",
                "Score",
                "Band",
                "Worst part",
            ],
            "value": [
                threat,
                exposure,
                f"{row['exposure_level']:.2f}",
                likelihood,
                f"{row['impact']} (criticality)",
                f"{row['score']} = {row['likelihood_class']} × {row['impact']}",
                row["band"],
                row["worst_unit"],
            ],
        }
    )


@dataclass(frozen=True)
class Nearby:
    """The incidents whose points lie within the radius of any part of a site, and what to say
    about them."""

    table: pd.DataFrame
    counted: int
    left_out: int
    heading: str


def nearby(
    ctx: context.ModelContext,
    geometry: shapely.Geometry,
    params: settings.ModelSettings,
    start: DateLike,
    asof: DateLike,
    mask: np.ndarray | None = None,
) -> Nearby:
    near = scoring.incidents_near(ctx, geometry, params.radius_km, pd.Timestamp(asof), mask)
    counted = int(near["counted"].sum())
    left_out = len(near) - counted
    heading = (
        f"Incidents within {params.radius_km:g} km of any part of the site, in the period "
        f"{period_words(start, asof)}: {counted} counted"
        + (
            f", {left_out} left out for imprecision (their points are too coarse for this radius)"
            if left_out
            else ""
        )
    )
    table = near.reindex(columns=TABLE_COLUMNS)
    table["counted"] = np.where(near["counted"], "yes", "no: too imprecise")
    return Nearby(table, counted, left_out, heading)


def province_context(
    ctx: context.ModelContext,
    provinces: list[str],
    params: settings.ModelSettings,
    asof: DateLike,
    mask: np.ndarray | None = None,
) -> str:
    """The incidents in the site's provinces in the recent window, at any precision: where the
    imprecise ones still count."""
    asof = pd.Timestamp(asof)
    start = asof - pd.Timedelta(days=params.half_life_days)
    frame = ctx.incidents
    keep = (
        frame["province"].isin(provinces).to_numpy()
        & (ctx.dates > np.datetime64(start))
        & (ctx.dates <= np.datetime64(asof))
    )
    if mask is not None:
        keep &= mask
    coarse = keep & ~np.isfinite(ctx.uncertainty)
    where = " / ".join(provinces) or "its province"
    window = scoring.recent_window(params, asof)
    return (
        f"Province context: {int(keep.sum()):,} incident(s) in {where} in {window}, "
        f"at any precision ({int(coarse.sum()):,} of them placed only at a province or flagged)."
    )


def precision_rule(params: settings.ModelSettings, district_km: float | None) -> str:
    return precision.rule_text(params.radius_km, district_km)
