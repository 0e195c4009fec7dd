"""Write a synthetic ACLED-format feed of N rows, for benchmarks and load tests.

Events cluster around the places of the curated scenario's incidents (the real cities and
conflict areas) with a tenth anywhere in the country; actors, event types and dates follow a
plausible mix; about 5 % are protests, which an import must leave out. Nothing in it is real.

Usage: python scripts/make_acled.py N --out feed.csv [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from georisk import synthetic  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dataset = load_dataset(BUNDLED_DATA)
    incidents = synthetic.incidents(args.n, dataset.incidents, dataset.boundaries, seed=args.seed)
    synthetic.to_acled(incidents, seed=args.seed).to_csv(args.out, index=False)
    print(f"wrote {args.n:,} rows to {args.out}")


if __name__ == "__main__":
    main()
