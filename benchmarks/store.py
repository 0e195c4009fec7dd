"""The store at the size of a real feed: a first refresh of N events from the local ACLED
stand-in (tests/fakes), an incremental refresh of 1,000 new and 1,000 revised events on top of
them, and the app's load of the incidents in use from SQLite and from PostgreSQL, as a ratio to
loading the same incidents from a plain Parquet file (the old folder store's way), measured in
the same run. Each step runs in its own process, so that its peak memory is its own.

Usage: python benchmarks/store.py [--n 1000000] [--no-postgres] [--keep DIR] [--repeats 2]
PostgreSQL comes from Debian (apt-get install postgresql), started on a temporary folder by
tests/pg.py as for the tests. The figures are printed; nothing here is timed by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from georisk import synthetic  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402
from tests.fakes.acled_server import DEFAULT_EMAIL, DEFAULT_PASSWORD, AcledServer  # noqa: E402

# Runs one step in a fresh process and prints (seconds, peak resident MB) as its last line.
STEP = """
import json, sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec into ru_maxrss.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps([seconds, peak / 1024]))
"""
REFRESH = (
    "from georisk import cli\n"
    "code = cli.main(['refresh', '--data', {data!r}, '--feed', 'acled'])\n"
    "assert code == 0, 'the refresh failed'\n"
)
LOAD = (
    "from georisk.scenario.dataset import load_dataset\n"
    "n = len(load_dataset({data!r}).incidents)\nassert n > 0, 'nothing loaded'\n"
)


def step(body: str, env: dict[str, str]) -> tuple[float, float]:
    result = subprocess.run(
        [sys.executable, "-c", STEP.format(root=str(ROOT), body=body)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    seconds, megabytes = json.loads(result.stdout.strip().splitlines()[-1])
    return seconds, megabytes


def events(n: int) -> list[dict]:
    data = load_dataset(BUNDLED_DATA)
    frame = synthetic.to_acled(synthetic.incidents(n, data.incidents, data.boundaries, seed=n), seed=n)
    # ACLED stamps events when it uploads them, a week's events at a time; the generator gives
    # them all one stamp, which would make every incremental read a full one (ACLED's filter
    # is timestamp >= the last one seen).
    dates = pd.to_datetime(frame["event_date"], format="mixed")
    frame["timestamp"] = ((dates + pd.Timedelta(days=7)).astype("int64") // 10**9).astype(str)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_dict("records")


def folder(base: Path, name: str, start: str) -> Path:
    target = base / name
    shutil.copytree(BUNDLED_DATA, target, ignore=shutil.ignore_patterns("state"))
    (target / "refresh.toml").write_text(
        f'[refresh]\nfeeds = ["acled"]\nstart = "{start}"\n', encoding="utf-8"
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2, help="loads of each kind, alternated")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the data folders here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="georisk-store-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"making {args.n:,} synthetic ACLED events ...", flush=True)
    made = time.perf_counter()
    rows = events(args.n)
    start = "2010-01-01"  # the generator's events fall in 2014-2018
    print(f"  {time.perf_counter() - made:.0f} s", flush=True)
    env = {**os.environ, "ACLED_EMAIL": DEFAULT_EMAIL, "ACLED_PASSWORD": DEFAULT_PASSWORD}
    env.pop("GEORISK_STORE", None)
    figures: dict[str, tuple[float, float]] = {}
    with AcledServer(rows) as acled:
        acled.cache_queries = True
        env["GEORISK_ACLED_URL"] = acled.url
        sqlite_folder = folder(base, "sqlite", start)
        figures["first refresh (SQLite)"] = step(REFRESH.format(data=str(sqlite_folder)), env)
        held = sorted(acled.events)
        for event in held[:1000]:
            acled.revise(event, fatalities="99")  # a new stamp, after every other
        new = events(1000)
        for i, row in enumerate(new):
            row["event_id_cnty"] = f"PAKNEW{i}"
            row.pop("timestamp")  # uploaded now: the stand-in stamps them after every other
        acled.add(new)
        figures["incremental refresh, 1,000 new + 1,000 revised (SQLite)"] = step(
            REFRESH.format(data=str(sqlite_folder)), env
        )
        postgres = None
        if not args.no_postgres:
            from tests import pg

            postgres = pg.Server(pg.binaries())
            env_pg = {**env, "GEORISK_STORE": pg.fresh_database(postgres.start())}
            pg_folder = folder(base, "postgres", start)
            figures["first refresh (PostgreSQL)"] = step(REFRESH.format(data=str(pg_folder)), env_pg)
    # The baseline: the same incidents in use, as a plain Parquet file in a folder with no store.
    from georisk.store.location import open_store

    _, snapshot = open_store(sqlite_folder).snapshot()
    parquet_folder = base / "parquet"
    shutil.copytree(BUNDLED_DATA, parquet_folder, ignore=shutil.ignore_patterns("state"))
    (parquet_folder / "incidents.parquet").write_bytes(snapshot)
    loads: dict[str, list[tuple[float, float]]] = {"Parquet file": [], "SQLite store": []}
    if postgres:
        loads["PostgreSQL store"] = []
    for _ in range(args.repeats):
        loads["Parquet file"].append(step(LOAD.format(data=str(parquet_folder)), env))
        loads["SQLite store"].append(step(LOAD.format(data=str(sqlite_folder)), env))
        if postgres:
            loads["PostgreSQL store"].append(step(LOAD.format(data=str(pg_folder)), env_pg))
    if postgres:
        postgres.stop()
    print(f"\n{args.n:,} events; each step in its own process (seconds, peak resident memory)")
    for name, (seconds, megabytes) in figures.items():
        print(f"  {name:60} {seconds:7.1f} s  {megabytes:7.0f} MB")
    baseline = min(s for s, _ in loads["Parquet file"])
    print("app load of the incidents in use (best of the repeats; ratio to the Parquet file; goal <= 1.5x)")
    for name, runs in loads.items():
        seconds = min(s for s, _ in runs)
        megabytes = max(m for _, m in runs)
        print(f"  {name:60} {seconds:7.1f} s  {megabytes:7.0f} MB  {seconds / baseline:5.2f}x")
    print("the runs (newest first):")
    for run in open_store(sqlite_folder).runs():
        print(f"  SQLite: {run.kind} {run.outcome} {run.summary} in {run.seconds:.0f} s")
    store_file = sqlite_folder / "state" / "georisk.sqlite"
    print(f"  SQLite file: {store_file.stat().st_size / 1e6:.0f} MB; kept in {base}" if args.keep else "")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
