"""Command line: `python -m georisk validate [DATA_DIR]`, `python -m georisk catalog [DATA_DIR]`.

Exit status: 0 when the folder is clean, 1 when any problem was found, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from georisk import catalog
from georisk.dataset import BUNDLED_DATA, CATALOG, load_dataset


def validate(data_dir: Path) -> int:
    if not data_dir.is_dir():
        print(f"error: {data_dir} is not a folder", file=sys.stderr)
        return 2
    dataset = load_dataset(data_dir)
    for problem in dataset.problems:
        print(f"{problem.severity}: {problem}")
    for record in dataset.catalogue().itertuples():
        print(f"{record.file}: {record.loaded} rows loaded, {record.rejected} rejected")
    count = len(dataset.problems)
    print(f"{count} problem(s) in {data_dir}" if count else f"{data_dir}: no problems")
    return 1 if count else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m georisk", description="Geopolitical risk dashboard tools"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="check a data folder and list every problem")
    check.add_argument("data_dir", nargs="?", type=Path, default=BUNDLED_DATA)
    refresh = commands.add_parser("catalog", help="refresh the measured fields of DATA_DIR/catalog.json")
    refresh.add_argument("data_dir", nargs="?", type=Path, default=BUNDLED_DATA)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return validate(args.data_dir)
    if args.command == "catalog":
        if not (args.data_dir / CATALOG).is_file():
            print(f"error: {args.data_dir / CATALOG} not found", file=sys.stderr)
            return 2
        print(f"updated {catalog.update(args.data_dir)}")
        return 0
    return 2
