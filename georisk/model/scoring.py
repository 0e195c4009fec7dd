"""The risk model: threat, exposure and impact of each site at an as-of date, on a 5x5 matrix.

    threat     T in 1..5  the highest threat level, at the as-of date, of the province a site (or a
                          pipeline segment) lies in, for the actor families hostile to the site's
                          partner country (or the families the analyst filtered on); from the
                          analysts' ratings, ratings derived from the feed, or both (see
                          georisk.model.ratings). A province may have no rating: then T is missing;
    exposure   E >= 0     sum over incidents on or before the as-of date within the radius R, at a
                          precision good enough for R (georisk.scenario.precision), of
                          severity x recency x proximity x relevance, where
                            severity  = 1 + ln(1 + 3 killed + 0.5 wounded)   (GTI weights, damped)
                            recency   = 0.5 ^ (age in days / half-life)
                            proximity = 1 - d / (2R)                          (1 at the site, 0.5 at R)
                            relevance = 1 for families hostile to the partner, else w_other;
                                        x w_target when the target matches the site's sector
               X in 1..5  X = 1 + 4 (1 - exp(-E / saturation))
    likelihood L in 1..5  L = (w_threat T + w_exposure X) / (w_threat + w_exposure), rounded; with
                          no rating, L = X (the score says that it rests on exposure alone)
    impact     I in 1..5  the site's criticality
    band                  by the cut-offs on L x I (1..25)

Distances are measured in an azimuthal equidistant projection centred on the country, so they are
true to within about 1 % across a country the size of Pakistan. A line (a pipeline) is cut into
segments of at most `segment_km`; each is scored, and the site takes its worst segment.
Every score carries its components, a one-line reason, the model version and the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
import shapely

from georisk.model.context import ModelContext, Unit
from georisk.model.formula import band_of, exposure_level, likelihood_class, likelihood_of, proximity, recency
from georisk.model.ratings import NO_RATING, Threat
from georisk.model.settings import BANDS, DEFAULTS, MODEL_VERSION, ModelSettings
from georisk.scenario import places, precision
from georisk.scenario.schema import split_list


def unit_provinces(unit: Unit, ctx: ModelContext, listed: list[str], asof: pd.Timestamp) -> list[str]:
    """The provinces a scoring unit lies in, as they were at the date: by geometry, else the
    site's listed provinces."""
    found = list(unit.areas) or listed
    return list(dict.fromkeys(places.province_at(name, asof, ctx.successors) for name in found))


@dataclass(frozen=True)
class UnitScore:
    site_id: str
    unit: int
    units: int
    km_from: float
    km_to: float
    provinces: tuple[str, ...]
    threat: int | None  # None: no rating
    threat_family: str
    threat_period: str
    threat_status: str  # current | carried | none
    threat_origin: str  # analysts | derived | ""
    exposure: float
    exposure_level: float
    likelihood: float
    likelihood_class: int
    impact: int
    score: int
    band: str
    # Incidents in view, on or before the as-of date, within the radius: those counted (placed
    # precisely enough for the radius) and those left out for imprecision; then the same within
    # the last half-life before the as-of date.
    incidents_near: int
    incidents_left_out: int
    incidents_recent: int
    recent_left_out: int
    top_family: str
    reason: str
    geometry: object  # in degrees


def unit_threat(
    ctx: ModelContext, provinces: list[str], families: set[str], asof: pd.Timestamp, source: str
) -> Threat:
    """The highest rated threat among the provinces a unit lies in (no rating if none is rated)."""
    found = [ctx.threat(p, families, asof, source) for p in provinces]
    rated = [t for t in found if t.rated]
    return max(rated, key=lambda t: t.level) if rated else NO_RATING


def score_unit(
    site: Mapping,
    number: int,
    units: int,
    piece: Unit,
    ctx: ModelContext,
    asof: pd.Timestamp,
    params: ModelSettings,
    chosen_families: tuple[str, ...] = (),
    mask: np.ndarray | None = None,
) -> UnitScore:
    # The threat level counts the families the analyst chose, else those hostile to the partner;
    # incidents count in full when their family is hostile (relevance, below).
    considered = set(chosen_families) or set(ctx.hostile(site["partner_country"]))
    provinces = unit_provinces(piece, ctx, split_list(site["provinces"]), asof)
    threat = unit_threat(ctx, provinces, considered, asof, params.ratings)
    positions, distances = ctx.near(piece.geometry_m, params.radius_km * 1000, piece.key)
    keep = ctx.in_view(positions, asof, mask)
    seen, seen_km = positions[keep], distances[keep]
    # Only points placed precisely enough for the radius say how far an incident was.
    counted = ctx.usable(seen, params.radius_km)
    near, distance_km = seen[counted], seen_km[counted]
    age = (np.datetime64(asof) - ctx.dates[near]).astype("timedelta64[D]").astype(float)
    codes = ctx.family_codes[near]
    relevance = np.where(ctx.hostile_codes(site["partner_country"])[codes], 1.0, params.w_other)
    relevance = relevance * np.where(
        ctx.target_codes[near] == ctx.target_code(site["sector"]), params.w_target, 1.0
    )
    contributions = (
        ctx.severities[near]
        * recency(age, params.half_life_days)
        * proximity(distance_km, params.radius_km)
        * relevance
    )
    exposure = float(contributions.sum())
    x_level = exposure_level(exposure, params.saturation)
    likelihood = likelihood_of(threat.level, x_level, params)
    l_class = likelihood_class(likelihood)
    impact = int(site["criticality"])
    recent = Recent.of(codes[age <= params.half_life_days], ctx.family_names)
    left_out = seen[~counted]
    left_age = (np.datetime64(asof) - ctx.dates[left_out]).astype("timedelta64[D]").astype(float)
    recent_left_out = int((left_age <= params.half_life_days).sum())
    reason = _reason(recent, recent_left_out, params, provinces, threat, asof)
    return UnitScore(
        site_id=site["site_id"],
        unit=number,
        units=units,
        km_from=piece.start_m / 1000,
        km_to=piece.end_m / 1000,
        provinces=tuple(provinces),
        threat=threat.level,
        threat_family=threat.family,
        threat_period=threat.period,
        threat_status=threat.status,
        threat_origin=threat.origin,
        exposure=exposure,
        exposure_level=x_level,
        likelihood=likelihood,
        likelihood_class=l_class,
        impact=impact,
        score=l_class * impact,
        band=band_of(l_class, impact, params.cuts),
        incidents_near=len(near),
        incidents_left_out=len(left_out),
        incidents_recent=recent.count,
        recent_left_out=recent_left_out,
        top_family=recent.top_family,
        reason=reason,
        geometry=piece.geometry,
    )


def incidents_near(
    ctx: ModelContext,
    geometry: shapely.Geometry,
    radius_km: float,
    asof: pd.Timestamp,
    mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """The incidents in view on or before the as-of date whose points lie within the radius of a
    site, nearest first, with their distance in km and whether they count toward exposure (placed
    precisely enough for the radius: `counted`)."""
    whole = ctx.whole(geometry)
    positions, distances = ctx.near(whole.geometry_m, radius_km * 1000, whole.key)
    keep = ctx.in_view(positions, asof, mask)
    near = ctx.incidents.iloc[positions[keep]]
    return near.assign(
        distance_km=np.round(distances[keep], 1), counted=ctx.usable(positions[keep], radius_km)
    ).sort_values(["counted", "distance_km"], ascending=[False, True])


@dataclass(frozen=True)
class Nearby:
    """For each incident of a context: does its point lie within the radius of any site, counted
    (placed precisely enough for the radius) or left out for imprecision."""

    counted: np.ndarray
    left_out: np.ndarray


def near_any_site(
    ctx: ModelContext, sites: pd.DataFrame, radius_km: float, mask: np.ndarray | None = None
) -> Nearby:
    near = np.zeros(len(ctx.incidents), dtype=bool)
    for geometry in sites.geometry:
        whole = ctx.whole(geometry)
        positions, _ = ctx.near(whole.geometry_m, radius_km * 1000, whole.key)
        near[positions] = True
    if mask is not None:
        near &= mask
    precise = precision.usable(ctx.uncertainty, radius_km)
    return Nearby(near & precise, near & ~precise)


@dataclass(frozen=True)
class Recent:
    """The incidents near a unit within the last half-life: how many, the family with most of
    them (the first by name on a tie) and how many that family has."""

    count: int
    top_family: str
    top_count: int

    @classmethod
    def of(cls, codes: np.ndarray, names: np.ndarray) -> Recent:
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        if not counts.any():
            return cls(len(codes), "", 0)
        top = int(np.argmax(counts))
        return cls(len(codes), str(names[top]), int(counts[top]))


def recent_window(params: ModelSettings, asof: pd.Timestamp) -> str:
    """The window of the "recent" counts, in words: the last half-life before the as-of date."""
    months = params.half_life_days / 30.4
    span = f"{months:.0f} months" if months >= 2 else f"{params.half_life_days:g} days"
    return f"the {span} to {pd.Timestamp(asof).date()}"


def _reason(
    recent: Recent,
    left_out: int,
    params: ModelSettings,
    provinces: list[str],
    threat: Threat,
    asof: pd.Timestamp,
) -> str:
    window = recent_window(params, asof)
    if recent.count:
        lead = f"{recent.count} incident(s) within {params.radius_km:g} km in {window}"
        if recent.top_family and recent.top_family != "unknown":
            lead += f" ({recent.top_count} by {recent.top_family})"
    else:
        lead = f"no incident within {params.radius_km:g} km in {window}"
    if left_out:
        lead += f", {left_out} more placed too coarsely to count"
    place = " / ".join(provinces) or "unrated area"
    if threat.rated:
        rating = f"{place} {threat.words()}"
    else:
        rating = (
            f"{place}: no threat rating as of {pd.Timestamp(asof).date()}, "
            "the likelihood rests on exposure alone"
        )
    return f"{lead[0].upper()}{lead[1:]}; {rating}"


def score_sites(
    sites: pd.DataFrame,
    ctx: ModelContext,
    asof: dt.date | pd.Timestamp,
    params: ModelSettings = DEFAULTS,
    chosen_families: tuple[str, ...] = (),
    mask: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every site at the as-of date: (one row per site, one row per scoring unit).

    A site's row is its worst unit (highest score, then likelihood, then exposure). Scoring the
    same sites again (another date, view or session) reuses the context's spatial searches.
    """
    asof = pd.Timestamp(asof)
    units: list[UnitScore] = []
    for site in sites.to_dict("records"):
        pieces = ctx.units(site["geometry"], params.segment_km * 1000)
        for number, piece in enumerate(pieces, start=1):
            units.append(
                score_unit(site, number, len(pieces), piece, ctx, asof, params, chosen_families, mask)
            )
    unit_frame = pd.DataFrame([asdict(u) for u in units]) if units else _empty_units()
    unit_frame["threat"] = unit_frame["threat"].astype("Int64")
    if unit_frame.empty:
        return _site_frame(unit_frame, sites, asof), unit_frame
    unit_frame["unit_name"] = [_unit_name(u) for u in unit_frame.itertuples()]
    return _site_frame(unit_frame, sites, asof), unit_frame


def _unit_name(unit) -> str:
    if unit.units == 1:
        return "whole site"
    where = " / ".join(unit.provinces)
    return f"segment {unit.unit} of {unit.units}, km {unit.km_from:.0f}–{unit.km_to:.0f} ({where})"


def _empty_units() -> pd.DataFrame:
    return pd.DataFrame(columns=[*(f.name for f in fields(UnitScore)), "unit_name"])


# The columns of the site table: the site's own, then its worst unit's.
SITE_INFO = ("name", "sector", "status", "partner_country", "criticality")
WORST_UNIT = (
    "band",
    "band_rank",
    "score",
    "likelihood",
    "likelihood_class",
    "impact",
    "threat",
    "threat_family",
    "threat_status",
    "threat_origin",
    "exposure",
    "exposure_level",
    "incidents_near",
    "incidents_left_out",
    "incidents_recent",
    "recent_left_out",
)


def _site_frame(units: pd.DataFrame, sites: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    if units.empty:
        return pd.DataFrame(
            columns=["site_id", *SITE_INFO, *WORST_UNIT, "worst_unit", "reason", "model_version", "asof"]
        )
    ordered = units.assign(band_rank=units["band"].map(BANDS.index)).sort_values(
        ["band_rank", "score", "likelihood", "exposure"], ascending=False
    )
    worst = ordered.drop_duplicates("site_id").set_index("site_id")
    worst["threat"] = worst["threat"].astype("Int64")
    info = sites.set_index("site_id")
    frame = pd.DataFrame(
        {
            "site_id": worst.index,
            **{column: info.loc[worst.index, column].to_numpy() for column in SITE_INFO},
            **{column: worst[column].to_numpy() for column in WORST_UNIT},
            "worst_unit": worst["unit_name"].to_numpy(),
            "reason": worst["reason"].to_numpy(),
        }
    )
    frame["model_version"] = MODEL_VERSION
    frame["asof"] = asof.date().isoformat()
    return frame.sort_values(["band_rank", "score", "likelihood", "exposure"], ascending=False).reset_index(
        drop=True
    )
