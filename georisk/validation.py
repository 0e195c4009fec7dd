"""Rules that need more than one table: references between files, provinces, the country's shape.

Each rule looks at the tables already cleaned by their own schema and by the rules before it,
and returns the rows it rejects. A rejected row is removed and listed like any other problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import shapely

from georisk.loading import Table
from georisk.problems import WARNING, Problem
from georisk.schema import ALL_FAMILIES, UNKNOWN_FAMILY, split_list

# Natural Earth's simplified coast and borders are coarse; a point this close (in degrees,
# about 25 km) to the country still counts as inside it.
COUNTRY_TOLERANCE_DEG = 0.25

Rejection = tuple[str, int, str, str, str | None]  # table, row, column, reason, value


def country_shape(boundaries: pd.DataFrame) -> shapely.Geometry | None:
    if boundaries.empty:
        return None
    outline = shapely.union_all(boundaries.geometry.values).buffer(COUNTRY_TOLERANCE_DEG)
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


def _coordinates(tables: dict[str, Table], name: str, outline, country: str) -> list[Rejection]:
    frame = tables[name].frame
    if frame.empty:
        return []
    outside = points_outside(frame, outline)
    return [
        (
            name,
            row,
            "lat",
            _outside_reason(frame.at[row, "lat"], frame.at[row, "lon"], outline, country),
            f"{frame.at[row, 'lat']}, {frame.at[row, 'lon']}",
        )
        for row in frame.index[outside]
    ]


def _geometries(tables: dict[str, Table], name: str, outline, country: str) -> list[Rejection]:
    frame = tables[name].frame
    return [
        (name, row, "geometry", f"lies (partly) outside {country}", None)
        for row in frame.index
        if not outline.contains(frame.at[row, "geometry"])
    ]


def _unknown_values(
    table: str, frame: pd.DataFrame, column: str, allowed: set[str], what: str, is_list: bool = False
) -> list[Rejection]:
    cells = frame[column]
    if not is_list:
        # Vectorised: an imported feed may hold a million rows.
        suspects = cells[cells.notna() & ~cells.isin(list(allowed))]
        return [(table, row, column, f"unknown {what}: {cell}", str(cell)) for row, cell in suspects.items()]
    rejections = []
    for row, cell in cells.items():
        bad = [v for v in split_list(cell) if v not in allowed]
        if bad:
            rejections.append((table, row, column, f"unknown {what}: {', '.join(bad)}", str(cell)))
    return rejections


def _overlapping_periods(frame: pd.DataFrame) -> list[Rejection]:
    rejections = []
    ordered = frame.sort_values("period_start")
    for (province, family), group in ordered.groupby(["province", "actor_family"], sort=False):
        last_end = None
        for row, start, end in zip(group.index, group["period_start"], group["period_end"], strict=True):
            if last_end is not None and start <= last_end:
                reason = f"period overlaps an earlier rating of {province} for {family}"
                rejections.append(("threat_levels", row, "period_start", reason, str(start.date())))
                continue
            last_end = end
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
            rejections.append(("judgments", row, "probability_band", reason, band))
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

    def outline():
        return country_shape(frame("boundaries"))

    have_boundaries = not frame("boundaries").empty
    rules: list[Callable[[], Iterable[Rejection]]] = []
    if have_boundaries:
        rules += [
            lambda: _unknown_values("actors", frame("actors"), "areas", provinces(), "province", True),
            lambda: _unknown_values("sites", frame("sites"), "provinces", provinces(), "province", True),
            lambda: _geometries(t, "sites", outline(), country),
            lambda: _unknown_values("events", frame("events"), "province", provinces(), "province"),
            lambda: _coordinates(t, "events", outline(), country),
            lambda: _unknown_values("incidents", frame("incidents"), "province", provinces(), "province"),
            lambda: _coordinates(t, "incidents", outline(), country),
            lambda: _unknown_values(
                "threat_levels", frame("threat_levels"), "province", provinces(), "province"
            ),
        ]
    rules += [
        lambda: _unknown_values(
            "events", frame("events"), "site_ids", set(frame("sites")["site_id"]), "site id", True
        ),
        lambda: _unknown_values(
            "actor_aliases",
            frame("actor_aliases"),
            "family",
            families() | {UNKNOWN_FAMILY},
            "actor family (not in actors.csv)",
        ),
        lambda: _unknown_values(
            "incidents",
            frame("incidents"),
            "actor_family",
            families() | {UNKNOWN_FAMILY},
            "actor family (not in actors.csv)",
        ),
        lambda: _unknown_values(
            "threat_levels",
            frame("threat_levels"),
            "actor_family",
            families() | {ALL_FAMILIES, UNKNOWN_FAMILY},
            "actor family (not in actors.csv)",
        ),
        lambda: _unknown_values(
            "threat_levels",
            frame("threat_levels"),
            "level",
            set(frame("threat_scale")["level"]),
            "level (not in threat_scale.csv)",
        ),
        lambda: _overlapping_periods(frame("threat_levels")),
        lambda: _unknown_values(
            "judgments",
            frame("judgments"),
            "evidence_event_ids",
            set(frame("events")["event_id"]),
            "event id",
            True,
        ),
        lambda: _unknown_values(
            "judgments",
            frame("judgments"),
            "likelihood_term",
            set(frame("estimative_scale")["term"]),
            "likelihood term",
        ),
        lambda: _bands(t),
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
        for name, row, column, reason, value in rule():
            table = tables[name]
            table.problems.append(Problem(table.spec.filename, int(row), column, reason, value))
            rejected.setdefault(name, set()).add(row)
        for name, rows in rejected.items():
            tables[name].frame = tables[name].frame.drop(index=sorted(rows))
