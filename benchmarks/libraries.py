"""Hand-written code against the well-kept library that does the same, at 1,000,000 incidents.

  hex        geography.density (axial hexagons of HEX_KM) against h3 at the resolution whose mean
             edge is nearest HEX_KM: ids once per load, then per view counts and polygons
  radius     ModelContext._search (sorted-x window + numpy distances) for every scoring unit of the
             bundled sites, against shapely STRtree (dwithin) and scipy cKDTree (ball + refinement)
  encoding   feeds.reading.decode and curated_reading.read_text against charset_normalizer, full files

Each row: the median of --repeat runs (the variants of a group taking turns, so that all see the
same load on the machine), the peak resident memory above the start of the call (Linux: VmHWM
after malloc_trim and clear_refs), the ratio to the group's first row (today's code) and whether
the result is the same as that row's. Needs h3, scipy and charset-normalizer; h3ronpy optional
(h3 4.x has no vectorised latlng_to_cell). Takes 5 to 15 minutes at 1,000,000.

Usage: python benchmarks/libraries.py [--n 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import charset_normalizer
import h3
import h3.api.numpy_int as h3n
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from georisk import synthetic  # noqa: E402
from georisk.analysis import geography  # noqa: E402
from georisk.feeds import reading  # noqa: E402
from georisk.model import context, projection, settings  # noqa: E402
from georisk.scenario import reading as curated_reading  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402

ROWS: list[tuple] = []
TRIM = ctypes.CDLL("libc.so.6").malloc_trim


def vm(field: str) -> int:
    return int(
        next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field)).split()[1]
    )


def group(item, cases, repeat):
    """Time each (variant, fn, same) in turn, round-robin so that all see the same load on the
    machine; the first case is today's code, `same(result, today's)` compares a result to it."""
    times, peaks, results = [[] for _ in cases], [[] for _ in cases], [None] * len(cases)
    for _ in range(repeat):
        for i, (_, fn, _) in enumerate(cases):
            results[i] = None
            gc.collect(), TRIM(0), Path("/proc/self/clear_refs").write_text("5")  # peak RSS := RSS
            start_kb, start = vm("VmRSS"), time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - start)
            peaks[i].append((vm("VmHWM") - start_kb) / 1024)
    base = statistics.median(times[0])
    for (variant, _, same), t, m, r in zip(cases, times, peaks, results, strict=True):
        shown = "" if same is None else same(r, results[0])
        ROWS.append((item, variant, statistics.median(t), max(m), statistics.median(t) / base, shown))
    return results


def h3_cells(cells, killed):  # what geography.density returns, for h3 cells
    frame = pd.DataFrame({"cell": cells, "killed": killed}).groupby("cell", sort=False)
    frame = frame.agg(count=("killed", "size"), killed=("killed", "sum")).reset_index()
    frame["id"] = [h3.int_to_str(c) for c in frame["cell"]]
    features = []
    for cell, name in zip(frame["cell"], frame["id"], strict=True):
        ring = [[round(b, 4), round(a, 4)] for a, b in h3n.cell_to_boundary(cell)]
        features.append(
            {"type": "Feature", "id": name, "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}}
        )
    return {"type": "FeatureCollection", "features": features}, frame[["id", "count", "killed"]]


def h3_ids(lat, lon, res):  # h3 4.x: one call per point
    return np.fromiter(
        map(h3n.latlng_to_cell, lat.tolist(), lon.tolist(), [res] * len(lat)), np.uint64, len(lat)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, rep = args.n, args.repeat
    ds = load_dataset(BUNDLED_DATA)
    inc = synthetic.incidents(n, ds.incidents, ds.boundaries, seed=n)
    ctx = context.context_for(inc, ds.threat_levels, ds.actors, ds.boundaries, ds.sites, district_km=88)
    lat, lon, x, y = inc["lat"].to_numpy(float), inc["lon"].to_numpy(float), ctx.x, ctx.y
    killed = inc["killed"].to_numpy(dtype=float, na_value=0.0)

    # 1. Hexagons. The view is every incident (the map at the last date, no filter: the largest).
    res = min(range(16), key=lambda r: abs(h3.average_hexagon_edge_length(r, "km") - geography.HEX_KM))
    edge, area = h3.average_hexagon_edge_length(res, "km"), h3.average_hexagon_area(res, "km^2")
    print(
        f"H3 resolution {res}: mean edge {edge:.1f} km, area {area:.0f} km² "
        f"(ours: edge {geography.HEX_KM:g} km, area {1.5 * 3**0.5 * geography.HEX_KM**2:.0f} km²); "
        f"h3 {h3.__version__}: no vectorised latlng_to_cell"
    )
    loads = [
        (
            "axial q,r for all (today: per view)",
            lambda: geography.hex_bins(x, y, geography.HEX_KM * 1000),
            None,
        ),
        (f"h3 res {res} ids, latlng_to_cell loop", lambda: h3_ids(lat, lon, res), None),
    ]
    try:
        from h3ronpy.vector import coordinates_to_cells

        loads.append(
            ("h3ronpy ids, vectorised", lambda: coordinates_to_cells(lat, lon, res).to_numpy(), None)
        )
    except ImportError:
        pass
    (q, r), ids, *fast = group("hex per load", loads, rep)
    if fast:
        print("h3ronpy ids equal h3's:", bool((fast[0].astype(np.uint64) == ids).all()))

    def totals(cells, ours):
        same = (cells["count"].sum(), cells["killed"].sum()) == (ours["count"].sum(), ours["killed"].sum())
        return f"{len(cells):,} cells vs {len(ours):,}; totals {'equal' if same else 'DIFFER'}"

    def known():  # today's density() with q,r computed once per load
        with mock.patch.object(geography, "hex_bins", return_value=(q, r)):
            return geography.density(inc, ctx.projection, xy=(x, y))[1]

    group(
        "hex per view",
        [
            ("density() (today)", lambda: geography.density(inc, ctx.projection, xy=(x, y))[1], None),
            ("density(), q,r known per load", known, totals),
            ("h3, ids known per load", lambda: h3_cells(ids, killed)[1], totals),
            ("h3, ids computed in view", lambda: h3_cells(h3_ids(lat, lon, res), killed)[1], totals),
        ],
        rep,
    )

    # 2. Radius search: every scoring unit of one scoring of all sites (lines cut every 50 km).
    units = [
        u.geometry_m for g in ds.sites.geometry for u in ctx.units(g, settings.DEFAULTS.segment_km * 1000)
    ]
    garr, bounds = np.array(units, dtype=object), shapely.bounds(np.array(units, dtype=object))
    centres, half = (bounds[:, :2] + bounds[:, 2:]) / 2, np.hypot(*(bounds[:, 2:] - bounds[:, :2]).T) / 2
    _, tree, kd = group(
        f"radius build ({len(units)} units)",
        [
            ("sorted-x order (today)", lambda: x[np.argsort(x, kind="stable")], None),
            ("STRtree of points", lambda: shapely.STRtree(shapely.points(x, y)), None),
            ("cKDTree", lambda: cKDTree(np.column_stack([x, y])), None),
        ],
        rep,
    )
    pts = tree.geometries

    def same(found, ours):
        ok = all(
            np.array_equal(p, q) and np.allclose(d, e) for (p, d), (q, e) in zip(found, ours, strict=True)
        )
        return f"{sum(len(p) for p, _ in ours):,} pairs " + ("same" if ok else "DIFFER")

    def strtree(radius):
        g, p = tree.query(garr, predicate="dwithin", distance=radius)
        g, p = g[order := np.lexsort((p, g))], p[order]
        cut = np.searchsorted(g, np.arange(1, len(units)))
        return list(
            zip(np.split(p, cut), np.split(shapely.distance(garr[g], pts[p]) / 1000, cut), strict=True)
        )

    def kdtree(radius):
        out = []
        for g, idx in zip(units, kd.query_ball_point(centres, radius + half), strict=True):
            p = np.sort(np.asarray(idx, dtype=np.int64))
            d = projection.distances_m(g, x[p], y[p])  # the exact point-to-segment distance
            out.append((p[d <= radius], d[d <= radius] / 1000))
        return out

    for radius in (50_000.0, 200_000.0):
        group(
            f"radius {radius / 1000:g} km",
            [
                (
                    "sorted-x window, ModelContext._search (today)",
                    lambda m=radius: [ctx._search(g, m) for g in units],
                    None,
                ),
                ("STRtree dwithin + shapely.distance", lambda m=radius: strtree(m), same),
                ("cKDTree ball + segment distance", lambda m=radius: kdtree(m), same),
            ],
            rep,
        )
    tree = kd = pts = None  # frees them (the functions above refer to these names)

    # 3. Encodings: a full-size ACLED export; every 100th row's notes have accents and curly quotes.
    acled = synthetic.to_acled(inc)
    acled.loc[::100, "notes"] = "AFP: São Paulo desk, ‘Muñoz’ — Zoë Ïbáñez reported (café)."
    text = acled.to_csv(index=False)
    acled = inc = ctx = None
    folder = Path(tempfile.mkdtemp(prefix="libs-enc-"))

    def equal(got, _):
        if got[0] == text:
            return f"same text ({got[1]})"
        at = next(
            (i for i, (a, b) in enumerate(zip(got[0], text, strict=False)) if a != b),
            min(len(got[0]), len(text)),
        )
        return f"WRONG TEXT ({got[1]}): {got[0][at : at + 6]!r} for {text[at : at + 6]!r}"

    for name, codec in (("UTF-8", "utf-8"), ("cp1252", "cp1252"), ("UTF-16 BOM", "utf-16")):
        raw = text.encode(codec)
        (path := folder / f"{codec}.csv").write_bytes(raw)

        def detect(raw=raw):
            best = charset_normalizer.from_bytes(raw).best()
            return (str(best), best.encoding) if best else ("", "nothing found")

        group(
            f"{name} {len(raw) / 1e6:.0f} MB",
            [
                ("feeds.reading.decode (today)", lambda raw=raw: reading.decode(raw), equal),
                (
                    "scenario.reading.read_text (today)",
                    lambda p=path: (curated_reading.read_text(p)[0], "read_text"),
                    equal,
                ),
                ("charset_normalizer.from_bytes().best()", detect, equal),
            ],
            rep,
        )
        path.unlink()
    folder.rmdir()

    print(f"\n{n:,} incidents; median of {rep} (round-robin); ratio = time / the group's first row (today)")
    print(f"{'group':<24} {'variant':<42} {'median s':>9} {'peak MB':>8} {'ratio':>7}  result")
    for item, variant, seconds, peak, ratio, result in ROWS:
        print(f"{item:<24} {variant:<42} {seconds:>9.3f} {peak:>8.0f} {ratio:>7.2f}  {result}")


if __name__ == "__main__":
    main()
