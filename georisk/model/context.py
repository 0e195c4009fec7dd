"""georisk.model.context."""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import shapely

from georisk.model import ratings
from georisk.model.formula import TARGET_SECTOR, hostile_families, severity
from georisk.model.projection import Projection, distances_m, segments_of
from georisk.model.ratings import Threat
from georisk.scenario import places, precision
from georisk.scenario.dataset import Dataset

# ---------------------------------------------------------------------------------------------
# Scoring


# What the spatial searches of one context may keep in memory (about 16 bytes per incident found).
SEARCH_CACHE_BYTES = 256 * 2**20


class SearchCache:
    """A thread-safe store of (positions, distances) pairs, least recently used dropped first once
    their arrays pass `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, found: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = found
            self.size += sum(a.nbytes for a in found)
            while self.size > self.budget and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self.size -= sum(a.nbytes for a in dropped)


@dataclass(frozen=True)
class Unit:
    """One scoring unit of a site (the whole site, or a piece of a line) with everything about it
    that depends on its geometry alone."""

    start_m: float
    end_m: float
    geometry_m: shapely.Geometry
    geometry: shapely.Geometry  # the same in degrees, for the map and the exports
    key: bytes  # the unit's WKB: the key of its spatial searches
    areas: tuple[str, ...]  # the boundaries (by their names in the file) it touches


# Geometries whose units a context keeps (a scenario has tens of sites; several segment lengths).
UNIT_CACHE_ENTRIES = 4096


class UnitCache:
    """The units of each site geometry for a segment length, worked out once: projecting, cutting
    and intersecting a long pipeline cost more than scoring it, and did so on every run.

    Keyed by the geometry object itself (the dataset's, which every view and session shares) and
    kept with it, so that a key is never mistaken for a new geometry that took its id."""

    def __init__(self, limit: int = UNIT_CACHE_ENTRIES) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[int, float], tuple[object, tuple[Unit, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, geometry: shapely.Geometry, segment_m: float, make: Callable[[], tuple[Unit, ...]]
    ) -> tuple[Unit, ...]:
        key = (id(geometry), float(segment_m))
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] is geometry:
                self._items.move_to_end(key)
                return found[1]
        units = make()
        with self._lock:
            self._items[key] = (geometry, units)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return units


@dataclass(frozen=True)
class ModelContext:
    """Everything the model reads besides the sites, prepared once per dataset: the incidents with
    their metric coordinates, sorted for spatial search. A view is a boolean mask over these
    incidents (the `mask` arguments, positional); None means all of them."""

    incidents: pd.DataFrame
    threat_levels: pd.DataFrame
    actors: pd.DataFrame
    boundaries: pd.DataFrame
    projection: Projection
    x: np.ndarray
    y: np.ndarray
    dates: np.ndarray
    # Positions sorted by x, so that a search reads a slice instead of every incident.
    order: np.ndarray
    # The columns the model reads, as arrays of numbers: taking a few rows of a large frame column
    # by column, or comparing strings, costs far more than indexing these.
    severities: np.ndarray  # severity() of each incident
    family_codes: np.ndarray  # position in family_names, -1 where there is none
    family_names: np.ndarray  # sorted
    target_codes: np.ndarray  # position in target_names (the sector a target belongs to), -1 if none
    target_names: np.ndarray
    # How far (km) each point may be from where the incident happened (georisk.scenario.precision); inf
    # for a point that says nothing about distance (a province's point, a flagged geocode).
    uncertainty: np.ndarray
    # The scenario's district size (km), for the precision rule; None when it does not say.
    district_km: float | None = None

    # Which incidents lie near a geometry depends on nothing but the geometry and the radius:
    # neither the view, nor the date, nor the session. Every rerun of every session asks again
    # for the same few sites and segments, so the answers are kept for the life of the context
    # (it is shared by the whole process), the least recently used dropped past the budget.
    searches: SearchCache = field(
        default_factory=lambda: SearchCache(SEARCH_CACHE_BYTES), compare=False, repr=False
    )
    unit_cache: UnitCache = field(default_factory=UnitCache, compare=False, repr=False)

    def units(self, geometry: shapely.Geometry, segment_m: float = math.inf) -> tuple[Unit, ...]:
        """A site geometry's scoring units (in degrees; lines cut into pieces of at most
        segment_m), made once per geometry and segment length."""

        def make() -> tuple[Unit, ...]:
            pieces = segments_of(self.projection.to_metric(geometry), segment_m)
            return tuple(
                Unit(start, end, m, self.projection.to_degrees(m), shapely.to_wkb(m), self._areas(m))
                for start, end, m in pieces
            )

        return self.unit_cache.get(geometry, segment_m, make)

    def whole(self, geometry: shapely.Geometry) -> Unit:
        """A site geometry as one unit (for what is near the site as a whole)."""
        return self.units(geometry)[0]

    def _areas(self, piece_m: shapely.Geometry) -> tuple[str, ...]:
        return tuple(name for name, area in self.provinces_m if area.intersects(piece_m))

    def near(
        self, geometry_m: shapely.Geometry, radius_m: float, key: bytes | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(positions in file order, distances in km) of the incidents within radius_m of a metric
        geometry, any date and view. Read-only arrays, shared: copy before changing them. `key`
        is the geometry's WKB when the caller has it already (a Unit's)."""
        key = (key if key is not None else shapely.to_wkb(geometry_m), float(radius_m))
        found = self.searches.get(key)
        if found is None:
            found = self._search(geometry_m, radius_m)
            self.searches.put(key, found)
        return found

    def _search(self, geometry_m: shapely.Geometry, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        minx, miny, maxx, maxy = geometry_m.bounds
        lo = np.searchsorted(self.x_sorted, minx - radius_m, side="left")
        hi = np.searchsorted(self.x_sorted, maxx + radius_m, side="right")
        band = self.order[lo:hi]
        ys = self.y[band]
        positions = np.sort(band[(ys >= miny - radius_m) & (ys <= maxy + radius_m)])
        distance = distances_m(geometry_m, self.x[positions], self.y[positions])
        within = distance <= radius_m
        found = positions[within], distance[within] / 1000
        for array in found:
            array.flags.writeable = False
        return found

    def in_view(self, positions: np.ndarray, asof: pd.Timestamp, mask: np.ndarray | None) -> np.ndarray:
        """Which of these positions are in view and on or before the as-of date."""
        keep = self.dates[positions] <= np.datetime64(pd.Timestamp(asof))
        if mask is not None:
            keep &= mask[positions]
        return keep

    def hostile_codes(self, partner: str) -> np.ndarray:
        """Indexed by family code: is the family hostile to the partner? (The extra last entry,
        False, is what code -1, no family, reads.)"""
        return np.append(np.isin(self.family_names, list(self.hostile(partner))), False)

    def target_code(self, sector: str) -> int:
        """The code of incidents whose target belongs to the sector (-2, matching none, if no
        incident's does)."""
        found = np.flatnonzero(self.target_names == sector)
        return int(found[0]) if len(found) else -2

    @cached_property
    def x_sorted(self) -> np.ndarray:
        return self.x[self.order]

    @cached_property
    def successors(self) -> dict[str, tuple[pd.Timestamp, str]]:
        return places.successors(self.boundaries)

    @cached_property
    def analysts_ratings(self) -> dict[str, list[ratings.Rating]]:
        return ratings.by_province(self.threat_levels)

    @cached_property
    def derived_levels(self) -> pd.DataFrame:
        """Threat ratings derived from this context's incidents (made on first use)."""
        families = sorted(set(self.actors["family"]) | set(self.family_names))
        return ratings.derive(self.incidents, self.boundaries, families)

    @cached_property
    def derived_ratings(self) -> dict[str, list[ratings.Rating]]:
        return ratings.by_province(self.derived_levels)

    def threat(self, province: str, families: set[str], asof: pd.Timestamp, source: str) -> Threat:
        """The threat of a province (as it was at the date) from the ratings the model uses."""
        province = places.province_at(province, asof, self.successors)
        analysts = ratings.threat_from(self.analysts_ratings.get(province, []), families, asof)
        if source == "analysts":
            return analysts
        derived = ratings.threat_from(self.derived_ratings.get(province, []), families, asof, "derived")
        return derived if source == "derived" else ratings.combine(analysts, derived)

    def province_threats(
        self, asof: pd.Timestamp, source: str, families: set[str] = frozenset()
    ) -> dict[str, Threat]:
        """The threat of every province that existed at the date."""
        alive = self.boundaries["name"][places.existing_at(self.boundaries, asof)]
        return {name: self.threat(name, set(families), pd.Timestamp(asof), source) for name in alive}

    def levels(self, source: str) -> pd.DataFrame:
        """The ratings table the model uses for a source (for coverage and the map)."""
        if source == "analysts":
            return self.threat_levels
        if source == "derived":
            return self.derived_levels
        return pd.concat([self.threat_levels, self.derived_levels], ignore_index=True)

    def usable(self, positions: np.ndarray, radius_km: float) -> np.ndarray:
        """Which of these incidents are placed precisely enough to count at this radius."""
        return precision.usable(self.uncertainty[positions], radius_km)

    def hostile(self, partner: str) -> frozenset[str]:
        # Asked once per scoring unit: worth remembering per partner.
        cache = self.__dict__.setdefault("_hostile", {})
        if partner not in cache:
            cache[partner] = frozenset(hostile_families(self.actors, partner))
        return cache[partner]

    @cached_property
    def provinces_m(self) -> list[tuple[str, shapely.Geometry]]:
        return [
            (name, self.projection.to_metric(g))
            for name, g in zip(self.boundaries["name"], self.boundaries.geometry, strict=True)
        ]


def context_for(
    incidents: pd.DataFrame,
    threat_levels: pd.DataFrame,
    actors: pd.DataFrame,
    boundaries: pd.DataFrame,
    sites: pd.DataFrame | None = None,
    projection: Projection | None = None,
    district_km: float | None = None,
) -> ModelContext:
    """Prepare the model's context: project the incidents once and sort them for search."""
    if projection is None:
        area = list(boundaries.geometry) or (list(sites.geometry) if sites is not None else [])
        projection = Projection.for_area(area) if area else Projection(0.0, 0.0)
    incidents = incidents.reset_index(drop=True)
    x, y = projection.points(incidents["lon"], incidents["lat"])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    families = pd.Categorical(incidents["actor_family"].astype(object))
    targets = pd.Categorical(incidents["target_type"].map(TARGET_SECTOR).astype(object))
    return ModelContext(
        incidents,
        threat_levels,
        actors,
        boundaries,
        projection,
        x,
        y,
        dates=incidents["date"].to_numpy(dtype="datetime64[ns]"),
        order=np.argsort(x, kind="stable"),
        severities=severity(
            incidents["killed"].to_numpy(dtype=float, na_value=np.nan),
            incidents["wounded"].to_numpy(dtype=float, na_value=np.nan),
        ),
        family_codes=families.codes,
        family_names=families.categories.to_numpy(dtype=object),
        target_codes=targets.codes,
        target_names=targets.categories.to_numpy(dtype=object),
        uncertainty=_uncertainty(incidents, district_km),
        district_km=district_km,
    )


def _uncertainty(incidents: pd.DataFrame, district_km: float | None) -> np.ndarray:
    if "geo_precision" not in incidents:
        return np.full(len(incidents), np.inf)
    km = precision.uncertainties(incidents["geo_precision"], district_km)
    if "location_flag" in incidents:
        km[incidents["location_flag"].notna().to_numpy()] = np.inf
    return km


def district_km_of(scenario: dict) -> float | None:
    """The scenario's district size in km (catalog.json scenario.district_km), if it states one."""
    value = scenario.get("district_km")
    try:
        km = float(value)
    except (TypeError, ValueError):
        return None
    return km if km > 0 and math.isfinite(km) else None


def context_of(dataset: Dataset) -> ModelContext:
    """A new context for a loaded dataset: its incidents projected and indexed. Use `shared`,
    which makes it once per dataset."""
    return context_for(
        dataset.incidents,
        dataset.threat_levels,
        dataset.actors,
        dataset.boundaries,
        dataset.sites,
        district_km=district_km_of(dataset.scenario),
    )


# One context per loaded dataset for the whole process (the app's sessions, the command line,
# the tests): making one projects every incident, seconds at a million. Keyed by the dataset
# object, and dropped with it, so that a reloaded folder gets a new one.
_shared: dict[int, ModelContext] = {}
_shared_lock = threading.Lock()


def shared(dataset: Dataset) -> ModelContext:
    """The model context of `dataset`, made on first use and then shared. Made under the lock:
    sessions arriving together on a cold start wait for one context instead of each making one."""
    key = id(dataset)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = context_of(dataset)
            weakref.finalize(dataset, _shared.pop, key, None)
        return _shared[key]
