"""Freshness stamps: ages in words, stale judgement, failure notes, the curated file, the Overview's
sentence and what an export's metadata holds."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from georisk.analysis import freshness
from georisk.store.database import Freshness
from tests.support import bundled

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def at(hours: float) -> str:
    """The ISO time `hours` before NOW."""
    return (NOW - dt.timedelta(hours=hours)).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (-0.5, "just now"),  # a clock a little ahead of the store's
        (0.0, "just now"),
        (0.99 / 60, "just now"),
        (1 / 60, "1 min"),
        (0.2, "12 min"),
        (59.9 / 60, "59 min"),
        (1.0, "1 h"),
        (3.7, "3 h"),
        (47.9, "47 h"),
        (48.0, "2 days"),
        (24 * 9.9, "9 days"),
    ],
)
def test_age_words(hours, words):
    assert freshness.age_words(hours) == words


def test_a_feed_stamp_says_when_it_was_updated_and_how_far_its_events_reach():
    fresh = Freshness("acled", at(3.2), "2026-11-28", "refresh")
    stamp = freshness.feed_stamp(fresh, 48, NOW)
    assert stamp.text == "ACLED: updated 3 h ago, events to 28 Nov 2026"
    assert not stamp.stale and stamp.failure is None
    assert stamp.line() == stamp.text


def test_past_the_limit_a_stamp_is_stale_and_says_so_in_words():
    stamp = freshness.feed_stamp(Freshness("ucdp", at(72), None, "refresh"), 48, NOW)
    assert stamp.stale
    assert stamp.line() == "UCDP GED: updated 3 days ago, no events (stale: limit 48 h)"
    assert not freshness.feed_stamp(Freshness("ucdp", at(47.9), None, "refresh"), 48, NOW).stale


def test_without_a_limit_nothing_is_judged_stale():
    assert not freshness.feed_stamp(Freshness("acled", at(10_000), None, "refresh"), None, NOW).stale


def test_a_failure_after_the_last_success_is_named_with_its_reason():
    fresh = Freshness("acled", at(2), "2026-11-28", "refresh", at(1 / 3), "HTTP 503 from the service")
    stamp = freshness.feed_stamp(fresh, 1.5, NOW)
    assert stamp.failure == "last refresh failed 20 min ago: HTTP 503 from the service"
    assert stamp.line() == (
        "ACLED: updated 2 h ago, events to 28 Nov 2026 (stale: limit 1.5 h); "
        "last refresh failed 20 min ago: HTTP 503 from the service"
    )


def test_the_curated_file_is_never_stale_and_the_store_feeds_are_not_shown_with_it():
    old = [Freshness("acled", at(1_000), "2016-12-01", "import")]
    (stamp,) = freshness.stamps(old, 1, pd.Timestamp("2017-12-17"), curated=True, at=NOW)
    assert stamp.text == "curated incidents.csv: events to 17 Dec 2017"
    assert not stamp.stale and stamp.feed is None


def test_only_the_feeds_of_the_version_in_use_are_stamped():
    found = [Freshness("acled", at(1), None, "refresh"), Freshness("gtd", at(1), None, "import")]
    assert [s.feed for s in freshness.stamps(found, 48, feeds_in_use={"gtd"}, at=NOW)] == ["gtd"]
    assert [s.feed for s in freshness.stamps(found, 48, at=NOW)] == ["acled", "gtd"]


def test_the_bundled_dataset_is_stamped_by_its_latest_incident():
    dataset = bundled()
    (stamp,) = freshness.dataset_stamps(dataset, 1)
    assert stamp.last_event == dataset.incidents["date"].max().date().isoformat()
    assert not stamp.stale


def test_the_overview_sentence_names_each_stale_source_and_the_limit():
    found = freshness.stamps(
        [
            Freshness("acled", at(80), None, "refresh"),
            Freshness("gtd", at(2), None, "import"),
            Freshness("ucdp", at(50), None, "refresh"),
        ],
        48,
        at=NOW,
    )
    assert freshness.stale_sentence(found) == (
        "The risk rests on stale data: ACLED last updated 3 days ago and UCDP GED last updated "
        "2 days ago (limit 48 h)."
    )
    assert freshness.stale_sentence(found[1:2]) is None
    assert freshness.stale_sentence([]) is None


def test_an_export_gets_every_field_and_the_line():
    fresh = Freshness("acled", at(5), "2026-11-28", "refresh", at(1), "timeout")
    record = freshness.feed_stamp(fresh, 4, NOW).as_dict()
    assert record == {
        "source": "ACLED",
        "feed": "acled",
        "updated": at(5),
        "age_hours": 5.0,
        "last_event": "2026-11-28",
        "stale": True,
        "stale_after_hours": 4,
        "last_failure": at(1),
        "failure_reason": "timeout",
        "text": "ACLED: updated 5 h ago, events to 28 Nov 2026 (stale: limit 4 h); "
        "last refresh failed 1 h ago: timeout",
    }


def test_exports_and_the_briefing_carry_the_stamps(data_copy, tmp_path):
    """A store feed past its limit: the file's metadata lists it as stale, and the briefing says
    so in its headline and footer."""
    from georisk.analysis import overview
    from georisk.model import settings
    from georisk.outputs import briefing, export
    from georisk.scenario.dataset import load_dataset
    from georisk.store import location
    from georisk.view import View, choices_for
    from tests.support import imported_copy

    location.forget()
    dataset = load_dataset(imported_copy(tmp_path, data_copy))
    choices = choices_for(dataset)
    view = View.of(dataset, choices.defaults(), choices)
    meta = export.metadata(view, settings.DEFAULTS, "incidents", 2, stale_hours=0.0001)
    (record,) = meta["freshness"]
    assert (record["source"], record["stale"], record["last_event"]) == ("ACLED", True, "2016-12-15")
    html = briefing.build(overview.summarise(view, settings.DEFAULTS), stale_hours=0.0001).html
    assert "The risk rests on stale data: ACLED last updated" in html
    assert "<b>Freshness:</b> ACLED: updated" in html and "(stale: limit 0.0001 h)" in html
    assert (
        export.metadata(view, settings.DEFAULTS, "incidents", 2, stale_hours=48)["freshness"][0]["stale"]
        is False
    )
    location.forget()
