"""Rules that need more than one table: references between files, provinces, the country's shape.

Each rule looks at the tables already cleaned by their own schema and by the rules before it,
and returns the rows it rejects. A rejected row is removed and listed like any other problem.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely

from georisk.problems import ERROR, WARNING, Problem
from georisk.scenario import places
from georisk.scenario.reading import Table
from georisk.scenario.schema import ALL_FAMILIES, UNKNOWN_FAMILY, split_list

# Natural Earth's simplified coast and borders are coarse; a point this close (in degrees,
# about 25 km) to the country still counts as inside it.
COUNTRY_TOLERANCE_DEG = 0.25


class Rejection(NamedTuple):
    table: str
    row: int | None  # None: about the table as a whole
    column: str | None
    reason: str
    value: str | None = None
    # An error leaves the row out; a warning keeps it.
    severity: str = ERROR


def country_outline(
    boundaries: pd.DataFrame, tolerance_deg: float = COUNTRY_TOLERANCE_DEG
) -> shapely.Geometry:
    """The country: the union of its provinces, widened by `tolerance_deg` (0: as drawn), prepared
    for fast point tests. No boundaries give an empty geometry, which contains no point."""
    outline = shapely.union_all(np.asarray(boundaries.geometry))
    if tolerance_deg:
        outline = outline.buffer(tolerance_deg)
    shapely.prepare(outline)
    return outline


def points_outside(frame: pd.DataFrame, outline: shapely.Geometry) -> pd.Series:
    """True where a row's (lat, lon) is given and lies outside the country."""
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    given = ~(np.isnan(lat) | np.isnan(lon))
    inside = np.zeros(len(frame), dtype=bool)
    inside[given] = shapely.contains_xy(outline, lon[given], lat[given])
    return pd.Series(given & ~inside, index=frame.index)


def _outside_reason(lat: float, lon: float, outline: shapely.Geometry, country: str) -> str:
    if shapely.contains_xy(outline, lat, lon):
        return f"outside {country}; latitude and longitude look swapped"
    return f"outside {country} (more than {COUNTRY_TOLERANCE_DEG}° from its border)"


def _coordinates(
    tables: dict[str, Table], name: str, outline: shapely.Geometry, country: str
) -> list[Rejection]:
    frame = tables[name].frame
    if frame.empty:
        return []
    outside = points_outside(frame, outline)
    return [
        Rejection(
            name,
            row,
            "lat",
            _outside_reason(frame.at[row, "lat"], frame.at[row, "lon"], outline, country),
            f"{frame.at[row, 'lat']}, {frame.at[row, 'lon']}",
        )
        for row in frame.index[outside]
    ]


def _geometries(
    tables: dict[str, Table], name: str, outline: shapely.Geometry, country: str
) -> list[Rejection]:
    frame = tables[name].frame
    return [
        Rejection(name, row, "geometry", f"lies (partly) outside {country}")
        for row in frame.index
        if not outline.contains(frame.at[row, "geometry"])
    ]


def _unknown_values(
    table: str,
    frame: pd.DataFrame,
    column: str,
    allowed: set[str],
    what: str,
    is_list: bool = False,
    pending: set[str] = frozenset(),
    pending_file: str = "",
) -> list[Rejection]:
    """Rows whose `column` holds values outside `allowed`: an error for an unknown value, a
    warning (the row stays) when the value belongs to a row the other file had to leave out."""
    cells = frame[column]
    if is_list:
        found = [
            (row, cell, [v for v in split_list(cell) if v not in allowed]) for row, cell in cells.items()
        ]
        found = [(row, cell, bad) for row, cell, bad in found if bad]
    else:
        # Vectorised: an imported feed may hold a million rows.
        suspects = cells[cells.notna() & ~cells.isin(list(allowed))]
        found = [(row, cell, [cell]) for row, cell in suspects.items()]
    rejections = []
    for row, cell, bad in found:
        if all(str(v) in pending for v in bad):
            reason = f"refers to {what} {', '.join(map(str, bad))}, which {pending_file} had to leave out"
            rejections.append(Rejection(table, row, column, reason, str(cell), WARNING))
        else:
            rejections.append(
                Rejection(table, row, column, f"unknown {what}: {', '.join(map(str, bad))}", str(cell))
            )
    return rejections


def _usable(table: Table) -> bool:
    return not any(p.row is None and p.severity == ERROR for p in table.problems)


def _dropped_values(table: Table, column: str, is_list: bool = False) -> set[str]:
    if table.dropped is None or table.dropped.empty or column not in table.dropped:
        return set()
    values = table.dropped[column].dropna()
    return {v for cell in values for v in split_list(cell)} if is_list else set(values.astype(str))


def _reference(
    tables: dict[str, Table],
    table: str,
    column: str,
    target: str,
    target_column: str,
    what: str,
    is_list: bool = False,
    extra: frozenset[str] = frozenset(),
) -> list[Rejection]:
    """Check that `table.column` names rows of `target` that exist. When the target file could not
    be loaded at all, nothing is rejected for it: the check is skipped with a warning."""
    other = tables[target]
    if not _usable(other):
        reason = f"{what} references were not checked: {other.spec.filename} could not be loaded"
        return [Rejection(table, None, column, reason, None, WARNING)]
    known = set(other.frame[target_column]) | set(extra)
    # Rows read but left out are still text: compare in text.
    pending = _dropped_values(other, target_column) - {str(k) for k in known}
    return _unknown_values(
        table, tables[table].frame, column, known, what, is_list, pending, other.spec.filename
    )


def _ended_provinces(tables: dict[str, Table], name: str, date_column: str) -> list[Rejection]:
    """Rows that name a province on a date after it ceased to exist (kept, with a warning: the
    model reads them as its successor)."""
    ended = places.successors(tables["boundaries"].frame)
    frame = tables[name].frame
    rejections = []
    for province, (last_day, successor) in ended.items():
        late = (frame["province"] == province) & (frame[date_column] > last_day)
        for row in frame.index[late.fillna(False).to_numpy(dtype=bool)]:
            reason = (
                f"{province} no longer existed on {frame.at[row, date_column].date()}: after "
                f"{last_day.date()} its ground belongs to {successor}; name {successor}"
            )
            rejections.append(Rejection(name, row, "province", reason, province, WARNING))
    return rejections


def _overlapping_periods(frame: pd.DataFrame) -> list[Rejection]:
    rejections = []
    ordered = frame.sort_values("period_start")
    for (province, family), group in ordered.groupby(["province", "actor_family"], sort=False):
        last_end = None
        for row, start, end in zip(group.index, group["period_start"], group["period_end"], strict=True):
            if last_end is not None and start <= last_end:
                reason = f"period overlaps an earlier rating of {province} for {family}"
                rejections.append(Rejection("threat_levels", row, "period_start", reason, str(start.date())))
                continue
            last_end = end
    return rejections


URL_PATTERN = re.compile(r"https?://[^\s|\"'<>]+")
# A last path segment that is a host name ("…/news/1135430/i.dawn.com"): a page's link to a CDN
# or to its own front page pasted over the article's slug when the source was collected.
HOST_SEGMENT = re.compile(
    r"(?:[a-z0-9-]+\.)+(?:com|org|net|info|io|co|pk|uk|gov|edu|int|news)", re.IGNORECASE
)


def mangled_urls(text: object) -> list[str]:
    """The URLs in a cell whose last path segment is a host name (archive links, which embed a
    whole URL, excepted)."""
    if not isinstance(text, str):
        return []
    found = []
    for url in URL_PATTERN.findall(text):
        rest = url.split("://", 1)[1]
        path = rest.split("/", 1)[1] if "/" in rest else ""
        segments = [s for s in path.split("?")[0].split("/") if s]
        if segments and "http" not in path and HOST_SEGMENT.fullmatch(segments[-1]):
            found.append(url)
    return found


def _source_urls(tables: dict[str, Table]) -> list[Rejection]:
    """Curated records whose source cites a mangled URL: kept, and flagged for repair."""
    rejections = []
    for name, table in tables.items():
        if table.file != table.spec.filename or "source" not in table.frame:
            continue  # an imported feed's sources are the feed's own
        for row, cell in table.frame["source"].items():
            for url in mangled_urls(cell):
                reason = "a source URL ends in a host name instead of the article's address: repair the link"
                rejections.append(Rejection(name, row, "source", reason, url, WARNING))
    return rejections


BAND_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[–-]\s*(\d+(?:\.\d+)?)\s*%\s*$")


def probability_band(min_pct: float, max_pct: float) -> str:
    return f"{min_pct:g}–{max_pct:g}%"


def _bands(tables: dict[str, Table]) -> list[Rejection]:
    scale = tables["estimative_scale"].frame.set_index("term")
    judgments = tables["judgments"].frame
    rejections = []
    rows = zip(judgments.index, judgments["likelihood_term"], judgments["probability_band"], strict=True)
    for row, term, band in rows:
        if term not in scale.index:
            continue  # reported by the reference rule
        match = BAND_PATTERN.match(band)
        expected = (scale.at[term, "min_pct"], scale.at[term, "max_pct"])
        if not match or (float(match[1]), float(match[2])) != expected:
            reason = f"band does not match the scale's '{term}': {probability_band(*expected)}"
            rejections.append(Rejection("judgments", row, "probability_band", reason, band))
    return rejections


def cross_file_rules(tables: dict[str, Table], country: str) -> list[Callable[[], Iterable[Rejection]]]:
    """The rules, in the order they run; each sees the rows the earlier ones kept."""
    t = tables

    def frame(name: str) -> pd.DataFrame:
        return t[name].frame

    def provinces() -> set[str]:
        return set(frame("boundaries")["name"])

    def families() -> set[str]:
        return set(frame("actors")["family"])

    @functools.cache  # three rules ask; no rule changes the boundaries
    def outline() -> shapely.Geometry:
        return country_outline(frame("boundaries"))

    def ref(table, column, target, target_column, what, is_list=False, extra=frozenset()):
        return lambda: _reference(t, table, column, target, target_column, what, is_list, frozenset(extra))

    rules: list[Callable[[], Iterable[Rejection]]] = []
    if not frame("boundaries").empty:
        rules += [
            ref("actors", "areas", "boundaries", "name", "province", True),
            ref("sites", "provinces", "boundaries", "name", "province", True),
            lambda: _geometries(t, "sites", outline(), country),
            ref("events", "province", "boundaries", "name", "province"),
            lambda: _coordinates(t, "events", outline(), country),
            ref("incidents", "province", "boundaries", "name", "province"),
            lambda: _coordinates(t, "incidents", outline(), country),
            ref("threat_levels", "province", "boundaries", "name", "province"),
            lambda: _ended_provinces(t, "events", "date"),
            lambda: _ended_provinces(t, "incidents", "date"),
            lambda: _ended_provinces(t, "threat_levels", "period_start"),
        ]
    family = "actor family (not in actors.csv)"
    rules += [
        ref("events", "site_ids", "sites", "site_id", "site id", True),
        ref("actor_aliases", "family", "actors", "family", family, extra={UNKNOWN_FAMILY}),
        ref("incidents", "actor_family", "actors", "family", family, extra={UNKNOWN_FAMILY}),
        ref(
            "threat_levels", "actor_family", "actors", "family", family, extra={ALL_FAMILIES, UNKNOWN_FAMILY}
        ),
        ref("threat_levels", "level", "threat_scale", "level", "level (not in threat_scale.csv)"),
        lambda: _overlapping_periods(frame("threat_levels")),
        ref("judgments", "evidence_event_ids", "events", "event_id", "event id", True),
        ref("judgments", "likelihood_term", "estimative_scale", "term", "likelihood term"),
        lambda: _bands(t),
        lambda: _source_urls(t),
    ]
    return rules


def apply_cross_file_rules(tables: dict[str, Table], country: str) -> None:
    """Remove the rows that break a cross-file rule, recording why (in place)."""
    if tables["boundaries"].frame.empty:
        tables["boundaries"].problems.append(
            Problem(
                "boundaries.geojson",
                None,
                None,
                "no boundaries loaded: provinces and coordinates were not checked",
                severity=WARNING,
            )
        )
    for rule in cross_file_rules(tables, country):
        rejected: dict[str, set[int]] = {}
        for r in rule():
            table = tables[r.table]
            row = None if r.row is None else int(r.row)
            table.problems.append(Problem(table.spec.filename, row, r.column, r.reason, r.value, r.severity))
            if r.severity == ERROR and row is not None:
                rejected.setdefault(r.table, set()).add(row)
        for name, rows in rejected.items():
            table = tables[name]
            gone = table.frame.loc[sorted(rows)]
            table.dropped = gone if table.dropped is None else pd.concat([table.dropped, gone.astype(object)])
            table.frame = table.frame.drop(index=sorted(rows))
