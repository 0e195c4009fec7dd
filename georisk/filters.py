"""The one filter value every page obeys, how it applies to each table, and its URL form.

A `Filters` is what the analyst chose in the sidebar. Each table states which of its columns
answers each filter dimension (`DIMENSIONS`); a dimension a table has no column for does not
narrow it (the sector of an incident is unknown, so the sector filter leaves incidents alone).
An empty selection means "everything".

The URL form uses the parameter names `sector`, `region`, `actor`, `category`, `attribution`,
`outcome` (repeated for several values) and `from`, `to`, `asof` (ISO dates). Parsing a URL
never raises: a value that is unknown or invalid is dropped and a notice says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from georisk.notices import Dropped, shown
from georisk.schema import ATTRIBUTION, CATEGORIES, OUTCOME, SECTORS, UNKNOWN_FAMILY, split_list


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

    def is_empty(self) -> bool:
        return self == Filters(asof=self.asof)


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


def mask(frame: pd.DataFrame, table: str, filters: Filters) -> np.ndarray:
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


def apply(frame: pd.DataFrame, table: str, filters: Filters) -> pd.DataFrame:
    """The rows of `frame` the filters keep (a new frame; the input is never changed)."""
    return frame[mask(frame, table, filters)]


# ---------------------------------------------------------------------------------------------
# URL form

LIST_PARAMS = {
    "sector": "sectors",
    "region": "regions",
    "actor": "actors",
    "category": "categories",
    "attribution": "attributions",
    "outcome": "outcomes",
}
DATE_PARAMS = {"from": "start", "to": "end", "asof": "asof"}
FILTER_PARAMS = (*LIST_PARAMS, *DATE_PARAMS)


@dataclass
class Parsed:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def to_params(filters: Filters, choices: Choices) -> dict[str, list[str]]:
    """The URL parameters for a filter value, in a stable order (the whole view, dates included,
    so that a link still means the same view after the data grows)."""
    params: dict[str, list[str]] = {}
    for name, attribute in LIST_PARAMS.items():
        values = getattr(filters, attribute)
        if values:
            params[name] = list(values)
    defaults = choices.defaults()
    for name, attribute in DATE_PARAMS.items():
        value = getattr(filters, attribute) or getattr(defaults, attribute)
        params[name] = [value.isoformat()]
    return params


def from_params(params: Mapping[str, str | list[str]], choices: Choices) -> Parsed:
    """The filter value a URL asks for; what it cannot use is dropped with a notice."""
    notices: list[str] = []
    values: dict[str, object] = {}
    for name, attribute in LIST_PARAMS.items():
        if name not in params:
            continue
        allowed = set(getattr(choices, attribute))
        unknown = Dropped(
            one=f"Ignored {name}={{value}}: not a known {name}.",
            many=f"Ignored {{count}} values of {name} that are not a known {name}; "
            "the first {first}: {values}.",
        )
        wanted = set()
        for value in _as_list(params[name]):
            if value in allowed:
                wanted.add(value)
            else:
                unknown.add(value)
        notices += unknown.lines()
        values[attribute] = tuple(v for v in getattr(choices, attribute) if v in wanted)
    defaults = choices.defaults()
    for name, attribute in DATE_PARAMS.items():
        if name not in params:
            continue
        given = _as_list(params[name])
        if len(given) > 1:
            notices.append(f"Ignored repeated {name}: it takes one date.")
            continue
        date = parse_date(given[0])
        if date is None:
            notices.append(f"Ignored {name}={shown(given[0])}: not a date in the form YYYY-MM-DD.")
            continue
        if not choices.first_date <= date <= choices.last_date:
            notices.append(
                f"Ignored {name}={date.isoformat()}: outside the data's dates "
                f"({choices.first_date.isoformat()} to {choices.last_date.isoformat()})."
            )
            continue
        values[attribute] = date
    filters = replace(defaults, **values)
    if filters.start > filters.end:
        notices.append(
            f"Ignored from={filters.start.isoformat()} and to={filters.end.isoformat()}: "
            "the period starts after it ends."
        )
        filters = replace(filters, start=defaults.start, end=defaults.end)
    if filters.end > filters.asof:
        # Only a "to" the link asked for deserves a notice; the default period simply ends at
        # the as-of date.
        if "end" in values:
            notices.append(
                f"The period now ends at the as-of date {filters.asof.isoformat()}: "
                "nothing after it is shown."
            )
        filters = replace(filters, end=filters.asof, start=min(filters.start, filters.asof))
    return Parsed(filters, notices)


def clamp(filters: Filters, choices: Choices) -> Filters:
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


def quarters(choices: Choices) -> list[str]:
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
