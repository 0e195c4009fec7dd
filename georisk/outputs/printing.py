"""georisk.outputs.printing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from georisk import limits

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


# ---------------------------------------------------------------------------------------------
# PDF


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class PdfError(RuntimeError):
    pass


def pdf(html: str, out: Path, chromium: str | None = None, timeout: float = 120.0) -> tuple[Path, float]:
    """Print the briefing to `out` with headless Chromium; returns the path and the seconds it took.

    Chromium runs at a lower CPU priority (`nice`), so that a print does not slow the app's own
    runs, and in a process group of its own, so that a print that takes longer than `timeout`
    is stopped with all of Chromium's helper processes. A process group, not a new session:
    Linux's autogroup scheduling gives each session an equal share of the CPU whatever its
    niceness, so a new session would undo the `nice`."""
    chromium = chromium or find_chromium()
    if not chromium:
        raise PdfError(
            "No Chromium or Chrome found: install it (Debian: apt-get install chromium) to make PDFs; "
            "the HTML briefing needs nothing."
        )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "briefing.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "briefing.pdf"
        nice = shutil.which("nice")
        command = [
            *([nice, "-n", str(CHROMIUM_NICENESS)] if nice else []),
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            "--virtual-time-budget=10000",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, process_group=0
        ) as process:
            try:
                _, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                raise PdfError(f"Chromium took more than {timeout:g} s to print the briefing.") from None
        if not target.exists():
            raise PdfError(f"Chromium did not write the PDF (exit {process.returncode}): {stderr[-500:]}")
        Path(out).write_bytes(target.read_bytes())
    return Path(out), time.perf_counter() - start


# The app prints for every viewer of the process (DESIGN.md §8: about one core per process):
# the same view is printed once (the last PDFS_KEPT PDFs, by the hash of their HTML, which
# includes the minute it was made), one Chromium runs at a time, and a request that waits
# PRINTER_WAIT seconds for it is refused rather than queued without limit. A print takes 2-4 s
# here (a briefing is ~150 kB).
PDFS_KEPT = 32
PRINTERS = 1
PRINTER_WAIT = 10.0
PRINT_TIMEOUT = 60.0
CHROMIUM_NICENESS = 10
PRINTER_BUSY = "The briefing printer is busy: try again in a moment."
_printed = limits.LruCache(PDFS_KEPT)
_printer = limits.Slots(PRINTERS, PRINTER_WAIT, PRINTER_BUSY)


# Briefings (HTML or PDF: each is built in this process, ~0.2 s and 5 MB of HTML) one session
# may ask for: a few at once (a PDF and an HTML of a view, and one more), then
# BRIEFINGS_PER_MINUTE; more is refused with when to retry. benchmarks/load.py --hostile: at
# 4 a minute a viewer asking in a loop still slowed the others' runs 2x; at 2, see there.
BRIEFINGS_PER_MINUTE = 2
BRIEFINGS_BURST = 3
_asked = limits.RateLimit(BRIEFINGS_PER_MINUTE, BRIEFINGS_BURST)
# The last refusal of each session, to say on its page why its download did not come.
_refusals = limits.LruCache(1_000)


def allow(session: str) -> None:
    """Count one briefing for `session`, or refuse it (limits.Refused) when it is over its rate."""
    wait = _asked.take(session)
    if wait:
        raise limits.Refused(
            f"Briefing not made: at most {BRIEFINGS_PER_MINUTE} a minute per viewer "
            f"(after {BRIEFINGS_BURST} at once). The next one in {limits.retry_text(wait)}."
        )


def next_allowed(session: str) -> float:
    """Seconds before `session` may ask for its next briefing (0: now)."""
    return _asked.wait(session)


def refused(session: str, err: limits.Refused) -> None:
    _refusals.put(session, (time.monotonic(), str(err)))


def last_refusal(session: str, within: float = 60.0) -> str | None:
    """Why the session's latest briefing was refused, if that was in the last `within` seconds."""
    noted = _refusals.get(session)
    return noted[1] if noted and time.monotonic() - noted[0] < within else None


def _print_bytes(html: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = pdf(html, Path(tmp) / "briefing.pdf", timeout=PRINT_TIMEOUT)
        return path.read_bytes()


def printed(html: str) -> bytes:
    """The PDF of a briefing, for the app: from the cache when this HTML was printed before,
    else printed when the printer is free within PRINTER_WAIT seconds (else limits.Refused)."""
    key = hashlib.sha256(html.encode("utf-8")).hexdigest()
    made = _printed.get(key)
    if made is None:
        with _printer.held():
            # Someone may have printed the same view while this request waited.
            made = _printed.get(key)
            if made is None:
                made = _print_bytes(html)
                _printed.put(key, made)
    return made
