"""The watch rules at the size of a real feed: a store (SQLite) holding N synthetic ACLED events
(one committed refresh), 50 incident rules saved after it, then a second refresh of 10,000 new
events of the same feed, and the evaluation of the rules on that run (georisk.alerts.evaluate
.catch_up), as a ratio to two baselines measured in the same run: reading that run's changes
alone (AlertBook.changes, which every evaluation does first) and evaluating one rule on the run
(evaluate_run with the widest all-sites rule, on a copy of the store). Each measured step runs in
its own process, so that its peak memory is its own.

Usage: python benchmarks/alerts.py [--n 1000000] [--batch 10000] [--rules 50] [--keep DIR]
                                   [--tracemalloc]
The rules are incident rules only (immediate, no webhook, no email: nothing is sent). A rule only
sees the runs committed after it was saved: the first run predates the rules, so catch_up never
reads it. The figures are printed; nothing here
is timed by a test.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from georisk import feeds, synthetic  # noqa: E402
from georisk.alerts.rules import parse_rule, vocabulary_of  # noqa: E402
from georisk.feeds.store import batch_of, store_for  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402
from georisk.store.alerts import AlertBook  # noqa: E402

# Runs one step in a fresh process; its last line is [seconds, peak resident MB, resident MB
# before the step, tracemalloc peak MB or null, the step's result].
STEP = """
import json, sys, time, tracemalloc
sys.path.insert(0, {root!r})
def rss(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024
{setup}
before = rss("VmRSS")
if {trace}:
    tracemalloc.start()
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1] / 2**20 if {trace} else None
# VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec into ru_maxrss.
print(json.dumps([seconds, rss("VmHWM"), before, traced, result]))
"""
CHANGES_SETUP = (
    "from georisk.store.location import open_store\n"
    "from georisk.store.alerts import AlertBook\n"
    "book = AlertBook(open_store({data!r}))\n"
)
CHANGES = "records, gone = book.changes({seq})\nresult = [len(records), len(gone)]\n"
ONE_RULE_SETUP = (
    "from georisk.alerts import evaluate, sync\n"
    "from georisk.scenario.dataset import load_dataset\n"
    "from georisk.store.location import open_store\n"
    "from georisk.store.alerts import AlertBook\n"
    "book = AlertBook(open_store({data!r}))\n"
    "curated = load_dataset({data!r}, with_store=False)\n"
    "rule = next(r for r, _ in sync.active_rules(book, curated) if r.id == {rule_id!r})\n"
)
ONE_RULE = "result = list(evaluate.evaluate_run(book, {seq}, [rule], curated, environ={{}}))\n"
CATCH_UP_SETUP = "from georisk.alerts import evaluate\n"
CATCH_UP = (
    "done = evaluate.catch_up({data!r}, environ={{}})\n"
    "result = [done.runs, done.raised, done.updated, done.withdrawn, done.deliveries, done.messages]\n"
)

FAMILY_SETS = [
    ["TTP", "Jamaat-ul-Ahrar"],
    ["IS-Khorasan", "Lashkar-e-Jhangvi"],
    ["Baloch separatists", "Sindhi separatists"],
    ["Al-Qaeda affiliates"],
    ["Lashkar-e-Islam", "Other groups"],
]
TIER_PAIRS = [  # (any incident within km, min_killed within km)
    ((5, 0), (25, 3)),
    ((10, 0), (50, 5)),
    ((2, 0), (15, 1)),
    ((20, 0), (100, 10)),
]
PROVINCES = ["Sindh", "Punjab", "Balochistan", "Khyber Pakhtunkhwa", "FATA", "Islamabad Capital Territory"]
WIDEST = "all-10km-50km-5"  # the one-rule baseline: every site, the common 2-tier default


def tiers(pair) -> list[dict]:
    return [{"km": km, "min_killed": killed} for km, killed in pair]


def rule_mix(dataset, count: int) -> list[dict]:
    """`count` incident rules, a mix an operator of the bundled sites might keep: per-site radii
    (2 tiers), per-site family filters, group rules (sector, status, partner, all), and province
    rules (some narrowed by family or attack type). Immediate, no webhook, no email."""
    sites = dataset.sites
    groups = ["all"] + sorted(
        {f"sector:{s}" for s in sites["sector"]}
        | {f"status:{s}" for s in sites["status"]}
        | {f"partner:{s}" for s in sites["partner_country"]}
    )
    made: list[dict] = [
        {
            "id": WIDEST,
            "name": "Every site: any within 10 km, 5+ killed within 50 km",
            "watch": "all",
            "tiers": tiers(((10, 0), (50, 5))),
        }
    ]
    for site in sites["site_id"]:
        for number, pair in enumerate(TIER_PAIRS):
            made.append(
                {
                    "id": f"site-{site}-{number}"[:60],
                    "name": f"{site} radii {number}",
                    "watch": f"site:{site}",
                    "tiers": tiers(pair),
                }
            )
        for number, families in enumerate(FAMILY_SETS[:2]):
            made.append(
                {
                    "id": f"site-{site}-fam{number}"[:60],
                    "name": f"{site} by {', '.join(families)}",
                    "watch": f"site:{site}",
                    "tiers": tiers(((25, 0), (75, 3))),
                    "families": families,
                }
            )
    for group in groups:
        for number, pair in enumerate((TIER_PAIRS[0], TIER_PAIRS[3])):
            made.append(
                {
                    "id": f"group-{group.replace(':', '-')}-{number}".lower()[:60],
                    "name": f"{group} radii {number}",
                    "watch": group,
                    "tiers": tiers(pair),
                }
            )
    for number, province in enumerate(PROVINCES):
        made.append(
            {
                "id": f"province-{number}",
                "name": f"anything in {province}",
                "watch": f"province:{province}",
                "min_precision": "province",
            }
        )
        made.append(
            {
                "id": f"province-{number}-fam",
                "name": f"{province} by {FAMILY_SETS[number % 5]}",
                "watch": f"province:{province}",
                "families": FAMILY_SETS[number % len(FAMILY_SETS)],
            }
        )
        made.append(
            {
                "id": f"province-{number}-bomb",
                "name": f"bombings in {province}",
                "watch": f"province:{province}",
                "attack_types": ["bombing", "suicide bombing"],
            }
        )
    for number, families in enumerate(FAMILY_SETS):
        made.append(
            {
                "id": f"all-fam{number}",
                "name": f"every site, by {', '.join(families)}",
                "watch": "all",
                "tiers": tiers(((15, 0), (60, 2))),
                "families": families,
            }
        )
    if count > len(made):
        raise SystemExit(f"--rules: at most {len(made)} distinct rules in the mix")
    # An even spread over the kinds, the widest rule first (it is the one-rule baseline).
    picks = sorted({0} | {1 + i * (len(made) - 1) // max(count - 1, 1) for i in range(count - 1)})
    return [made[i] for i in picks]


def acled_events(n: int, seed: int, prefix: str) -> bytes:
    """n synthetic events as an ACLED export (CSV)."""
    data = load_dataset(BUNDLED_DATA, with_store=False)
    frame = synthetic.to_acled(synthetic.incidents(n, data.incidents, data.boundaries, seed=seed), seed=seed)
    frame["event_id_cnty"] = [f"{prefix}{i}" for i in range(1, n + 1)]
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def commit(folder: Path, data: bytes, name: str):
    """Import the events as the refresh of the ACLED feed would: new events added, the feed's
    other events kept (not a file import, which would withdraw what it lacks)."""
    incidents, report = feeds.run("acled", data, name, feeds.context_for(folder))
    return store_for(folder).commit(batch_of(incidents, report, "refresh"))


def step(setup: str, body: str, trace: bool) -> tuple[float, float, float, float | None, object]:
    code = STEP.format(root=str(ROOT), setup=setup, body=body, trace=trace)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="events of the first refresh")
    parser.add_argument("--batch", type=int, default=10_000, help="new events of the second refresh")
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="keep the data folders here")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python's allocations in each step (slows the steps down)",
    )
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="georisk-alerts-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    folder = base / "data"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(BUNDLED_DATA, folder, ignore=shutil.ignore_patterns("state", "alerts.toml"))
    setup: dict[str, float] = {}

    print(f"making {args.n:,} + {args.batch:,} synthetic ACLED events ...", flush=True)
    started = time.perf_counter()
    first, second = acled_events(args.n, args.n, "PAK"), acled_events(args.batch, args.n + 1, "PAKNEW")
    setup["making the events (CSV)"] = time.perf_counter() - started

    started = time.perf_counter()
    run1 = commit(folder, first, "acled-first.csv")
    setup[f"first refresh, import + commit ({run1.added:,} new)"] = time.perf_counter() - started
    del first

    dataset = load_dataset(folder, with_store=False)
    vocabulary = vocabulary_of(dataset)
    book = AlertBook(store_for(folder))
    definitions = rule_mix(dataset, args.rules)
    started = time.perf_counter()
    rules = [parse_rule({**d, "cadence": "immediate"}, vocabulary) for d in definitions]
    for rule in rules:
        assert not rule.webhook and not rule.email and rule.kind == "incident"
        book.save_rule(rule.to_dict(), "page", "benchmark")
    setup[f"saving {len(rules)} rules"] = time.perf_counter() - started

    started = time.perf_counter()
    run2 = commit(folder, second, "acled-second.csv")
    setup[f"second refresh, import + commit ({run2.added:,} new)"] = time.perf_counter() - started
    pending = book.pending_runs()
    assert [seq for seq, _, _ in pending] == [run1.seq, run2.seq], pending

    # The one-rule baseline evaluates on a copy, so that the catch-up finds the run unevaluated.
    started = time.perf_counter()
    copy = base / "one-rule"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("state"))
    (copy / "state").mkdir()
    # SQLite's backup, not a file copy: opening and closing the live file from this process
    # would drop this process's POSIX locks on it (SQLite's "how to corrupt" §2.2), and the next
    # writer would then checkpoint the WAL away under this process's open connection.
    with (
        sqlite3.connect(folder / "state" / "georisk.sqlite") as source,
        sqlite3.connect(copy / "state" / "georisk.sqlite") as target,
    ):
        source.backup(target)
    source.close()
    target.close()
    setup["copying the store for the one-rule baseline"] = time.perf_counter() - started

    figures = {
        "read the run's changes (AlertBook.changes)": step(
            CHANGES_SETUP.format(data=str(folder)), CHANGES.format(seq=run2.seq), args.tracemalloc
        ),
        f"evaluate 1 rule ({WIDEST})": step(
            ONE_RULE_SETUP.format(data=str(copy), rule_id=WIDEST),
            ONE_RULE.format(seq=run2.seq),
            args.tracemalloc,
        ),
        f"catch_up, {len(rules)} rules": step(
            CATCH_UP_SETUP, CATCH_UP.format(data=str(folder)), args.tracemalloc
        ),
    }
    changes_s = figures["read the run's changes (AlertBook.changes)"][0]
    one_s = figures[f"evaluate 1 rule ({WIDEST})"][0]

    store_file = folder / "state" / "georisk.sqlite"
    kinds = pd.Series([r.watch_kind for r in rules]).value_counts().to_dict()
    print(f"\n{args.n:,} events held, a run of {args.batch:,} new ones, {len(rules)} rules {kinds}")
    print("setup (this process):")
    for name, seconds in setup.items():
        print(f"  {name:58} {seconds:7.1f} s")
    print("measured steps, each in its own process (ratios to the changes read and to 1 rule)")
    head = f"  {'step':46} {'seconds':>8} {'peak RSS':>9} {'RSS +':>7}"
    print(head + (f" {'traced':>7}" if args.tracemalloc else "") + f" {'/changes':>9} {'/1 rule':>8}  result")
    for name, (seconds, peak, before, traced, result) in figures.items():
        line = f"  {name:46} {seconds:8.2f} {peak:7.0f}MB {peak - before:5.0f}MB"
        if args.tracemalloc:
            line += f" {traced:5.0f}MB"
        print(line + f" {seconds / changes_s:8.1f}x {seconds / one_s:7.1f}x  {result}")
    _, _, _, _, (runs, raised, updated, withdrawn, queued, messages) = figures[
        f"catch_up, {len(rules)} rules"
    ]
    one_raised = figures[f"evaluate 1 rule ({WIDEST})"][4][0]
    print(
        f"catch_up: {runs} run(s) evaluated, {raised:,} alert(s) raised ({raised / args.batch:.2f} per new "
        f"event), {updated} updated, {withdrawn} withdrawn, {queued} deliveries queued; "
        f"1 rule raised {one_raised:,}"
    )
    for message in messages:
        print(f"  message: {message}")
    book_after = AlertBook(store_for(folder))
    per_rule = pd.Series([a["rule_id"] for a in book_after.alerts(limit=10**9)]).value_counts()
    print(
        f"alerts per rule: {len(per_rule)} of {len(rules)} rules raised any; "
        f"max {per_rule.max() if len(per_rule) else 0:,} ({per_rule.index[0] if len(per_rule) else '-'}), "
        f"median {int(per_rule.median()) if len(per_rule) else 0:,}"
    )
    print(
        f"SQLite file: {store_file.stat().st_size / 1e6:.0f} MB" + (f"; kept in {base}" if args.keep else "")
    )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
