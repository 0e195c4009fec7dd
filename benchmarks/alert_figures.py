"""How many alerts the default watch rules (the bundled data/alerts.toml) would have raised,
month by month: over the bundled curated scenario (data/) and over a real feed, the UCDP GED
Pakistan file imported into a copy of data/ (its store). The figures are the rules' previews
(georisk.alerts.preview.per_month: the evaluation's matching over every incident in use), so they
say how noisy each default would be for an analyst; nothing is stored, sent or timed by a test.

Usage: python benchmarks/alert_figures.py [--ucdp FILE] [--keep DIR] [--busiest 5]
The UCDP file defaults to ../shared/external/ucdp_ged_pakistan.csv (next to the checkout); with
none found, only the curated scenario is shown.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from georisk.alerts.preview import per_month  # noqa: E402
from georisk.alerts.rules import RULES_FILE, Rule, read_rules_file, vocabulary_of  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402

UCDP_DEFAULT = ROOT.parent / "shared" / "external" / "ucdp_ged_pakistan.csv"


def default_rules(dataset) -> list[Rule]:
    """The bundled scenario's rules (data/alerts.toml), the incident ones: band and threat rules
    have no preview."""
    text = (BUNDLED_DATA / RULES_FILE).read_text(encoding="utf-8")
    rules, problems = read_rules_file(text, vocabulary_of(dataset))
    assert not problems, problems
    return [rule for rule in rules if rule.kind == "incident"]


def ucdp_folder(source: Path, base: Path) -> Path:
    """A copy of data/ (without its state) whose store holds the UCDP file's import."""
    from georisk import feeds
    from georisk.feeds.store import commit_import

    target = base / "ucdp"
    if not (target / "state").exists():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(BUNDLED_DATA, target, ignore=shutil.ignore_patterns("state"))
        incidents, report = feeds.run("ucdp", source.read_bytes(), source.name, feeds.context_for(target))
        run = commit_import(target, incidents, report)
        print(f"  imported {source.name}: {report.summary()} ({run.summary})", flush=True)
    return target


def show(title: str, dataset, busiest: int) -> None:
    rules = default_rules(dataset)
    dates = pd.to_datetime(dataset.incidents["date"], errors="coerce")
    print(
        f"\n{title}: {len(dataset.incidents):,} incidents, {dates.min():%Y-%m} to {dates.max():%Y-%m}; "
        f"{len(dataset.sites)} sites"
    )
    print(f"  {'rule':22} {'total':>7} {'months':>6} {'mean/mo':>8} {'max':>5}  busiest months")
    for rule in rules:
        started = time.perf_counter()
        months = per_month(rule, dataset)
        seconds = time.perf_counter() - started
        total = int(months["alerts"].sum())
        n = len(months)
        mean = total / n if n else 0.0
        top = months[months["alerts"] > 0].sort_values(["alerts", "month"], ascending=[False, True])
        top_words = ", ".join(
            f"{m:%Y-%m} {a}" for m, a in zip(top["month"][:busiest], top["alerts"][:busiest], strict=True)
        )
        peak = int(months["alerts"].max()) if n else 0
        print(f"  {rule.id:22} {total:7,} {n:6} {mean:8.2f} {peak:5}  {top_words or '-'}  ({seconds:.1f} s)")
        print(f"    {rule.words()}")
    print("  months: the months from the first incident's to the last's, quiet ones included")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ucdp", type=Path, default=UCDP_DEFAULT, help="the UCDP GED CSV")
    parser.add_argument("--keep", type=Path, help="keep the UCDP data folder here (and reuse it)")
    parser.add_argument("--busiest", type=int, default=5, help="busiest months shown per rule")
    args = parser.parse_args()
    show("Curated scenario (data/)", load_dataset(BUNDLED_DATA, with_store=False), args.busiest)
    if not args.ucdp.is_file():
        print(f"\nno UCDP file at {args.ucdp}: pass --ucdp FILE for the real feed's figures")
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="georisk-alert-figures-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        print(f"\nimporting {args.ucdp} into a copy of data/ ...", flush=True)
        folder = ucdp_folder(args.ucdp, base)
        show(
            f"UCDP GED Pakistan ({args.ucdp.name}, in the store of a copy of data/)",
            load_dataset(folder),
            args.busiest,
        )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
