"""The JSON API under load beside people using the pages, on one app process.

One run, three phases on the same server:
  sessions alone   --viewers browser-like sessions (tests/sessions.py: real websocket sessions that
                   change filters and switch pages) for --seconds;
  API alone        --clients API clients for --seconds, each asking as fast as it is answered for
                   a random view's overview, sites or a page of incidents (a few views repeat, as
                   dashboards and reports poll the same ones; a client sends back the ETag it got);
  both             the same clients and sessions at once.
Prints API requests per second and p50/p95 latency (alone and beside the sessions), 304s, errors,
and the sessions' rerun times (median, p90) alone and beside the API clients, with their ratio.
The server runs as a hosted deployment does (GEORISK_HOSTED=1, on a copy of the data folder):
each client has a token of its own, so each takes its own share of the overviews the process
computes, as separate integrations would; the per-token rate limit is lifted for the run
(GEORISK_API_RATE), as an operator would for trusted internal clients.

Usage: python benchmarks/api_load.py [--clients 20] [--viewers 10] [--seconds 60] [--data DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from georisk.feeds.store import store_for  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA  # noqa: E402
from georisk.store.tokens import TokenBook  # noqa: E402
from tests.browser.conftest import start_server  # noqa: E402
from tests.sessions import Viewer, crowd, drive  # noqa: E402

RESOURCES = ("overview", "sites", "incidents")
SECTORS = ("energy", "industry")
REGIONS = ("Sindh", "Punjab", "Balochistan", "Khyber Pakhtunkhwa")
DATES = ("2014-06-30", "2015-12-31", "2016-12-15", "2017-09-30")


@dataclass
class Calls:
    seconds: list[float] = field(default_factory=list)
    not_modified: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def views(seed: int, count: int = 12) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        params: dict[str, list[str]] = {"asof": [rng.choice(DATES)]}
        params["to"] = params["asof"]
        if rng.random() < 0.5:
            params["sector"] = [rng.choice(SECTORS)]
        if rng.random() < 0.5:
            params["region"] = rng.sample(REGIONS, rng.randint(1, 2))
        made.append(urllib.parse.urlencode(params, doseq=True))
    return made


def client(base: str, token: str, seed: int, seconds: float, calls: Calls) -> None:
    rng = random.Random(seed)
    tags: dict[str, str] = {}
    known = views(1, 6)  # the views every client polls (within one client's share of the shared cache)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        resource = rng.choice(RESOURCES)
        query = rng.choice(known) if rng.random() < 0.9 else rng.choice(views(seed * 1000 + len(tags)))
        url = f"{base}/api/v1/{resource}?{query}" + ("&limit=100" if resource == "incidents" else "")
        headers = {
            "Authorization": f"Bearer {token}",
            **({"If-None-Match": tags[url]} if url in tags else {}),
        }
        request = urllib.request.Request(url, headers=headers)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
                tags[url] = answer.headers.get("ETag", "")
                modified = True
        except urllib.error.HTTPError as err:
            modified = False
            if err.code != 304:
                with calls.lock:
                    calls.errors.append(f"{err.code} {url}")
                continue
        except OSError as err:
            with calls.lock:
                calls.errors.append(f"{type(err).__name__} {url}")
            continue
        with calls.lock:
            calls.seconds.append(time.perf_counter() - started)
            calls.not_modified += not modified


def api_clients(base: str, tokens: list[str], seconds: float) -> Calls:
    calls = Calls()
    threads = [
        threading.Thread(target=client, args=(base, t, i, seconds, calls)) for i, t in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report_calls(label: str, calls: Calls, seconds: float) -> None:
    count = len(calls.seconds)
    print(
        f"  {label:22} {count / seconds:6.1f} req/s  p50 {percentile(calls.seconds, 0.5) * 1000:7.0f} ms  "
        f"p95 {percentile(calls.seconds, 0.95) * 1000:7.0f} ms  304s {calls.not_modified:5}  "
        f"errors {len(calls.errors)}" + (f" (first: {calls.errors[0]})" if calls.errors else "")
    )


def session_times(tally) -> tuple[float, float]:
    runs = [r.seconds for r in tally.runs if not r.opened]
    return (statistics.median(runs) if runs else float("nan")), percentile(runs, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pause", type=float, default=5.0, help="mean seconds between a viewer's changes")
    parser.add_argument("--data", type=Path, default=BUNDLED_DATA)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp()) / "data"
    shutil.copytree(args.data, folder, ignore=shutil.ignore_patterns("state"))
    book = TokenBook(store_for(folder))
    tokens = [book.create(f"client-{i}", "benchmark")[0] for i in range(args.clients)]
    env = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", "GEORISK_API_RATE": "1000000", "GEORISK_HOSTED": "1"}
    process, base = start_server(folder, env)
    try:
        first = urllib.request.Request(
            f"{base}/api/v1/overview", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        urllib.request.urlopen(first, timeout=120).read()  # load the data once
        print(
            f"data: {args.data}; one app process; {args.clients} API clients, {args.viewers} sessions, "
            f"{args.seconds:.0f} s per phase"
        )
        alone = drive(crowd([Viewer(base) for _ in range(args.viewers)], args.seconds, args.pause))
        api_alone = api_clients(base, tokens, args.seconds)
        beside: dict = {}
        thread = threading.Thread(target=lambda: beside.update(calls=api_clients(base, tokens, args.seconds)))
        thread.start()
        together = drive(crowd([Viewer(base) for _ in range(args.viewers)], args.seconds, args.pause))
        thread.join()
        report(args, api_alone, beside["calls"], alone, together)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # requests still waiting for their turn: not ours to wait for
            process.kill()
        shutil.rmtree(folder.parent, ignore_errors=True)


def report(args, api_alone: Calls, api_beside: Calls, alone, together) -> None:
    print("API:")
    report_calls("alone", api_alone, args.seconds)
    report_calls("beside the sessions", api_beside, args.seconds)
    (alone_p50, alone_p90), (both_p50, both_p90) = session_times(alone), session_times(together)
    print("sessions' reruns:")
    print(
        f"  alone                  median {alone_p50:.2f} s  p90 {alone_p90:.2f} s  "
        f"({len(alone.runs)} runs, {len(alone.problems)} problems)"
    )
    print(
        f"  beside the API clients median {both_p50:.2f} s  p90 {both_p90:.2f} s  "
        f"({len(together.runs)} runs, {len(together.problems)} problems)"
    )
    print(f"  ratio                  median {both_p50 / alone_p50:.2f}x  p90 {both_p90 / alone_p90:.2f}x")


if __name__ == "__main__":
    main()
