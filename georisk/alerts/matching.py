"""Which incidents an incident rule matches, and why, in words.

A rule on sites matches an incident that passes its filters (family, attack type, target type,
attribution) and lies within one of its radii of a watched site, the radius that applies being
the widest whose severity floor (killed) the incident reaches. Distances are the risk model's
(georisk.model.context: a metric projection; the whole of a pipeline, not its segments), and so
is the precision rule: a point counts for a radius only when it may be off by no more than the
radius (georisk.scenario.precision), and never when it is coarser than the rule's
`min_precision`. So a province's representative point never matches a radius. A rule on a
province matches any incident recorded in the province (as it was named on the incident's date),
placed at province precision or better.

An incident near several watched sites raises one alert, for the nearest; the others are named
in the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from georisk.alerts.rules import Rule
from georisk.model.context import ModelContext
from georisk.scenario import places, precision

COLUMNS = ["rule_id", "position", "site_id", "distance_km", "tier_km", "others"]


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def filter_mask(rule: Rule, incidents: pd.DataFrame) -> np.ndarray:
    """Which incidents pass the rule's filters other than place and precision."""
    keep = np.ones(len(incidents), dtype=bool)
    checks = (
        (rule.families, ["actor_family"]),
        (rule.attack_types, ["attack_type"]),
        (rule.target_types, ["target_type", "target_type2", "target_type3"]),
        (rule.attribution, ["attribution"]),
    )
    for wanted, columns in checks:
        if not wanted:
            continue
        lowered = {w.lower() for w in wanted}
        hit = np.zeros(len(incidents), dtype=bool)
        for column in columns:
            if column in incidents:
                hit |= incidents[column].astype(object).map(_text).str.lower().isin(lowered).to_numpy(bool)
        keep &= hit
    return keep


def precision_mask(rule: Rule, incidents: pd.DataFrame) -> np.ndarray:
    """Which incidents are placed no coarser than the rule's minimum precision."""
    allowed = precision.PRECISIONS[: precision.PRECISIONS.index(rule.min_precision) + 1]
    if "geo_precision" not in incidents:
        return np.zeros(len(incidents), dtype=bool)
    keep = incidents["geo_precision"].isin(allowed).to_numpy(dtype=bool, copy=True)
    if "location_flag" in incidents:  # a flagged geocode says nothing about where it was
        keep &= incidents["location_flag"].isna().to_numpy()
    return keep


def _killed(incidents: pd.DataFrame) -> np.ndarray:
    # An unknown toll reaches no severity floor but 0: missing is not zero, and not a high toll.
    killed = pd.to_numeric(incidents.get("killed"), errors="coerce")
    return (
        killed.to_numpy(dtype=float, na_value=np.nan)
        if killed is not None
        else np.full(len(incidents), np.nan)
    )


def near_sites(rule: Rule, ctx: ModelContext, sites: pd.DataFrame, passing: np.ndarray) -> pd.DataFrame:
    """The rule's matches near its watched sites: one row per incident (its position in the
    context's incidents), for the nearest watched site it matches."""
    killed = _killed(ctx.incidents)
    rows = []
    watched = rule.watched_sites({sid: {} for sid in sites["site_id"]}) if rule.watch_kind == "site" else None
    for site in sites.to_dict("records"):
        if watched is not None and site["site_id"] not in watched:
            continue
        if watched is None and not _in_group(rule, site):
            continue
        unit = ctx.whole(site["geometry"])
        positions, km = ctx.near(unit.geometry_m, rule.max_km * 1000, unit.key)
        for position, distance in zip(positions, km, strict=True):
            if not passing[position]:
                continue
            for tier in sorted(rule.tiers, key=lambda t: -t.km):
                severe = tier.min_killed == 0 or (
                    not np.isnan(killed[position]) and killed[position] >= tier.min_killed
                )
                if severe and distance <= tier.km and ctx.uncertainty[position] <= tier.km:
                    rows.append((rule.id, int(position), site["site_id"], float(distance), tier.km))
                    break
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    found = pd.DataFrame(rows, columns=COLUMNS[:-1]).sort_values(["position", "distance_km"])
    others = found.groupby("position")["site_id"].agg(lambda ids: list(ids)[1:])
    nearest = found.drop_duplicates("position").set_index("position")
    nearest["others"] = others
    return nearest.reset_index()[COLUMNS]


def _in_group(rule: Rule, site: Mapping) -> bool:
    column = {"sector": "sector", "partner": "partner_country", "status": "status"}.get(rule.watch_kind)
    return column is None or str(site.get(column)) == rule.watch_value


def in_province(rule: Rule, ctx: ModelContext, passing: np.ndarray) -> pd.DataFrame:
    """The rule's matches in its watched province (named as on each incident's date: a province
    that was merged away names the one that took its ground after that day)."""
    positions = np.flatnonzero(passing)
    names = ctx.incidents["province"].to_numpy(dtype=object)[positions]
    dates = ctx.incidents["date"].to_numpy()[positions]
    ended = ctx.successors
    watched = rule.watch_value
    if ended:
        hit = np.array(
            [
                places.province_at(_text(name), when, ended) == places.province_at(watched, when, ended)
                for name, when in zip(names, dates, strict=True)
            ],
            dtype=bool,
        )
    else:
        hit = np.array([_text(name) == watched for name in names], dtype=bool)
    found = positions[hit] if len(positions) else positions
    return pd.DataFrame(
        {
            "rule_id": rule.id,
            "position": found.astype(int),
            "site_id": None,
            "distance_km": np.nan,
            "tier_km": np.nan,
            "others": [[] for _ in found],
        },
        columns=COLUMNS,
    )


def matches(rules: Sequence[Rule], ctx: ModelContext, sites: pd.DataFrame) -> pd.DataFrame:
    """Every (rule, incident) match among the context's incidents: rule_id, position (in
    ctx.incidents), site_id (None for a province rule), distance_km, tier_km, others (the
    other watched sites in range)."""
    found = []
    for rule in rules:
        if rule.kind != "incident" or not rule.enabled:
            continue
        passing = filter_mask(rule, ctx.incidents) & precision_mask(rule, ctx.incidents)
        if not passing.any():
            continue
        if rule.watch_kind == "province":
            found.append(in_province(rule, ctx, passing))
        else:
            found.append(near_sites(rule, ctx, sites, passing))
    found = [f for f in found if not f.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=COLUMNS)


def why(rule: Rule, incident: Mapping, match: Mapping, site_names: Mapping[str, str]) -> str:
    """Why the rule matched, in one sentence."""
    placed = _text(incident.get("geo_precision")) or "unknown"
    killed = incident.get("killed")
    toll = "killed not reported" if pd.isna(killed) else f"{int(killed)} killed"
    if match.get("site_id") is None:
        return (
            f"Recorded in {_text(incident.get('province'))}, which the rule watches; {toll}; "
            f"placed at {placed} precision."
        )
    name = site_names.get(match["site_id"], match["site_id"])
    sentence = (
        f"{match['distance_km']:.1f} km from {name}, within the rule's {match['tier_km']:g} km; {toll}; "
        f"placed at {placed} precision."
    )
    others = [site_names.get(s, s) for s in match.get("others") or []]
    if others:
        sentence += " Also in range of " + ", ".join(others) + "."
    return sentence
