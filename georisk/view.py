"""The view: the filters in force, how they apply to each table, and the rows they keep, with
the risk model's context and one shared scoring of its sites.

A `Filters` is what the analyst chose in the sidebar. Each table states which of its columns
answers each filter dimension (`DIMENSIONS`); a dimension a table has no column for does not
narrow it (the sector of an incident is unknown, so the sector filter leaves incidents alone).
An empty selection means "everything". Its URL form is in `georisk.link`.

A `View` is what every page, export and briefing works with, so that a file made from the command
line holds exactly what the page shows for the same link. `View.scores(model)` is the one route
to the site scores: computed once per (dataset, filters, date, model) for the whole process.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from georisk import limits
from georisk.model import context, scoring
from georisk.model.context import ModelContext
from georisk.model.settings import ModelSettings
from georisk.scenario.dataset import Dataset
from georisk.scenario.schema import ATTRIBUTION, CATEGORIES, OUTCOME, SECTORS, UNKNOWN_FAMILY, split_list


@dataclass(frozen=True)
class Filters:
    sectors: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    # How sure the attribution is (claimed, attributed, suspected, unknown) and whether the attack
    # succeeded (succeeded, failed, unknown): incidents only.
    attributions: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    asof: dt.date | None = None


@dataclass(frozen=True)
class Choices:
    """The values the filters can take for a dataset, and their defaults."""

    sectors: tuple[str, ...]
    regions: tuple[str, ...]
    actors: tuple[str, ...]
    categories: tuple[str, ...]
    first_date: dt.date
    last_date: dt.date
    attributions: tuple[str, ...] = ATTRIBUTION
    outcomes: tuple[str, ...] = OUTCOME

    def defaults(self) -> Filters:
        return Filters(start=self.first_date, end=self.last_date, asof=self.last_date)


def choices_for(dataset) -> Choices:
    """The filter vocabulary of a loaded dataset: what its files declare or contain."""
    dates = pd.concat([dataset.events["date"], dataset.incidents["date"]], ignore_index=True).dropna()
    today = dt.date.today()
    first = dates.min().date() if len(dates) else today
    last = dates.max().date() if len(dates) else today
    years = dataset.indicators["year"].dropna()
    if len(years):  # yearly indicators reach further back than the dated events
        first = min(first, dt.date(min(max(int(years.min()), 1), 9999), 1, 1))
        last = max(last, dt.date(min(max(int(years.max()), 1), 9999), 1, 1))
    families = sorted(
        set(dataset.actors["family"].unique()) | set(dataset.incidents["actor_family"].unique())
    )
    if UNKNOWN_FAMILY in families:  # "unknown" reads best last
        families = [f for f in families if f != UNKNOWN_FAMILY] + [UNKNOWN_FAMILY]
    return Choices(
        sectors=SECTORS,
        regions=tuple(sorted(dataset.boundaries["name"])),
        actors=tuple(families),
        categories=CATEGORIES,
        first_date=first,
        last_date=last,
    )


# ---------------------------------------------------------------------------------------------
# Applying a filter to a table


@dataclass(frozen=True)
class Dimensions:
    """Which column of a table answers each filter, or the constant value all its rows share."""

    sector: str | None = None
    region: str | None = None
    region_is_list: bool = False
    actor: str | None = None
    category: str | None = None
    category_constant: str | None = None
    attribution: str | None = None
    outcome: str | None = None
    date: str | None = None
    year: str | None = None
    # Sites exist from their announcement on: the as-of date hides the ones not yet announced.
    exists_from: str | None = None


DIMENSIONS: dict[str, Dimensions] = {
    "events": Dimensions(sector="sector", region="province", category="category", date="date"),
    "incidents": Dimensions(
        region="province",
        actor="actor_family",
        category_constant="security",
        attribution="attribution",
        outcome="outcome",
        date="date",
    ),
    "sites": Dimensions(
        sector="sector", region="provinces", region_is_list=True, exists_from="announced_date"
    ),
    "indicators": Dimensions(sector="sector", year="year"),
}


def _period(filters: Filters) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The effective period: nothing after the as-of date has happened yet."""
    end = filters.end
    if filters.asof is not None and (end is None or filters.asof < end):
        end = filters.asof
    return (
        None if filters.start is None else pd.Timestamp(filters.start),
        None if end is None else pd.Timestamp(end),
    )


def filter_mask(frame: pd.DataFrame, table: str, filters: Filters) -> np.ndarray:
    """True for the rows of `frame` (a table named in DIMENSIONS) that the filters keep."""
    dims = DIMENSIONS[table]
    keep = np.ones(len(frame), dtype=bool)

    def isin(column: str, values: tuple[str, ...]) -> np.ndarray:
        return frame[column].isin(values).to_numpy(dtype=bool, na_value=False)

    if filters.sectors and dims.sector:
        keep &= isin(dims.sector, filters.sectors)
    if filters.regions and dims.region:
        if dims.region_is_list:
            wanted = set(filters.regions)
            keep &= frame[dims.region].map(lambda v: bool(wanted & set(split_list(v)))).to_numpy(dtype=bool)
        else:
            keep &= isin(dims.region, filters.regions)
    if filters.actors and dims.actor:
        keep &= isin(dims.actor, filters.actors)
    # An incident that does not say (an empty cell) counts as "unknown".
    if filters.attributions and dims.attribution:
        keep &= frame[dims.attribution].fillna("unknown").isin(filters.attributions).to_numpy(dtype=bool)
    if filters.outcomes and dims.outcome:
        keep &= frame[dims.outcome].fillna("unknown").isin(filters.outcomes).to_numpy(dtype=bool)
    if filters.categories:
        if dims.category:
            keep &= isin(dims.category, filters.categories)
        elif dims.category_constant and dims.category_constant not in filters.categories:
            keep[:] = False
    start, end = _period(filters)
    if dims.date:
        dates = frame[dims.date]
        if start is not None:
            keep &= (dates >= start).to_numpy(dtype=bool, na_value=False)
        if end is not None:
            keep &= (dates <= end).to_numpy(dtype=bool, na_value=False)
    if dims.year:
        years = frame[dims.year]
        if start is not None:
            keep &= (years >= start.year).to_numpy(dtype=bool, na_value=False)
        if end is not None:
            keep &= (years <= end.year).to_numpy(dtype=bool, na_value=False)
    if dims.exists_from and filters.asof is not None:
        keep &= (frame[dims.exists_from] <= pd.Timestamp(filters.asof)).to_numpy(dtype=bool, na_value=False)
    return keep


def filtered(frame: pd.DataFrame, table: str, filters: Filters) -> pd.DataFrame:
    """The rows of `frame` the filters keep (a new frame; the input is never changed)."""
    return frame[filter_mask(frame, table, filters)]


def clamp_filters(filters: Filters, choices: Choices) -> Filters:
    """The filter with its dates made consistent: first date <= from <= to <= as-of <= last date.

    A missing date (a cleared widget) takes its default; when "from" moved past "to", "to"
    follows it.
    """
    first, last = choices.first_date, choices.last_date

    def inside(value: dt.date | None, default: dt.date, high: dt.date) -> dt.date:
        return min(max(value or default, first), high)

    asof = inside(filters.asof, last, last)
    start = inside(filters.start, first, asof)
    end = max(inside(filters.end, asof, asof), start)
    return replace(filters, start=start, end=end, asof=asof)


def preset_period(preset: str, asof: dt.date, choices: Choices) -> tuple[dt.date, dt.date]:
    """The period of a named preset, ending at the as-of date."""
    days = {"last 90 days": 90, "last year": 365}.get(preset)
    if days is None:
        return choices.first_date, max(asof, choices.first_date)
    # Never before the data's first date, so never before the calendar's first day either.
    days = min(days, max((asof - choices.first_date).days, 0))
    return asof - dt.timedelta(days=days), asof


# Preset periods and their short button labels.
PRESETS = {"last 90 days": "90 d", "last year": "1 yr", "everything": "All"}


def quarter_of(date: dt.date) -> str:
    return f"{date.year} Q{(date.month - 1) // 3 + 1}"


def quarter_labels(choices: Choices) -> list[str]:
    """Every quarter from the data's first date to its last, as "YYYY Qn"."""
    labels, year, q = [], choices.first_date.year, (choices.first_date.month - 1) // 3 + 1
    last = quarter_of(choices.last_date)
    while True:
        labels.append(f"{year} Q{q}")
        if labels[-1] == last:
            return labels
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def quarter_end(label: str, choices: Choices) -> dt.date:
    """The last day of a quarter, kept inside the data's dates."""
    year, q = (int(part) for part in label.split(" Q"))
    # The day before the next quarter starts, written so that 9999 Q4 needs no year 10000.
    end = dt.date(year, 12, 31) if q == 4 else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
    return min(max(end, choices.first_date), choices.last_date)


# Scorings of views, shared by every session: a site table is small (a row per site), so the
# bound is in entries. Each entry holds a weak reference to its dataset: a reloaded folder frees
# the old dataset (and its model context), and an id reused after that never returns its scores.
SCORINGS_KEPT = 128
_scorings = limits.LruCache(SCORINGS_KEPT)


@dataclass(frozen=True)
class View:
    dataset: Dataset
    filters: Filters
    choices: Choices
    events: pd.DataFrame
    sites: pd.DataFrame
    indicators: pd.DataFrame
    # Which of the dataset's incidents are in view (positional).
    incident_mask: np.ndarray

    @classmethod
    def of(cls, dataset: Dataset, filters: Filters, choices: Choices | None = None) -> View:
        return cls(
            dataset=dataset,
            filters=filters,
            choices=choices or choices_for(dataset),
            events=filtered(dataset.events, "events", filters),
            sites=filtered(dataset.sites, "sites", filters),
            indicators=filtered(dataset.indicators, "indicators", filters),
            incident_mask=filter_mask(dataset.incidents, "incidents", filters),
        )

    @property
    def incidents(self) -> pd.DataFrame:
        """The incidents in view, made anew on each call, when a page needs the rows and not just
        their count. Never kept on the view: download and briefing callbacks hold the view for the
        life of a session, and a narrowed view's rows are a copy (about 430 bytes a row; 110 MB
        for a province of a 2.5M-row feed)."""
        return self.dataset.incidents[self.incident_mask]

    @property
    def ctx(self) -> ModelContext:
        """The risk model's context for the view's dataset (one per dataset, shared)."""
        return context.shared(self.dataset)

    def scores(
        self, model: ModelSettings, asof: dt.date | pd.Timestamp | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The view's sites scored with `model` at its as-of date (or `asof`): one row per site and
        one per scoring unit (scoring.score_sites). Every page, export and briefing of the same
        view asks here, and the answer is shared by every session (the last SCORINGS_KEPT)."""
        when = pd.Timestamp(self.filters.asof if asof is None else asof)
        key = (id(self.dataset), self.filters, when, model)
        made = _scorings.get(key)
        if made is None or made[0]() is not self.dataset:
            scores, units = scoring.score_sites(
                self.sites, self.ctx, when, model, self.filters.actors, self.incident_mask
            )
            made = (weakref.ref(self.dataset), (scores, units))
            _scorings.put(key, made)
        return made[1]

    @cached_property
    def incident_count(self) -> int:
        return int(self.incident_mask.sum())

    @cached_property
    def trend_mask(self) -> np.ndarray:
        """Which incidents would be in view without the period filter (still nothing after the
        as-of date): what fixed-window trends count. Made when a page asks for it."""
        return filter_mask(self.dataset.incidents, "incidents", replace(self.filters, start=None, end=None))
