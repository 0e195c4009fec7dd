"""Map figure size and build time, for the curated scenario and for 100,000 synthetic incidents.

Prints one row per case: incidents, layers, figure JSON size, median build time, and the build
time as a ratio to a baseline figure (boundaries and labels only) measured in the same run. The
figure is the Map page's (`maps.view_map`); the view's model context and scores are shared, as in
the app, so they are made once per case before the timing, which is of the figure a rerun builds.

Usage: python benchmarks/map_figure.py [--n 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from georisk import synthetic  # noqa: E402
from georisk.analysis import geography  # noqa: E402
from georisk.charts import maps  # noqa: E402
from georisk.model import settings  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402
from georisk.view import View, choices_for, clamp_filters  # noqa: E402

ASOF = pd.Timestamp("2018-11-26")


def view_with(incidents: pd.DataFrame) -> View:
    """The bundled scenario with these incidents, all in view as of ASOF, scored and ready."""
    dataset = load_dataset(BUNDLED_DATA)
    dataset.tables["incidents"].frame = incidents
    choices = choices_for(dataset)
    filters = clamp_filters(
        dataclasses.replace(choices.defaults(), asof=ASOF.date(), end=ASOF.date()), choices
    )
    view = View.of(dataset, filters, choices)
    view.scores(settings.DEFAULTS)  # the context and the scores, made once as the app makes them
    return view


def build(view: View, layers: tuple[str, ...]) -> str:
    fig, _ = maps.view_map(view, settings.DEFAULTS, layers)
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
    empty = view_with(dataset.incidents.head(0))
    curated = view_with(dataset.incidents)
    synthetic_view = view_with(big)
    base_time, _ = timed(args.repeat, lambda: build(empty, ()))
    every = geography.LAYERS[1:]
    cases = [
        ("curated", curated, geography.DEFAULT_LAYERS),
        ("curated", curated, every),
        (f"synthetic {args.n:,}", synthetic_view, geography.DEFAULT_LAYERS),
        (f"synthetic {args.n:,}", synthetic_view, every),
    ]
    print(f"baseline (boundaries and labels only): {base_time * 1000:.0f} ms")
    print(f"{'data':<20} {'incidents':>10} {'layers':<45} {'JSON':>9} {'build':>8} {'x base':>7}")
    for name, view, layers in cases:
        seconds, text = timed(args.repeat, lambda: build(view, layers))  # noqa: B023
        print(
            f"{name:<20} {view.incident_count:>10,} {','.join(layers):<45} {len(text) / 1e6:>7.2f}MB "
            f"{seconds * 1000:>6.0f}ms {seconds / base_time:>7.1f}"
        )


if __name__ == "__main__":
    main()
