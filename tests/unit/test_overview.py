"""The overview's logic (headline, trend, what changed) and the page under AppTest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from georisk.analysis import overview
from georisk.model import context, ratings, settings
from tests.support import bundled


@pytest.mark.parametrize(
    "current,previous,word",
    [
        (10, 10, "stable"),
        (1090, 1000, "stable"),
        (1100, 1000, "increase"),
        (1250, 1000, "sharp increase"),
        (900, 1000, "decrease"),
        (700, 1000, "sharp decrease"),
        (25, 0, "new activity"),
        (1, 2, "too few incidents to call a trend"),
        (5, 3, "too few incidents to call a trend"),  # not "sharp increase (+67 %)"
        (13, 10, "no clear change"),  # +30 %, but chance alone often gives that much with so few
        (125, 100, "no clear change"),
        (140, 100, "sharp increase"),
    ],
)
def test_trend_words_follow_the_10_and_25_percent_thresholds_with_enough_events(current, previous, word):
    assert overview.trend_words(current, previous)[0] == word


def test_window_counts_split_the_two_quarters():
    asof = pd.Timestamp("2016-12-15")
    # 90 days before 2016-12-15 is 2016-09-16; 90 days before that, 2016-06-18.
    dates = pd.Series(
        pd.to_datetime(["2016-12-15", "2016-09-17", "2016-09-16", "2016-06-19", "2016-06-18", "2016-12-16"])
    )
    near = np.array([True, True, True, True, True, True])
    assert overview.window_counts(dates, near, asof) == (2, 2), "later than the as-of date never counts"
    assert overview.window_counts(dates, ~near, asof) == (0, 0)


def scores_frame(bands: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": list(bands),
            "name": [s.upper() for s in bands],
            "band": list(bands.values()),
            "band_rank": [settings.BANDS.index(b) for b in bands.values()],
            "reason": ["r"] * len(bands),
        }
    )


def test_headline_takes_the_worst_site_and_says_the_movement():
    now = scores_frame({"a": "High", "b": "Low"})
    before = scores_frame({"a": "Medium", "b": "Low"})
    head = overview.headline(now, before, (140, 100))
    assert (head.band, head.previous_band, head.movement) == ("High", "Medium", "up")
    assert head.sentence() == "Portfolio risk is High. Up from Medium 90 days earlier. Most exposed: A."
    assert head.trend_sentence().startswith("Trend: sharp increase, +40 %")
    assert overview.headline(now.iloc[0:0], before, (0, 0)).sentence().startswith("No site in view")
    moved = overview.band_changes(before, now)
    assert list(moved["name"]) == ["A"] and list(moved["change"]) == ["up"]


def test_highest_threat_province_on_the_bundled_data():

    ctx = context.context_of(bundled())
    provinces, level = ratings.highest(ctx.province_threats(pd.Timestamp("2016-12-15"), "analysts"))
    assert provinces == ["Balochistan"] and level == 5
    assert ratings.highest(ctx.province_threats(pd.Timestamp("2010-01-01"), "analysts")) == ([], None)
