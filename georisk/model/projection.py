"""georisk.model.projection."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

# ---------------------------------------------------------------------------------------------
# Geometry


class Projection:
    """A metric projection centred on the country, with vectorised transforms."""

    def __init__(self, lon0: float, lat0: float) -> None:
        crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
        self._forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    @classmethod
    def for_area(cls, geometries: Sequence[shapely.Geometry]) -> Projection:
        minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geometries))
        return cls((minx + maxx) / 2, (miny + maxy) / 2)

    def points(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        return self._forward.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))

    def degrees(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        return self._back.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def to_metric(self, geometry: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geometry, lambda x, y: self._forward.transform(x, y), interleaved=False)

    def to_degrees(self, geometry: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geometry, lambda x, y: self._back.transform(x, y), interleaved=False)


def split_line(line_m: LineString, max_m: float) -> list[tuple[float, float, LineString]]:
    """Cut a metric line into equal pieces no longer than max_m: (start m, end m, piece)."""
    length = line_m.length
    count = max(1, math.ceil(length / max_m))
    step = length / count
    return [(i * step, (i + 1) * step, substring(line_m, i * step, (i + 1) * step)) for i in range(count)]


def segments_of(geometry_m: shapely.Geometry, max_m: float) -> list[tuple[float, float, shapely.Geometry]]:
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


def distances_m(geometry_m: shapely.Geometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
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
