"""Threat ratings: which level a province has at a date, and ratings derived from a feed.

Where they come from (the model setting `ratings`, `ratings=` in a link):
    analysts  the analysts' file, threat_levels.csv (the default);
    derived   ratings derived from the incidents in use by DERIVED_RULE (below), labelled as such;
    combined  the analysts' rating where there is one for the date, else the derived one.

A rating holds for its period. After a province's last rated period it is carried forward, marked
as carried, for at most MAX_CARRY_DAYS; after that, and before the first rated period, the
province has no rating. No rating is "no rating", never level 1: the model then rests the
likelihood on exposure alone and every page says so.

DERIVED_RULE, for each province (as it was on each incident's date) and calendar half-year within
the feed's coverage (its first to last incident date), for all groups together and for each
actor family: from the number of incidents n (at any precision: a province-level point still says
which province) and the deaths k they caused (known counts),
    level 5 if n >= 60 or k >= 300; 4 if n >= 24 or k >= 100; 3 if n >= 6 or k >= 25;
    2 if n >= 1; 1 if n = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from georisk.scenario import places
from georisk.scenario.schema import ALL_FAMILIES, UNKNOWN_FAMILY, DateLike

SOURCES = ("analysts", "derived", "combined")
SOURCE_LABELS = {
    "analysts": "the analysts' ratings",
    "derived": "ratings derived from the incidents",
    "combined": "the analysts' ratings, derived ones where they have none",
}
MAX_CARRY_DAYS = 365
DERIVED_RULE = "georisk derived threat rule 1"
# (level, least incidents, least deaths), highest first.
DERIVED_THRESHOLDS = ((5, 60, 300), (4, 24, 100), (3, 6, 25), (2, 1, None))

Rating = tuple[pd.Timestamp, pd.Timestamp, str, int]  # start, end, family, level


@dataclass(frozen=True)
class Threat:
    """A province's threat for some families at a date: the level (None: no rating), the family
    whose rating it is, the period rated, whether it is current or carried forward, and whether
    the analysts rated it or it is derived."""

    level: int | None
    family: str
    period: str
    status: str  # current | carried | none
    origin: str = "analysts"  # analysts | derived

    @property
    def rated(self) -> bool:
        return self.level is not None

    def words(self) -> str:
        """E.g. "threat level 4 (TTP, derived)" or "no threat rating"."""
        if not self.rated:
            return "no threat rating"
        notes = [self.family]
        if self.origin == "derived":
            notes.append("derived")
        if self.status == "carried":
            notes.append(f"latest rating {self.period}, carried forward")
        return f"threat level {self.level} ({', '.join(notes)})"


NO_RATING = Threat(None, "no rating", "", "none", "")


def by_province(levels: pd.DataFrame) -> dict[str, list[Rating]]:
    """The ratings grouped by province, in a form that is quick to search."""
    grouped: dict[str, list[Rating]] = {}
    for province, start, end, family, level in zip(
        levels["province"],
        levels["period_start"],
        levels["period_end"],
        levels["actor_family"],
        levels["level"],
        strict=True,
    ):
        grouped.setdefault(province, []).append((start, end, family, int(level)))
    return grouped


def threat_from(
    rows: list[Rating], families: set[str], asof: pd.Timestamp, origin: str = "analysts"
) -> Threat:
    """The threat for the given families at the date, from one province's ratings: the highest
    level among them, a family without its own rating taking the province's overall rating."""
    started = [r for r in rows if r[0] <= asof]
    if not started:
        return NO_RATING
    current = [r for r in started if r[1] >= asof]
    status = "current"
    if not current:  # beyond the last rated period: carry the latest, for a while
        latest_end = max(r[1] for r in started)
        if (asof - latest_end).days > MAX_CARRY_DAYS:
            return NO_RATING
        latest = max(r[0] for r in started)
        current = [r for r in started if r[0] == latest]
        status = "carried"
    overall = next((r for r in current if r[2] == ALL_FAMILIES), None)
    best: Threat = NO_RATING
    for family in sorted(families) or [ALL_FAMILIES]:
        row = next((r for r in current if r[2] == family), overall)
        if row is not None and (best.level is None or row[3] > best.level):
            label = family if family != ALL_FAMILIES else "all groups"
            best = Threat(row[3], label, f"{row[0].date()} to {row[1].date()}", status, origin)
    return best


def threat_at(levels: pd.DataFrame, province: str, families: set[str], asof: DateLike) -> Threat:
    """threat_from for one province of a ratings table."""
    return threat_from(by_province(levels).get(province, []), families, pd.Timestamp(asof))


def coverage(levels: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day any rating covers (None: no ratings at all)."""
    if levels.empty:
        return None
    return pd.Timestamp(levels["period_start"].min()), pd.Timestamp(levels["period_end"].max())


def combine(analysts: Threat, derived: Threat) -> Threat:
    """The analysts' rating when it is current, else a current derived one, else whatever there is."""
    if analysts.status == "current":
        return analysts
    if derived.status == "current":
        return derived
    return analysts if analysts.rated else derived


# ---------------------------------------------------------------------------------------------
# Ratings derived from a feed


def derived_level(incidents: int, deaths: float) -> int:
    for level, least_incidents, least_deaths in DERIVED_THRESHOLDS:
        if incidents >= least_incidents or (least_deaths is not None and deaths >= least_deaths):
            return level
    return 1


def derive(
    incidents: pd.DataFrame,
    boundaries: pd.DataFrame,
    families: list[str],
    source: str = "the incidents in use",
) -> pd.DataFrame:
    """Threat ratings by DERIVED_RULE, in the columns of threat_levels.csv (plus `origin`)."""
    columns = ["threat_id", "province", "period_start", "period_end", "actor_family", "level", "rationale"]
    if incidents.empty or boundaries.empty:
        return pd.DataFrame(columns=[*columns, "source", "confidence", "origin"])
    dates = incidents["date"]
    first, last = dates.min(), dates.max()
    halves = pd.period_range(_half_start(first), _half_start(last), freq="6M")
    provinces = places.at_date(incidents["province"], dates, boundaries).astype(object)
    half = np.where(dates.dt.month <= 6, 1, 7)
    keys = pd.DataFrame(
        {
            "province": provinces,
            "start": pd.to_datetime({"year": dates.dt.year, "month": half, "day": 1}),
            "family": incidents["actor_family"].astype(object),
            "killed": incidents["killed"].astype("Float64").fillna(0).astype(float),
        }
    )
    overall = keys.groupby(["province", "start"]).agg(n=("killed", "size"), k=("killed", "sum"))
    per_family = keys.groupby(["province", "start", "family"]).agg(n=("killed", "size"), k=("killed", "sum"))
    rated_families = [
        ALL_FAMILIES,
        *sorted(f for f in set(families) if f not in (UNKNOWN_FAMILY, ALL_FAMILIES)),
    ]
    existing = places.existing_at
    rows = []
    for period in halves:
        start = period.start_time.normalize()
        end = (start + pd.DateOffset(months=6) - pd.Timedelta(days=1)).normalize()
        partial = start < first.normalize() or end > last.normalize()
        alive = boundaries["name"][existing(boundaries, start) | existing(boundaries, end)]
        for province in alive:
            for family in rated_families:
                table, key = (
                    (overall, (province, start))
                    if family == ALL_FAMILIES
                    else (
                        per_family,
                        (province, start, family),
                    )
                )
                n, k = (
                    (int(table.at[key, "n"]), float(table.at[key, "k"])) if key in table.index else (0, 0.0)
                )
                who = "" if family == ALL_FAMILIES else f"{family} "
                rows.append(
                    {
                        "threat_id": f"D-{province}-{start.date()}-{family}",
                        "province": province,
                        "period_start": start,
                        "period_end": end,
                        "actor_family": family,
                        "level": derived_level(n, k),
                        "rationale": f"{n:,} {who}incident(s), {k:,.0f} killed in {source}"
                        + (" (the feed covers part of this half-year)" if partial else ""),
                    }
                )
    frame = pd.DataFrame(rows, columns=columns)
    frame["source"] = f"{DERIVED_RULE}, from {source}"
    frame["confidence"] = "low"
    frame["origin"] = "derived"
    return frame


def _half_start(date: pd.Timestamp) -> pd.Period:
    return pd.Period(pd.Timestamp(date.year, 1 if date.month <= 6 else 7, 1), freq="6M")


def highest(threats: dict[str, Threat]) -> tuple[list[str], int | None]:
    """The province(s) with the highest level among these threats, and that level."""
    rated = {p: t.level for p, t in threats.items() if t.rated}
    if not rated:
        return [], None
    top = max(rated.values())
    return sorted(p for p, level in rated.items() if level == top), top
