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
  --hostile    instead of the two above: N ordinary viewers (use --viewers 10) for --seconds
               alone, then the same for --seconds beside one hostile viewer who, as fast as the
               server answers, moves the model's sliders to settings nobody else uses (a new
               summary every run), asks for the PDF briefing of each new view without waiting
               for it, and clears the caches every third run. Prints the ordinary viewers' rerun
               times (median, 90th percentile) in both phases and their ratio. Target (issue
               14): at most 1.5x.

Usage: python benchmarks/load.py [--viewers 30] [--seconds 120] [--pause 5] [--processes 1] [--data DIR]
       python benchmarks/load.py --hostile --viewers 10 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.scale import rss_kb  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA  # noqa: E402
from tests.browser.conftest import start_server  # noqa: E402
from tests.proxy import HOST, insecure, proxied, request  # noqa: E402
from tests.sessions import Tally, Viewer, check, crowd, drive  # noqa: E402


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


@dataclass
class Hostility:
    """What the hostile viewer did and what the server answered."""

    runs: Tally = field(default_factory=Tally)
    pdfs_asked: int = 0
    pdfs_made: int = 0
    pdfs_refused: list[str] = field(default_factory=list)  # the server's answers
    pdfs_unanswered: int = 0
    pdf_button_disabled: int = 0  # runs whose page showed the PDF button disabled (over the limit)
    cache_clears: int = 0


async def hostile(viewer: Viewer, seconds: float, seed: int = 99) -> Hostility:
    """One viewer doing as much expensive work as it can ask for, for `seconds`."""
    rng, done = random.Random(seed), Hostility()
    check(await viewer.open("asof=2016-12-15&to=2016-12-15"), {}, "hostile", done.runs)
    asked: list[str] = []
    file_id = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cleared = done.cache_clears * 3 < len(done.runs.runs)
        if cleared:
            await viewer.clear_caches()
            done.cache_clears += 1
        # Settings on the sliders' grid that a shared cache would hold for nobody else.
        radius = rng.randrange(5, 205, 5)
        half_life = rng.randrange(30, 1095, 15)
        run = await viewer.set_sliders({"model.radius": float(radius), "model.halflife": float(half_life)})
        # Right after a clear the session has no state: the slider's change is dropped and the
        # page shows the view of its URL (tests/browser/test_load.py); otherwise the URL has the new radius.
        check(run, {} if cleared else {"radius": [f"{radius:g}"]}, "hostile", done.runs)
        # Ask for the PDF of each new view without waiting; when the page disables the button,
        # ask with the file id of an earlier run, as a client of its own could.
        button = viewer.widgets.get("briefing.pdf")
        if button is not None:
            done.pdf_button_disabled += button.disabled
            file_id = button.deferred_file_id or file_id
        if file_id:
            asked.append(await viewer.ask_file("briefing.pdf", file_id))
            done.pdfs_asked += 1
    # The answers still owed. Streamlit drops an answer that is queued as a run of the same
    # session starts (a client firing requests between reruns loses some): wait 30 s in all.
    owed_until = time.monotonic() + 30
    for request_id in asked:
        try:
            url, error = await viewer.file_answer(request_id, max(0.1, owed_until - time.monotonic()))
        except TimeoutError:
            done.pdfs_unanswered += 1
            continue
        if error:
            done.pdfs_refused.append(error)
        elif url:
            done.pdfs_made += 1
    await viewer.close()
    return done


async def beside_hostile(make_viewer, viewers: int, seconds: float, pause: float):
    """(ordinary viewers alone, the same beside a hostile viewer, what the hostile one did)."""
    alone = await crowd([make_viewer() for _ in range(viewers)], seconds, pause)
    together, done = await asyncio.gather(
        crowd([make_viewer() for _ in range(viewers)], seconds, pause), hostile(make_viewer(), seconds)
    )
    return alone, together, done


@contextmanager
def servers(processes: int, data_dir: Path):
    """(a function that makes a viewer, the server pids)."""
    if processes == 1:
        # As deployed: no file watcher (an edit of the code while this runs would reload it).
        process, base = start_server(data_dir, {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"})
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
    parser.add_argument(
        "--hostile", action="store_true", help="ordinary viewers with and without a hostile one"
    )
    args = parser.parse_args()

    with servers(args.processes, args.data) as (make_viewer, pids):
        print(f"data: {args.data}; {args.processes} app process(es)")
        if args.hostile:
            report_hostile(*drive(beside_hostile(make_viewer, args.viewers, args.seconds, args.pause)), args)
            return
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


def report_hostile(alone: Tally, together: Tally, done: Hostility, args) -> None:
    print(
        f"{args.viewers} ordinary viewers, a change every {args.pause:.0f} s on average, "
        f"{args.seconds:.0f} s each phase"
    )
    for label, tally in (("alone", alone), ("beside a hostile viewer", together)):
        median, p90 = tally.percentile(0.5), tally.percentile(0.9)
        print(
            f"  {label}: {sum(not r.opened for r in tally.runs)} reruns, median {median:.2f} s, "
            f"90th percentile {p90:.2f} s, {len(tally.problems)} errors"
        )
    print(
        f"  ratio with/without: median {together.percentile(0.5) / alone.percentile(0.5):.2f}x, "
        f"90th percentile {together.percentile(0.9) / alone.percentile(0.9):.2f}x (target <= 1.5x)"
    )
    refusals = {text: done.pdfs_refused.count(text) for text in sorted(set(done.pdfs_refused))}
    print(
        f"hostile viewer: {len(done.runs.runs)} runs (median {done.runs.percentile(0.5):.2f} s), "
        f"{done.cache_clears} cache clears, PDF button disabled on {done.pdf_button_disabled} runs, "
        f"{done.pdfs_asked} PDFs asked, {done.pdfs_made} made, "
        f"refused: {refusals or 'none'}, {done.pdfs_unanswered} unanswered, {len(done.runs.problems)} errors"
    )
    for problem in (alone.problems + together.problems + done.runs.problems)[:20]:
        print("  error:", problem)


if __name__ == "__main__":
    main()
