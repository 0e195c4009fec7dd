"""Provinces: recognising their names as feeds write them, and finding the one a point lay in on a
given date.

Boundaries change. An area of `boundaries.geojson` may carry `valid_from` / `valid_to` dates and a
`successor`: after its `valid_to`, its ground belongs to the successor (FATA was merged into
Khyber Pakhtunkhwa on 31 May 2018). A point, or a name a feed gives, is placed in the province
that existed on the incident's date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from georisk.names import name_key
from georisk.scenario.schema import DateLike, split_list

# Words a feed adds to a province's name ("Sindh province", "Islamabad Capital territory").
_GENERIC = ("province", "territory", "region", "division", "state")


def name_table(boundaries: pd.DataFrame) -> dict[str, str]:
    """Every way of writing a province (its name key) -> its name in the boundaries."""
    names: dict[str, str] = {}
    aliases = boundaries["aliases"] if "aliases" in boundaries else [None] * len(boundaries)
    for name, others in zip(boundaries["name"], aliases, strict=True):
        names[name_key(name)] = name
        for alias in split_list(others):
            names.setdefault(name_key(alias), name)
    return names


def recognise(values: pd.Series, boundaries: pd.DataFrame) -> pd.Series:
    """The boundaries' name for each value a feed gives (NA where none matches)."""
    table = name_table(boundaries)

    def one(value: str) -> str | None:
        key = name_key(value)
        if key in table:
            return table[key]
        words = key.split()
        while words and words[-1] in _GENERIC:
            words = words[:-1]
            if " ".join(words) in table:
                return table[" ".join(words)]
        return None

    text = values.astype("string").str.strip()
    uniques = text.dropna().unique()
    found = {u: one(u) for u in uniques}
    return text.map(found).astype("string")


def successors(boundaries: pd.DataFrame) -> dict[str, tuple[pd.Timestamp, str]]:
    """Province -> (last day it existed, the province that took its ground), for those that ended."""
    if "valid_to" not in boundaries or "successor" not in boundaries:
        return {}
    ended = {}
    for name, end, successor in zip(
        boundaries["name"], boundaries["valid_to"], boundaries["successor"], strict=True
    ):
        if pd.notna(end) and isinstance(successor, str) and successor:
            ended[name] = (pd.Timestamp(end), successor)
    return ended


def at_date(provinces: pd.Series, dates: pd.Series, boundaries: pd.DataFrame) -> pd.Series:
    """Each province as it was on each date: a province that no longer existed becomes its
    successor (followed through several changes)."""
    ended = successors(boundaries)
    if not ended:
        return provinces
    result = provinces.astype("string").copy()
    dates = pd.to_datetime(dates)
    for _ in range(len(ended)):  # a chain of mergers is at most this long
        changed = False
        for name, (end, successor) in ended.items():
            moved = (result == name).fillna(False) & (dates > end).fillna(False)
            if moved.any():
                result[moved] = successor
                changed = True
        if not changed:
            break
    return result


def province_at(name: str, date: DateLike, ended: dict[str, tuple[pd.Timestamp, str]]) -> str:
    """One province as it was on one date, from successors(boundaries) (see at_date)."""
    date = pd.Timestamp(date)
    for _ in range(len(ended) + 1):
        if name not in ended or date <= ended[name][0]:
            return name
        name = ended[name][1]
    return name


def existing_at(boundaries: pd.DataFrame, date: DateLike) -> np.ndarray:
    """Which areas of the boundaries existed on the date."""
    date = pd.Timestamp(date)
    keep = np.ones(len(boundaries), dtype=bool)
    if "valid_from" in boundaries:
        keep &= ~(boundaries["valid_from"] > date).to_numpy(dtype=bool, na_value=False)
    if "valid_to" in boundaries:
        keep &= ~(boundaries["valid_to"] < date).to_numpy(dtype=bool, na_value=False)
    return keep


def province_of(
    lon: pd.Series, lat: pd.Series, boundaries: pd.DataFrame, dates: pd.Series | None = None
) -> pd.Series:
    """The province each point lay in (on its date, when dates are given); a point just outside
    every polygon (coarse coastlines) takes the nearest one. NaN coordinates give NA."""
    result = pd.Series(pd.NA, index=lon.index, dtype="string")
    have = lon.notna() & lat.notna()
    if not have.any() or boundaries.empty:
        return result
    x, y = lon[have].to_numpy(dtype=float), lat[have].to_numpy(dtype=float)
    found = np.full(len(x), None, dtype=object)
    for name, geometry in zip(boundaries["name"], boundaries.geometry, strict=True):
        shapely.prepare(geometry)
        hit = (found == None) & shapely.contains_xy(geometry, x, y)  # noqa: E711 - elementwise on objects
        found[hit] = name
    missing = np.flatnonzero(found == None)  # noqa: E711
    if len(missing):
        tree = shapely.STRtree(np.asarray(boundaries.geometry))
        nearest = tree.nearest(shapely.points(x[missing], y[missing]))
        found[missing] = np.asarray(boundaries["name"])[nearest]
    result[have] = found
    return result if dates is None else at_date(result, dates, boundaries)
