"""What any viewer can make the server do is bounded (issue 14, §5): the token bucket, the
printer's slot, the PDF cache, the summary cache's per-session quota and rate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time

import pytest

from georisk import limits
from georisk.app import cache as app_cache
from georisk.app import page
from georisk.model import settings
from georisk.outputs import printing
from tests.conftest import DATA


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the token bucket ---------------------------------------------------------------------------


def test_rate_limit_grants_a_burst_then_one_per_interval():
    clock = Clock()
    rate = limits.RateLimit(per_minute=6, burst=3, clock=clock)  # one every 10 s
    assert [rate.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert rate.take("a") == pytest.approx(10.0)
    assert rate.wait("a") == pytest.approx(10.0)
    clock.now += 4
    assert rate.take("a") == pytest.approx(6.0), "a refused request uses nothing"
    clock.now += 6
    assert rate.take("a") == 0.0
    assert rate.take("a") == pytest.approx(10.0)
    clock.now += 3600
    assert [rate.take("a") for _ in range(4)][-1] > 0, "an idle hour refills to the burst, no more"


def test_rate_limit_keeps_each_session_apart_and_wait_uses_nothing():
    clock = Clock()
    rate = limits.RateLimit(per_minute=1, burst=1, clock=clock)
    assert rate.wait("a") == 0.0 and rate.wait("a") == 0.0
    assert rate.take("a") == 0.0
    assert rate.take("a") > 0
    assert rate.take("b") == 0.0, "another session has its own allowance"


def test_rate_limit_table_stays_bounded():
    rate = limits.RateLimit(per_minute=1, burst=1, keys_kept=10)
    for key in range(100):
        rate.take(key)
    assert len(rate._buckets) == 10
    assert rate.take(99) > 0, "the most recent sessions are kept"


# --- the printer's slot ---------------------------------------------------------------------------


def test_a_busy_slot_refuses_after_its_timeout_and_is_released_after_use():
    slots = limits.Slots(1, timeout=0.3, busy="busy, try again")
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with slots.held():
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(10)
    started = time.monotonic()
    with pytest.raises(limits.Refused, match="busy, try again"):
        with slots.held():
            pass
    assert 0.25 < time.monotonic() - started < 5
    leave.set()
    holder.join()
    with pytest.raises(ValueError):  # an error inside still frees the slot
        with slots.held():
            raise ValueError
    with slots.held():
        pass


def test_lru_cache_drops_the_least_recently_used():
    cache = limits.LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


# --- the PDF briefing ---------------------------------------------------------------------------


@pytest.fixture
def printer(monkeypatch):
    """A fresh cache and slot, and a fake Chromium that counts its prints."""
    prints: list[str] = []

    def fake_print(html: str) -> bytes:
        prints.append(html)
        time.sleep(0.2)
        return f"%PDF {html}".encode()

    monkeypatch.setattr(printing, "_print_bytes", fake_print)
    monkeypatch.setattr(printing, "_printed", limits.LruCache(printing.PDFS_KEPT))
    monkeypatch.setattr(printing, "_printer", limits.Slots(1, 5.0, printing.PRINTER_BUSY))
    return prints


def test_the_same_view_is_printed_once(printer):
    assert printing.printed("<p>view one</p>") == b"%PDF <p>view one</p>"
    assert printing.printed("<p>view one</p>") == b"%PDF <p>view one</p>"
    assert printing.printed("<p>view two</p>") == b"%PDF <p>view two</p>"
    assert printer == ["<p>view one</p>", "<p>view two</p>"]


def test_requests_for_one_view_at_once_start_one_print(printer):
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(printing.printed("<p>same</p>"))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [b"%PDF <p>same</p>"] * 4
    assert printer == ["<p>same</p>"], "those who waited found it printed"


def test_one_print_at_a_time_and_a_long_wait_is_refused(printer, monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()

    def slow_print(html: str) -> bytes:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.5)
        with lock:
            running -= 1
        return b"%PDF"

    monkeypatch.setattr(printing, "_print_bytes", slow_print)
    monkeypatch.setattr(printing, "_printer", limits.Slots(1, 0.2, printing.PRINTER_BUSY))
    outcomes: list[str] = []

    def ask(index: int) -> None:
        try:
            printing.printed(f"<p>view {index}</p>")
            outcomes.append("printed")
        except limits.Refused as err:
            outcomes.append(str(err))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert outcomes.count("printed") == 1
    assert outcomes.count(printing.PRINTER_BUSY) == 2
    assert "busy" in printing.PRINTER_BUSY and "try again" in printing.PRINTER_BUSY


def test_a_session_over_its_briefing_rate_is_refused_with_when_to_retry(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(
        printing, "_asked", limits.RateLimit(printing.BRIEFINGS_PER_MINUTE, printing.BRIEFINGS_BURST, clock)
    )
    for _ in range(printing.BRIEFINGS_BURST):
        printing.allow("hostile")
    interval = 60 / printing.BRIEFINGS_PER_MINUTE
    with pytest.raises(limits.Refused, match=rf"[Tt]he next one in about {interval:.0f} s") as refusal:
        printing.allow("hostile")
    assert printing.next_allowed("hostile") == pytest.approx(interval)
    printing.allow("someone else")
    printing.refused("hostile", refusal.value)
    assert f"at most {printing.BRIEFINGS_PER_MINUTE} a minute" in printing.last_refusal("hostile")
    assert printing.last_refusal("someone else") is None
    clock.now += interval
    printing.allow("hostile")


# --- the shared summary cache ----------------------------------------------------------------------


def test_a_session_holds_at_most_its_quota_and_evicts_its_own_first():
    cache = limits.QuotaCache(capacity=6, per_owner=2)
    cache.put("a1", 1, "alice")
    cache.put("b1", 1, "bob")
    for index in range(10):
        cache.put(f"h{index}", index, "hostile")
    assert cache.owners() == {"alice": 1, "bob": 1, "hostile": 2}
    assert "a1" in cache and "b1" in cache
    assert "h9" in cache and "h8" in cache and "h7" not in cache


def test_a_view_used_by_two_sessions_is_shared_and_outlives_private_ones():
    cache = limits.QuotaCache(capacity=3, per_owner=3)
    cache.put("link", "popular", "alice")
    assert cache.get("link", "bob") == "popular"
    assert cache.owners() == {None: 1}
    for index in range(5):  # more private entries than the cache holds
        cache.put(f"p{index}", index, f"viewer {index}")
    assert cache.get("link", "carol") == "popular"
    assert len(cache) == 3


@pytest.fixture
def base(monkeypatch):
    """The app's process-wide data with a counting stand-in for the summary's computation."""
    made: list[tuple] = []

    def fake_summarise(view, model, since):
        made.append((view, model))
        return object()

    monkeypatch.setattr(app_cache.overview, "summarise", fake_summarise)
    data = app_cache.Loaded(DATA)
    return data, made


class FakeView:
    def __init__(self, name: str) -> None:
        self.filters = name


def test_a_viewer_cycling_settings_keeps_the_others_summaries(base):
    data, made = base
    data._new_summaries = limits.RateLimit(per_minute=10**9, burst=1000)  # not the point here
    since = dt.date(2016, 9, 15)
    others = [data.summary(FakeView(f"view {i}"), settings.DEFAULTS, since, f"viewer {i}") for i in range(10)]
    for index in range(3 * app_cache.Loaded.SUMMARIES_KEPT):  # new settings, more than the cache holds
        model = dataclasses.replace(settings.DEFAULTS, radius_km=5.0 + index)
        data.summary(FakeView("view 0"), model, since, "hostile")
    count = len(made)
    for i in range(10):
        again = data.summary(FakeView(f"view {i}"), settings.DEFAULTS, since, f"viewer {i}")
        assert again is others[i]
    assert len(made) == count, "the other viewers' summaries were still cached"
    assert data._summaries.owners()["hostile"] == app_cache.Loaded.SUMMARIES_PER_SESSION


def test_a_session_over_its_rate_of_new_summaries_waits_alone(base, monkeypatch):
    data, made = base
    clock = Clock()
    data._new_summaries = limits.RateLimit(per_minute=60, burst=2, clock=clock)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(app_cache.time, "sleep", sleep)
    told: list[float] = []
    since = dt.date(2016, 9, 15)
    for radius in (10.0, 20.0, 30.0, 40.0):
        model = dataclasses.replace(settings.DEFAULTS, radius_km=radius)
        data.summary(FakeView("v"), model, since, "hostile", on_wait=told.append)
    assert slept == pytest.approx([1.0, 1.0]) and told == slept
    data.summary(FakeView("v"), settings.DEFAULTS, since, "someone else", on_wait=told.append)
    assert len(slept) == 2, "another session does not wait"
    model = dataclasses.replace(settings.DEFAULTS, radius_km=10.0)
    data.summary(FakeView("v"), model, since, "hostile", on_wait=told.append)
    assert len(slept) == 2, "a cached summary costs no allowance"
    assert len(made) == 5


def test_a_session_running_pages_in_a_loop_waits_in_its_own_thread(monkeypatch):
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    monkeypatch.setattr(page, "RUNS", limits.RateLimit(per_minute=30, burst=2, clock=clock))
    monkeypatch.setattr(app_cache.time, "sleep", sleep)
    monkeypatch.setattr(page, "session_id", lambda: "looping")
    for _ in range(4):
        page.pace_runs()
    assert slept == [pytest.approx(2.0), pytest.approx(2.0)], "two runs at once, then one every 2 s"
    monkeypatch.setattr(page, "session_id", lambda: "another viewer")
    page.pace_runs()
    assert len(slept) == 2, "another session has its own allowance"
