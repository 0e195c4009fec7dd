"""The risk model: threat, exposure and impact of each site at an as-of date, on a 5x5 matrix.

    threat     T in 1..5  the highest threat level, at the as-of date, of the province a site (or a
                          pipeline segment) lies in, for the actor families hostile to the site's
                          partner country (or the families the analyst filtered on); from the
                          analysts' ratings, ratings derived from the feed, or both (see
                          georisk.ratings). A province may have no rating: then T is missing;
    exposure   E >= 0     sum over incidents on or before the as-of date within the radius R, at a
                          precision good enough for R (georisk.precision), of
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
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

from georisk import places, precision, ratings
from georisk.ratings import NO_RATING, Threat
from georisk.schema import split_list

MODEL_VERSION = "georisk risk model 1.1"

BANDS = ("Very low", "Low", "Medium", "High", "Very high")
# One colour per band, everywhere in the app; every use also names the band, so that no one
# depends on telling the colours apart. The badge colours are Streamlit's nearest named ones.
BAND_COLOURS = {
    "Very low": "#4575b4",
    "Low": "#66bd63",
    "Medium": "#fee08b",
    "High": "#f46d43",
    "Very high": "#a50026",
}
BAND_BADGES = {"Very low": "blue", "Low": "green", "Medium": "yellow", "High": "orange", "Very high": "red"}
# The sector an attack's target type belongs to, for the relevance weight.
TARGET_SECTOR = {"energy infrastructure": "energy"}


@dataclass(frozen=True)
class ModelParams:
    """The model's tunable settings, with their documented defaults."""

    radius_km: float = 50.0
    half_life_days: float = 180.0
    w_threat: float = 0.5
    w_exposure: float = 0.5
    # Lower bounds (on likelihood x impact) of the bands Low, Medium, High, Very high.
    cuts: tuple[int, int, int, int] = (4, 8, 12, 16)
    # Exposure at which the exposure level reaches about 3.5 of 5.
    saturation: float = 5.0
    w_other: float = 0.5
    w_target: float = 2.0
    segment_km: float = 50.0
    # Where threat ratings come from: analysts | derived | combined (georisk.ratings).
    ratings: str = "analysts"

    def validate(self) -> list[str]:
        """What is wrong with these settings, in words (empty when they can be used)."""
        problems = []
        if self.ratings not in ratings.SOURCES:
            problems.append(f"ratings must be one of {', '.join(ratings.SOURCES)}")
        for attribute, setting in SETTINGS.items():
            if not setting.low <= getattr(self, attribute) <= setting.high:
                problems.append(f"{setting.name} must be {setting.low:g} to {setting.high:g}{setting.unit}")
        if self.w_threat + self.w_exposure == 0:
            problems.append("the weights of threat and exposure must not both be zero")
        low, high = CUT_RANGE
        if not (low <= self.cuts[0] < self.cuts[1] < self.cuts[2] < self.cuts[3] <= high):
            problems.append(f"band cut-offs must rise strictly between {low} and {high}")
        return problems


@dataclass(frozen=True)
class Setting:
    """The range of one tunable number. The one definition that the link parser, the sliders and
    (later) the API all obey: anything a link may set, a widget can show."""

    name: str
    low: float
    high: float
    step: float
    unit: str = ""


SETTINGS = {
    "radius_km": Setting("radius", 5.0, 200.0, 5.0, " km"),
    "half_life_days": Setting("half-life", 30.0, 1095.0, 15.0, " days"),
    "w_threat": Setting("weight of threat", 0.0, 1.0, 0.05),
    "w_exposure": Setting("weight of exposure", 0.0, 1.0, 0.05),
}
# Band cut-offs are whole likelihood x impact scores.
CUT_RANGE = (2, 25)


DEFAULTS = ModelParams()

# URL form of the settings an analyst changes in the "adjust the model" panel.
URL_PARAMS = {
    "radius": "radius_km",
    "halflife": "half_life_days",
    "w_threat": "w_threat",
    "w_exposure": "w_exposure",
    "cuts": "cuts",
    "ratings": "ratings",
}


def params_to_query(params: ModelParams) -> dict[str, list[str]]:
    """Only what differs from the defaults, so that an ordinary link stays short."""
    query = {}
    for name, attribute in URL_PARAMS.items():
        value = getattr(params, attribute)
        if value != getattr(DEFAULTS, attribute):
            if isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            else:
                text = value if isinstance(value, str) else f"{value:g}"
            query[name] = [text]
    return query


def params_from_query(query: Mapping[str, list[str]]) -> tuple[ModelParams, list[str]]:
    """The settings a link asks for; a value that cannot be used is dropped with a notice."""
    notices: list[str] = []
    values: dict[str, object] = {}
    for name, attribute in URL_PARAMS.items():
        given = query.get(name)
        if not given:
            continue
        text = given[-1][:60]
        try:
            if attribute == "cuts":
                value: object = tuple(int(v) for v in text.split(","))
                if len(value) != 4:
                    raise ValueError
            elif attribute == "ratings":
                value = text
            else:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
        except ValueError:
            notices.append(f"Ignored {name}={text!r}: not a valid setting.")
            continue
        candidate = replace(DEFAULTS, **{attribute: value})
        if candidate.validate():
            notices.append(f"Ignored {name}={text!r}: {candidate.validate()[0]}.")
            continue
        values[attribute] = value
    params = replace(DEFAULTS, **values)
    if params.validate():  # each value fine alone, not together (e.g. both weights zero)
        notices.append(f"Ignored the model settings in the link: {params.validate()[0]}.")
        params = DEFAULTS
    return params, notices


# ---------------------------------------------------------------------------------------------
# Components


def band_of(likelihood: int, impact: int, cuts: tuple[int, int, int, int]) -> str:
    score = likelihood * impact
    return BANDS[sum(score >= cut for cut in cuts)]


def severity(killed: np.ndarray, wounded: np.ndarray) -> np.ndarray:
    killed = np.nan_to_num(np.asarray(killed, dtype=float))
    wounded = np.nan_to_num(np.asarray(wounded, dtype=float))
    return 1.0 + np.log1p(3.0 * killed + 0.5 * wounded)


def recency(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    return np.power(0.5, np.asarray(age_days, dtype=float) / half_life_days)


def proximity(distance_km: np.ndarray, radius_km: float) -> np.ndarray:
    d = np.asarray(distance_km, dtype=float)
    return np.where(d <= radius_km, 1.0 - d / (2.0 * radius_km), 0.0)


def exposure_level(exposure: float, saturation: float) -> float:
    return 1.0 + 4.0 * (1.0 - math.exp(-exposure / saturation))


def likelihood_of(threat: float | None, exposure_lvl: float, params: ModelParams) -> float:
    """The weighted mean of threat and exposure level; with no threat rating, the exposure level."""
    if threat is None:
        return exposure_lvl
    total = params.w_threat + params.w_exposure
    return (params.w_threat * threat + params.w_exposure * exposure_lvl) / total


def likelihood_class(likelihood: float) -> int:
    """The matrix row: the likelihood rounded half up, kept in 1..5."""
    return int(min(5, max(1, math.floor(likelihood + 0.5))))


def hostile_families(actors: pd.DataFrame, partner: str) -> set[str]:
    """Families with at least one group that has declared or shown intent against the partner."""
    hostile = actors["hostile_to"].map(lambda v: partner in split_list(v))
    return set(actors.loc[hostile, "family"])


# ---------------------------------------------------------------------------------------------
# Geometry


class Projection:
    """A metric projection centred on the country, with vectorised transforms."""

    def __init__(self, lon0: float, lat0: float):
        crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
        self._forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    @classmethod
    def for_area(cls, geometries) -> Projection:
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geometries))
        return cls((minx + maxx) / 2, (miny + maxy) / 2)

    def points(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        return self._forward.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))

    def degrees(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return self._back.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def to_metric(self, geometry):
        return shapely.transform(geometry, lambda x, y: self._forward.transform(x, y), interleaved=False)

    def to_degrees(self, geometry):
        return shapely.transform(geometry, lambda x, y: self._back.transform(x, y), interleaved=False)


def split_line(line_m: LineString, max_m: float) -> list[tuple[float, float, LineString]]:
    """Cut a metric line into equal pieces no longer than max_m: (start m, end m, piece)."""
    length = line_m.length
    count = max(1, math.ceil(length / max_m))
    step = length / count
    return [(i * step, (i + 1) * step, substring(line_m, i * step, (i + 1) * step)) for i in range(count)]


def segments_of(geometry_m, max_m: float) -> list[tuple[float, float, object]]:
    """A site's scoring units: one per point or polygon, pieces of at most max_m for lines (the
    whole geometry when max_m is infinite)."""
    if not math.isfinite(max_m):
        return [(0.0, 0.0, geometry_m)]
    if isinstance(geometry_m, LineString):
        return split_line(geometry_m, max_m)
    if isinstance(geometry_m, MultiLineString):
        pieces, offset = [], 0.0
        for part in geometry_m.geoms:
            for start, end, piece in split_line(part, max_m):
                pieces.append((offset + start, offset + end, piece))
            offset += part.length
        return pieces
    return [(0.0, 0.0, geometry_m)]


# ---------------------------------------------------------------------------------------------
# Scoring


# What the spatial searches of one context may keep in memory (about 16 bytes per incident found).
SEARCH_CACHE_BYTES = 256 * 2**20


class SearchCache:
    """A thread-safe store of (positions, distances) pairs, least recently used dropped first once
    their arrays pass `budget` bytes."""

    def __init__(self, budget: int):
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
    geometry_m: object
    geometry: object  # the same in degrees, for the map and the exports
    key: bytes  # the unit's WKB: the key of its spatial searches
    areas: tuple[str, ...]  # the boundaries (by their names in the file) it touches


# Geometries whose units a context keeps (a scenario has tens of sites; several segment lengths).
UNIT_CACHE_ENTRIES = 4096


class UnitCache:
    """The units of each site geometry for a segment length, worked out once: projecting, cutting
    and intersecting a long pipeline cost more than scoring it, and did so on every run.

    Keyed by the geometry object itself (the dataset's, which every view and session shares) and
    kept with it, so that a key is never mistaken for a new geometry that took its id."""

    def __init__(self, limit: int = UNIT_CACHE_ENTRIES):
        self.limit = limit
        self._items: OrderedDict[tuple[int, float], tuple[object, tuple[Unit, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, geometry, segment_m: float, make) -> tuple[Unit, ...]:
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
class Context:
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
    # How far (km) each point may be from where the incident happened (georisk.precision); inf
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

    def units(self, geometry, segment_m: float = math.inf) -> tuple[Unit, ...]:
        """A site geometry's scoring units (in degrees; lines cut into pieces of at most
        segment_m), made once per geometry and segment length."""

        def make() -> tuple[Unit, ...]:
            pieces = segments_of(self.projection.to_metric(geometry), segment_m)
            return tuple(
                Unit(start, end, m, self.projection.to_degrees(m), shapely.to_wkb(m), self._areas(m))
                for start, end, m in pieces
            )

        return self.unit_cache.get(geometry, segment_m, make)

    def whole(self, geometry) -> Unit:
        """A site geometry as one unit (for what is near the site as a whole)."""
        return self.units(geometry)[0]

    def _areas(self, piece_m) -> tuple[str, ...]:
        return tuple(name for name, area in self.provinces_m if area.intersects(piece_m))

    def near(self, geometry_m, radius_m: float, key: bytes | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions in file order, distances in km) of the incidents within radius_m of a metric
        geometry, any date and view. Read-only arrays, shared: copy before changing them. `key`
        is the geometry's WKB when the caller has it already (a Unit's)."""
        key = (key if key is not None else shapely.to_wkb(geometry_m), float(radius_m))
        found = self.searches.get(key)
        if found is None:
            found = self._search(geometry_m, radius_m)
            self.searches.put(key, found)
        return found

    def _search(self, geometry_m, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
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
    def provinces_m(self) -> list[tuple[str, object]]:
        return [
            (name, self.projection.to_metric(g))
            for name, g in zip(self.boundaries["name"], self.boundaries.geometry, strict=True)
        ]


def distances_m(geometry_m, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distances from points to a metric geometry: in numpy for points and lines (the sites and
    pipeline segments the model scores), through GEOS for anything else."""
    if isinstance(geometry_m, shapely.Point):
        return np.hypot(x - geometry_m.x, y - geometry_m.y)
    if isinstance(geometry_m, LineString) and len(geometry_m.coords) > 1:
        coords = np.asarray(geometry_m.coords)
        best = np.full(len(x), np.inf)
        for (ax, ay), (bx, by) in zip(coords[:-1], coords[1:], strict=True):
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = np.zeros(len(x)) if length2 == 0 else np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0, 1)
            best = np.minimum(best, np.hypot(x - (ax + t * dx), y - (ay + t * dy)))
        return best
    return shapely.distance(geometry_m, shapely.points(x, y))


def context_for(
    incidents,
    threat_levels,
    actors,
    boundaries,
    sites=None,
    projection: Projection | None = None,
    district_km: float | None = None,
) -> Context:
    """Prepare the model's context: project the incidents once and sort them for search."""
    if projection is None:
        area = list(boundaries.geometry) or (list(sites.geometry) if sites is not None else [])
        projection = Projection.for_area(area) if area else Projection(0.0, 0.0)
    incidents = incidents.reset_index(drop=True)
    x, y = projection.points(incidents["lon"], incidents["lat"])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    families = pd.Categorical(incidents["actor_family"].astype(object))
    targets = pd.Categorical(incidents["target_type"].map(TARGET_SECTOR).astype(object))
    return Context(
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


def context_of(dataset) -> Context:
    """The context of a loaded dataset (georisk.dataset.Dataset)."""
    return context_for(
        dataset.incidents,
        dataset.threat_levels,
        dataset.actors,
        dataset.boundaries,
        dataset.sites,
        district_km=district_km_of(dataset.scenario),
    )


def province_of(unit: Unit, ctx: Context, listed: list[str], asof: pd.Timestamp) -> list[str]:
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
    ctx: Context, provinces: list[str], families: set[str], asof: pd.Timestamp, source: str
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
    ctx: Context,
    asof: pd.Timestamp,
    params: ModelParams,
    chosen_families: tuple[str, ...] = (),
    mask: np.ndarray | None = None,
) -> UnitScore:
    # The threat level counts the families the analyst chose, else those hostile to the partner;
    # incidents count in full when their family is hostile (relevance, below).
    considered = set(chosen_families) or set(ctx.hostile(site["partner_country"]))
    provinces = province_of(piece, ctx, split_list(site["provinces"]), asof)
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
    ctx: Context, geometry, radius_km: float, asof: pd.Timestamp, mask: np.ndarray | None = None
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
    ctx: Context, sites: pd.DataFrame, radius_km: float, mask: np.ndarray | None = None
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


def recent_window(params: ModelParams, asof: pd.Timestamp) -> str:
    """The window of the "recent" counts, in words: the last half-life before the as-of date."""
    months = params.half_life_days / 30.4
    span = f"{months:.0f} months" if months >= 2 else f"{params.half_life_days:g} days"
    return f"the {span} to {pd.Timestamp(asof).date()}"


def _reason(recent: Recent, left_out: int, params: ModelParams, provinces, threat: Threat, asof) -> str:
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
    ctx: Context,
    asof: dt.date | pd.Timestamp,
    params: ModelParams = DEFAULTS,
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


def _site_frame(units: pd.DataFrame, sites: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    columns = [
        "site_id",
        "name",
        "sector",
        "status",
        "partner_country",
        "criticality",
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
        "worst_unit",
        "reason",
        "model_version",
        "asof",
    ]
    if units.empty:
        return pd.DataFrame(columns=columns)
    ordered = units.assign(band_rank=units["band"].map(BANDS.index)).sort_values(
        ["band_rank", "score", "likelihood", "exposure"], ascending=False
    )
    worst = ordered.drop_duplicates("site_id").set_index("site_id")
    info = sites.set_index("site_id")
    frame = pd.DataFrame(
        {
            "site_id": worst.index,
            "name": info.loc[worst.index, "name"].to_numpy(),
            "sector": info.loc[worst.index, "sector"].to_numpy(),
            "status": info.loc[worst.index, "status"].to_numpy(),
            "partner_country": info.loc[worst.index, "partner_country"].to_numpy(),
            "criticality": info.loc[worst.index, "criticality"].to_numpy(),
            "band": worst["band"].to_numpy(),
            "band_rank": worst["band_rank"].to_numpy(),
            "score": worst["score"].to_numpy(),
            "likelihood": worst["likelihood"].to_numpy(),
            "likelihood_class": worst["likelihood_class"].to_numpy(),
            "impact": worst["impact"].to_numpy(),
            "threat": worst["threat"].astype("Int64").to_numpy(),
            "threat_family": worst["threat_family"].to_numpy(),
            "threat_status": worst["threat_status"].to_numpy(),
            "threat_origin": worst["threat_origin"].to_numpy(),
            "exposure": worst["exposure"].to_numpy(),
            "exposure_level": worst["exposure_level"].to_numpy(),
            "incidents_near": worst["incidents_near"].to_numpy(),
            "incidents_left_out": worst["incidents_left_out"].to_numpy(),
            "incidents_recent": worst["incidents_recent"].to_numpy(),
            "recent_left_out": worst["recent_left_out"].to_numpy(),
            "worst_unit": worst["unit_name"].to_numpy(),
            "reason": worst["reason"].to_numpy(),
        }
    )
    frame["model_version"] = MODEL_VERSION
    frame["asof"] = asof.date().isoformat()
    return frame.sort_values(["band_rank", "score", "likelihood", "exposure"], ascending=False).reset_index(
        drop=True
    )


def methodology(params: ModelParams, district_km: float | None = None) -> str:
    """The method in words and the values in force, as Markdown (our own text, no data)."""
    total = params.w_threat + params.w_exposure
    cuts = params.cuts
    thresholds = "; ".join(
        f"{level} if n ≥ {n}" + (f" or k ≥ {k}" if k is not None else "")
        for level, n, k in ratings.DERIVED_THRESHOLDS
    )
    return f"""
**{MODEL_VERSION}.** For each site at the as-of date:

- **Threat** T (1–5): the highest threat level of the province the site (or a pipeline segment)
  lies in, as the province was at that date, for the actor families hostile to the site's partner
  country (or for the families chosen in the filter). A family without its own rating takes the
  province's overall rating. Ratings in force: **{ratings.SOURCE_LABELS[params.ratings]}**
  (`ratings={params.ratings}` in the link). A rating holds for its period and is carried forward,
  marked as carried, for at most {ratings.MAX_CARRY_DAYS} days after the province's last rated
  period. Before the first rating and after that, the province has **no rating**: never level 1.
- **Derived ratings** ({ratings.DERIVED_RULE}; labelled *derived* wherever they are used): for
  each province and half-year the feed covers, from its n incidents (at any precision) and the k
  deaths they caused: level {thresholds}; else 1.
- **Exposure** E: the sum, over the incidents in view on or before the as-of date within
  **{params.radius_km:g} km**, of severity × recency × proximity × relevance, where severity =
  1 + ln(1 + 3 killed + 0.5 wounded) (Global Terrorism Index weights, damped; an unknown count
  adds nothing), recency = 0.5^(age / **{params.half_life_days:g} days**), proximity = 1 −
  distance / (2 × radius) and relevance = 1 for families hostile to the partner,
  **{params.w_other:g}** for others, times **{params.w_target:g}** when the attack hit the site's
  own sector (e.g. energy infrastructure). The exposure level is X = 1 + 4 (1 − e^(−E /
  {params.saturation:g})).
- **Precision**: only points placed precisely enough for the radius count toward exposure; the
  others are counted apart as "left out for imprecision" and still count in their province's
  context and in derived ratings. {precision.rule_text(params.radius_km, district_km)}
- **Likelihood** L = ({params.w_threat:g} T + {params.w_exposure:g} X) / {total:g}, rounded to 1–5.
  With no threat rating, L = X: the score rests on exposure alone, and says so.
- **Impact** I: the site's criticality (1–5).
- **Band** from L × I: Very low below {cuts[0]}, Low from {cuts[0]}, Medium from {cuts[1]}, High
  from {cuts[2]}, Very high from {cuts[3]}.

Distances are measured in an azimuthal equidistant projection centred on the country. A line is
cut into segments of at most {params.segment_km:g} km; each is scored and the site takes its worst.
"""
