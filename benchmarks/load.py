"""Many viewers on one server, and what a cache clear costs.

Starts one app process on a data folder (the bundled scenario unless --data), or with
--processes N several behind nginx as deploy/nginx.conf sets them up (needs Debian's nginx), then:
  load         N viewers (default 30) hold real websocket sessions for --seconds (default 120),
               each changing a filter every few seconds (mean --pause) and switching page now and
               then; every answer is checked (no exception, the URL carries the viewer's own
               filters). Prints errors, reruns, rerun time percentiles under load, and memory:
               the servers before the viewers, at their peak, and per session.
  cache clear  one viewer alone: the median of warm reruns against the median of reruns that
               follow the message any viewer may send to clear every st.cache_data and
               st.cache_resource. Target (issue 9): at most 1.5x.

Usage: python benchmarks/load.py [--viewers 30] [--seconds 120] [--pause 5] [--processes 1] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import rss_kb  # noqa: E402
from georisk.dataset import BUNDLED_DATA  # noqa: E402
from tests.browser.conftest import start_server  # noqa: E402
from tests.proxy import HOST, insecure, proxied, request  # noqa: E402
from tests.sessions import Viewer, crowd, drive  # noqa: E402


async def cache_clear(viewer: Viewer, rounds: int) -> tuple[float, float]:
    """(median warm rerun, median rerun right after a cache clear), in seconds."""
    await viewer.open()
    sectors = sorted(viewer.widgets["filter.sector"].options)
    warm, cleared = [], []
    for index in range(rounds):
        # The same view run twice: once with everything cached, once right after a clear (which
        # also wipes the session's state: the page rebuilds the view from its URL).
        await viewer.set_filters({"filter.sector": [sectors[index % len(sectors)]]})
        warm.append((await viewer.rerun()).seconds)
        await viewer.clear_caches()
        cleared.append((await viewer.rerun()).seconds)
    await viewer.close()
    return statistics.median(warm), statistics.median(cleared)


async def load(make_viewer, pids: list[int], viewers: int, seconds: float, pause: float):
    people = [make_viewer() for _ in range(viewers)]
    peak_kb = 0

    async def watch() -> None:
        nonlocal peak_kb
        while True:
            peak_kb = max(peak_kb, sum(rss_kb(pid)[0] for pid in pids))
            await asyncio.sleep(0.5)

    watcher = asyncio.create_task(watch())
    tally = await crowd(people, seconds, pause)
    watcher.cancel()
    return tally, peak_kb


@contextmanager
def servers(processes: int, data_dir: Path):
    """(a function that makes a viewer, the server pids)."""
    if processes == 1:
        process, base = start_server(data_dir)
        try:
            yield (lambda: Viewer(base)), [process.pid]
        finally:
            process.terminate()
            process.wait(timeout=30)
        return
    with tempfile.TemporaryDirectory() as folder, proxied(Path(folder), processes, data_dir) as proxy:

        def through_nginx() -> Viewer:
            # Each viewer gets its own affinity cookie, as a browser does on its first request.
            cookie = request("GET", "/", proxy.https).getheader("Set-Cookie").split(";")[0]
            return Viewer(
                f"https://{HOST}", {"Cookie": cookie}, tls=insecure(), connect_to=("127.0.0.1", proxy.https)
            )

        yield through_nginx, proxy.pids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--viewers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--pause", type=float, default=5.0, help="mean seconds between a viewer's changes")
    parser.add_argument("--rounds", type=int, default=7, help="cache-clear measurements")
    parser.add_argument("--processes", type=int, default=1, help="app processes (more than 1: behind nginx)")
    parser.add_argument("--data", type=Path, default=BUNDLED_DATA)
    args = parser.parse_args()

    with servers(args.processes, args.data) as (make_viewer, pids):
        print(f"data: {args.data}; {args.processes} app process(es)")
        warm, cleared = drive(cache_clear(make_viewer(), args.rounds))
        print(
            f"cache clear: warm rerun {warm:.2f} s, first rerun after a clear {cleared:.2f} s "
            f"= {cleared / warm:.2f}x (target <= 1.5x)"
        )
        idle_kb = sum(rss_kb(pid)[0] for pid in pids)
        tally, peak_kb = drive(load(make_viewer, pids, args.viewers, args.seconds, args.pause))
        print(
            f"load: {args.viewers} viewers for {args.seconds:.0f} s, a change every {args.pause:.0f} s "
            f"on average: {len(tally.runs)} runs ({len(tally.runs) / args.seconds:.1f}/s), "
            f"{len(tally.problems)} errors"
        )
        for opened, what in ((False, "a change"), (True, "a page load (all at once at the start)")):
            median, p95, slowest = (tally.percentile(share, opened) for share in (0.5, 0.95, 1.0))
            print(
                f"run after {what}, request to its last message: median {median:.2f} s, "
                f"95th percentile {p95:.2f} s, slowest {slowest:.2f} s"
            )
        print(
            f"server memory: {idle_kb / 1024:.0f} MB before the viewers, peak {peak_kb / 1024:.0f} MB; "
            f"{(peak_kb - idle_kb) / 1024 / args.viewers:.1f} MB per session"
        )
        for problem in tally.problems[:20]:
            print("  error:", problem)


if __name__ == "__main__":
    main()
