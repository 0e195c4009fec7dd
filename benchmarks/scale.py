"""How the dashboard scales with the size of an imported incident feed.

For each N (default 10,000, 100,000 and 1,000,000 synthetic ACLED rows) it prints:
  import     wall time of `python -m georisk import acled` (a subprocess)
  cold       from starting the server to the Overview drawn in Chromium
  rerun      server time of a rerun after a filter change, per page (AppTest, in process)
  figure     the largest plotly figure a page sends (JSON bytes)
  memory     the server's peak resident memory, and what each further browser session adds
             (each opens the Map narrowed to one province, as people use it)
  render     each page's time to render in Chromium, as a ratio to a bare Streamlit page
             measured in the same run (../shared/tools/pageshot.py --floor)

Targets at 1,000,000 (issue 8): rerun <= 1 s on every page, render <= 2.5x bare, figure <= 3 MB,
server <= 2 GB, each further session <= 50 MB. Issue 15: render <= 2.5x at 1,000,000 and <= 2x on
the bundled data; at 2,500,000 reruns < 0.5 s, server <= 2 GB, each further session <= 50 MB.

Usage: python benchmarks/scale.py [--sizes 10000 100000 1000000] [--sessions 5] [--keep DIR]
       python benchmarks/scale.py --folders DATA_DIR ... (measure data folders as they are: the
              bundled data, or a folder kept by an earlier run; no import)
Needs Chromium (apt-get install chromium) and ../shared/tools/pageshot.py for the render ratios.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from georisk import synthetic  # noqa: E402
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, settle, start_server  # noqa: E402

PAGES = {
    "Overview": None,
    "Timeline": "pages/1_Timeline.py",
    "Map": "pages/2_Map.py",
    "Cooperation": "pages/3_Cooperation.py",
    "Data": "pages/4_Data.py",
}
PAGESHOT = ROOT.parent / "shared" / "tools" / "pageshot.py"


def make_folder(n: int, base: Path) -> tuple[Path, float]:
    """A copy of the bundled scenario with N synthetic ACLED rows imported; returns (folder, seconds)."""
    folder = base / f"data_{n}"
    shutil.copytree(BUNDLED_DATA, folder)
    dataset = load_dataset(BUNDLED_DATA)
    feed = base / f"acled_{n}.csv"
    synthetic.to_acled(synthetic.incidents(n, dataset.incidents, dataset.boundaries, seed=n)).to_csv(
        feed, index=False
    )
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "georisk", "import", "acled", str(feed), "--out", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return folder, time.perf_counter() - start


def reruns(folder: Path) -> dict[str, tuple[float, int]]:
    """Per page: (server seconds of a rerun after a filter change, largest figure in bytes)."""
    code = f"""
import json, os, sys, time
sys.path.insert(0, {str(ROOT)!r})
os.environ["GEORISK_DATA"] = {str(folder)!r}
from streamlit.testing.v1 import AppTest
pages = {PAGES!r}
at = AppTest.from_file({str(ROOT / "dashboard.py")!r}, default_timeout=600).run()
out = {{}}
for name, page in pages.items():
    if page:
        at.switch_page(page)
    at.run()
    region = at.multiselect(key="filter.region")
    region.set_value(["Sindh", "Punjab"] if not region.value else [])
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    sizes = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    out[name] = (seconds, max(sizes, default=0))
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise RuntimeError(f"the AppTest run failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def rss_kb(pid: int) -> tuple[int, int]:
    """(current, peak) resident memory of a process and its children, in kB (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(values["VmRSS"].split()[0]), int(values["VmHWM"].split()[0])


def browser_numbers(folder: Path, sessions: int) -> tuple[float, int, float]:
    """(cold start seconds, peak server kB, kB each further session adds)."""
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    process, base = start_server(folder)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = []
            page = browser.new_context().new_page()
            page.goto(f"{base}/", timeout=600_000)
            settle(page, timeout_ms=600_000)
            cold = time.perf_counter() - start
            pages.append(page)
            one, _ = rss_kb(process.pid)
            for _ in range(sessions):
                extra = browser.new_context().new_page()
                # A narrowed view (one province), as people use it: its rows are a copy of the
                # incidents in view, which a session must not keep.
                extra.goto(f"{base}/Map?region=Punjab", timeout=600_000)
                settle(extra, timeout_ms=600_000)
                pages.append(extra)
            time.sleep(2)
            many, peak = rss_kb(process.pid)
            browser.close()
        return cold, peak, (many - one) / sessions
    finally:
        process.terminate()
        process.wait(timeout=30)


def render_ratios(folder: Path) -> dict[str, float]:
    if not PAGESHOT.exists():
        return {}
    with tempfile.TemporaryDirectory() as shots:
        result = subprocess.run(
            [
                sys.executable,
                str(PAGESHOT),
                "--floor",
                "--runs",
                "3",  # the median of three leaves out the first, cold visit
                "--out",
                shots,
                "/",
                "Timeline",
                "Map",
                "Cooperation",
                "Data",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "GEORISK_DATA": str(folder)},
        )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    times = {row["path"]: row["median_s"] for row in rows}
    floor = times.get("floor")
    names = {
        "/": "Overview",
        "Timeline": "Timeline",
        "Map": "Map",
        "Cooperation": "Cooperation",
        "Data": "Data",
    }
    return {names[p]: times[p] / floor for p in names if p in times and floor}


def report(title: str, import_s: float | None, folder: Path, sessions: int) -> None:
    pages = reruns(folder)
    cold, peak_kb, per_session_kb = browser_numbers(folder, sessions)
    ratios = render_ratios(folder)
    print(f"\n== {title} ==")
    imported = "import n/a" if import_s is None else f"import {import_s:.1f} s"
    print(
        f"{imported} · cold start {cold:.1f} s · server peak {peak_kb / 1024:.0f} MB · "
        f"each further session {per_session_kb / 1024:.1f} MB"
    )
    print(f"{'page':<12} {'rerun s':>8} {'largest figure':>15} {'render x bare':>14}")
    for name, (seconds, size) in pages.items():
        shown = "n/a" if name not in ratios else f"{ratios[name]:.2f}"
        print(f"{name:<12} {seconds:>8.2f} {size / 1e6:>13.2f}MB {shown:>14}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the generated folders here")
    parser.add_argument("--folders", type=Path, nargs="+", help="measure these data folders instead")
    args = parser.parse_args()
    if args.folders:
        for folder in args.folders:
            report(folder.name, None, folder, args.sessions)
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="georisk-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        folder, import_s = make_folder(n, base)
        report(f"{n:,} synthetic ACLED rows", import_s, folder, args.sessions)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
