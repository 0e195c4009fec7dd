"""Many viewers at once on one server, over real websocket sessions (tests/sessions.py). The short
form of benchmarks/load.py: 30 viewers for 20 seconds instead of two minutes, no timings asserted."""

from __future__ import annotations

import asyncio
import re
import urllib.request

import pytest

from georisk.outputs import printing
from tests.browser.conftest import running_app
from tests.sessions import Tally, Viewer, check, crowd, drive

VIEWERS = 30


@pytest.fixture(scope="module")
def app():
    with running_app() as base:
        yield base


def active_sessions(base: str) -> int:
    text = urllib.request.urlopen(f"{base}/_stcore/metrics", timeout=10).read().decode()
    return int(float(re.search(r"^active_sessions ([0-9.]+)$", text, flags=re.MULTILINE).group(1)))


def test_thirty_viewers_changing_filters_see_only_their_own_view(app):
    async def scenario() -> tuple[Tally, int]:
        people = [Viewer(app) for _ in range(VIEWERS)]

        async def peak() -> int:
            await asyncio.sleep(12)
            return await asyncio.to_thread(active_sessions, app)

        tally, during = await asyncio.gather(crowd(people, seconds=20, pause=5.0), peak())
        return tally, during

    tally, during = drive(scenario())
    assert not tally.problems, tally.problems[:10]
    assert during >= VIEWERS  # they were all connected at once
    changes = len(tally.runs) - VIEWERS  # each viewer's first run opens the page
    assert changes >= VIEWERS, f"only {changes} filter changes in 30 s"


def test_a_viewer_who_clears_the_caches_keeps_a_working_view(app):
    """Streamlit's clear-cache message (any viewer can send it) also wipes that session's state;
    the widget callbacks that run first must not fail, and the view comes back from the URL."""

    async def scenario() -> tuple[Tally, list]:
        tally, viewer = Tally(), Viewer(app)
        check(await viewer.open("sector=energy&asof=2016-12-15"), {"sector": ["energy"]}, "opened", tally)
        await viewer.clear_caches()
        # A widget change sent right after the clear: its callback finds no state.
        changed = await viewer.set_filters({"filter.sector": ["industry"]})
        check(changed, {}, "change after the clear", tally)
        await viewer.clear_caches()
        check(await viewer.rerun(), {"sector": ["energy"], "asof": ["2016-12-15"]}, "rerun", tally)
        await viewer.close()
        return tally, changed.exceptions

    tally, exceptions = drive(scenario())
    assert not exceptions
    assert not tally.problems, tally.problems


def test_a_hostile_viewer_is_held_to_its_limits_and_the_others_see_no_error(app):
    """The short form of `benchmarks/load.py --hostile`: one viewer moving the model's sliders,
    asking for PDFs and clearing the caches as fast as the server answers, beside two ordinary
    viewers. No timings asserted: the page must disable the PDF button once the viewer is over
    its rate, the server must refuse what it asks beyond it, and nobody sees an exception."""
    from benchmarks.load import hostile

    seconds = 15

    async def scenario():
        return await asyncio.gather(
            crowd([Viewer(app), Viewer(app)], seconds, pause=2.0), hostile(Viewer(app), seconds)
        )

    tally, done = drive(scenario())
    assert not tally.problems, tally.problems[:10]
    assert not done.runs.problems, done.runs.problems[:10]
    assert done.cache_clears > 0
    assert done.pdf_button_disabled > 0, "the page showed the PDF limit"
    allowed = printing.BRIEFINGS_BURST + printing.BRIEFINGS_PER_MINUTE * (seconds + 10) / 60
    assert done.pdfs_made <= allowed < done.pdfs_asked
    assert done.pdfs_refused, "asking with an old file id beyond the limit is refused"
