"""Map figure size and build time, for the curated scenario and for 100,000 synthetic incidents.

Prints one row per case: incidents, layers, figure JSON size, median build time, and the build
time as a ratio to a baseline figure (boundaries and labels only) measured in the same run.

Usage: python benchmarks/map_figure.py [--n 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from georisk import mapping, risk, synthetic  # noqa: E402
from georisk.dataset import BUNDLED_DATA, load_dataset  # noqa: E402

ASOF = pd.Timestamp("2018-11-26")


def build(dataset, incidents, layers):
    ctx = risk.context_for(
        incidents, dataset.threat_levels, dataset.actors, dataset.boundaries, dataset.sites, district_km=88
    )
    scores, units = risk.score_sites(dataset.sites, ctx, ASOF)
    fig, notes = mapping.map_figure(
        layers=layers,
        ctx=ctx,
        asof=ASOF,
        radius_km=50,
        province_level=mapping.province_levels(ctx, ASOF, set(), "analysts"),
        threat_scale=dataset.threat_scale,
        scores=scores,
        units=units,
        sites=dataset.sites,
        colours=mapping.family_colours(dataset.actors["family"]),
    )
    return fig.to_json()


def timed(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset(BUNDLED_DATA)
    big = synthetic.incidents(args.n, dataset.incidents, dataset.boundaries, seed=1)
    base_time, _ = timed(args.repeat, lambda: build(dataset, dataset.incidents.head(0), ()))
    every = mapping.LAYERS[1:]
    cases = [
        ("curated", dataset.incidents, mapping.DEFAULT_LAYERS),
        ("curated", dataset.incidents, every),
        (f"synthetic {args.n:,}", big, mapping.DEFAULT_LAYERS),
        (f"synthetic {args.n:,}", big, every),
    ]
    print(f"baseline (boundaries and labels only): {base_time * 1000:.0f} ms")
    print(f"{'data':<20} {'incidents':>10} {'layers':<45} {'JSON':>9} {'build':>8} {'x base':>7}")
    for name, incidents, layers in cases:
        seconds, text = timed(args.repeat, lambda: build(dataset, incidents, layers))  # noqa: B023
        print(
            f"{name:<20} {len(incidents):>10,} {','.join(layers):<45} {len(text) / 1e6:>7.2f}MB "
            f"{seconds * 1000:>6.0f}ms {seconds / base_time:>7.1f}"
        )


if __name__ == "__main__":
    main()
