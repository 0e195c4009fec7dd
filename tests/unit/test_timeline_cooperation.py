"""Timeline lanes and monthly counts, the cooperation index, and both pages under AppTest."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from georisk.analysis import cooperation, timeline
from georisk.charts import indicators, lanes, style
from georisk.link import parse_weights, weights_param
from tests.support import DATASET

COLOURS = style.family_colours(DATASET.actors["family"])


def test_lanes_put_cooperation_first_and_size_by_significance_and_deaths():
    rows = lanes.lanes(DATASET.events, DATASET.incidents, COLOURS)
    assert len(rows) == len(DATASET.events) + len(DATASET.incidents)
    order = timeline.lane_order(rows)
    assert order[:5] == ["Diplomatic", "Military", "Economic", "Energy", "Political"]
    assert order[5] == timeline.SECURITY_EVENTS
    busiest = DATASET.incidents["actor_family"].value_counts().index[0]
    assert order[6] == timeline.incident_lane(busiest)
    events = rows[rows["kind"] == "event"]
    assert (events["size"] == 6 + 3 * DATASET.events["significance"].astype(float).to_numpy()).all()
    aps = rows[
        rows["id"] == DATASET.incidents.sort_values("killed", na_position="first").iloc[-1]["incident_id"]
    ]
    assert aps["size"].iloc[0] == pytest.approx(6 + 3 * np.sqrt(DATASET.incidents["killed"].max()))


def test_monthly_counts_add_up_and_split_by_family():
    counts = timeline.monthly(DATASET.incidents)
    assert counts["count"].sum() == len(DATASET.incidents)
    june_2014 = counts[counts["month"] == pd.Timestamp("2014-06-01")]
    expected = DATASET.incidents[DATASET.incidents["date"].dt.strftime("%Y-%m") == "2014-06"]
    assert (
        june_2014.set_index("family")["count"].to_dict() == expected["actor_family"].value_counts().to_dict()
    )
    assert timeline.monthly(DATASET.incidents.head(0)).empty


def test_timeline_figure_has_milestones_and_the_period_range():
    fig = lanes.timeline_figure(DATASET.events, DATASET.incidents, "2015-01-01", "2016-12-31", COLOURS)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) >= len(timeline.milestones(DATASET.events))
    assert tuple(fig.layout.xaxis2.range) == (pd.Timestamp("2015-01-01"), pd.Timestamp("2016-12-31"))


def test_search_needs_every_word():
    found = timeline.search(DATASET.events, "pipeline agreement")
    assert len(found) >= 2
    assert all("pipeline" in (t + s).lower() for t, s in zip(found["title"], found["summary"], strict=True))
    assert len(timeline.search(DATASET.events, "")) == len(DATASET.events)


def test_index_by_hand():
    table = pd.DataFrame(
        {"a": [0.0, 5.0, 10.0, np.nan], "b": [np.nan, 2.0, 4.0, np.nan], "c": [np.nan, np.nan, np.nan, 7.0]},
        index=[2014, 2015, 2016, 2017],
    )
    scaled = cooperation.normalise(table)
    assert scaled["a"].tolist()[:3] == [0.0, 0.5, 1.0]
    assert scaled["b"].tolist()[1:3] == [0.0, 1.0]
    assert scaled.loc[2017, "c"] == 1.0, "a single value above zero scales to 1"
    result = cooperation.index(table, {"a": 1, "b": 1, "c": 1}).set_index("year")
    assert np.isnan(result.loc[2014, "index"]), "1 of 3 weights has data: below half"
    assert result.loc[2015, "index"] == pytest.approx(100 * (0.5 + 0.0) / 2)
    assert result.loc[2016, "index"] == pytest.approx(100.0)
    assert np.isnan(result.loc[2017, "index"]) and result.loc[2017, "coverage"] == pytest.approx(1 / 3)
    weighted = cooperation.index(table, {"a": 3, "b": 1, "c": 0}).set_index("year")
    assert weighted.loc[2015, "index"] == pytest.approx(100 * (3 * 0.5 + 0) / 4)
    assert weighted.loc[2014, "index"] == pytest.approx(0.0), "3 of 4 weights present: a real zero"


def test_missing_years_stay_missing():
    table = cooperation.series(DATASET.indicators)
    assert list(table.index) == list(range(2010, 2019))
    trade = table["bilateral_trade"]
    assert np.isnan(trade.loc[2010]) and np.isnan(trade.loc[2013])
    fig = indicators.small_multiples(table, {}, {})
    drawn = sum(sum(1 for v in t.y if v is not None and not np.isnan(v)) for t in fig.data if t.type == "bar")
    assert drawn == int(table.notna().sum().sum()), "a bar only where there is a value"
    na_labels = sum(len(t.x) for t in fig.data if t.type == "scatter")
    assert na_labels == int(table.isna().sum().sum()), "every missing year is marked n/a"


def test_small_multiple_titles_wrap_into_short_escaped_lines():
    table = cooperation.series(DATASET.indicators)
    names = cooperation.labels(DATASET.indicators)
    names[table.columns[0]] = "<b>Arms</b> deliveries by the partner, counted per year, all types included"
    fig = indicators.small_multiples(table, names, {})
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == table.shape[1]
    lines = [html.unescape(line) for title in titles for line in title.split("<br>")]
    assert max(len(line) for line in lines) <= 22, "no line wider than a third of a phone screen holds"
    assert all(len(title.split("<br>")) <= 3 for title in titles)
    assert titles[0].startswith("&lt;b&gt;Arms&lt;/b&gt;") and titles[0].endswith(" …"), titles[0]


def test_weights_url_form():
    known = {"a", "b"}
    assert parse_weights("a:2,b:0", known) == ({"a": 2.0, "b": 0.0}, [])
    weights, notices = parse_weights("a:99,zz:1,b:x", known)
    assert weights == {} and notices == [
        "Ignored 3 index weights that are not indicator:weight with a weight 0-3; "
        "the first 3: 'a:99', 'zz:1', 'b:x'."
    ]
    assert weights_param({"a": 2.0, "b": 1.0}, {"a": 1.0, "b": 1.0}) == "a:2"


def test_a_large_feed_is_drawn_month_by_month():
    rows = lanes.lanes(DATASET.events, DATASET.incidents, COLOURS, max_points=10)
    months = rows[rows["kind"] == "month"]
    assert len(months) < len(DATASET.incidents)
    assert not (rows["kind"] == "incident").any()
    counts = timeline.monthly(DATASET.incidents)
    assert len(months) == len(counts), "one marker per family and month"


def test_a_century_of_years_stays_readable():
    """Indicator years at the edges of their plausible window: labels at a round step, and the
    missing years as small ticks instead of overlapping words."""
    assert indicators.year_step(range(2010, 2019)) == 1
    assert indicators.year_step(range(1900, 2032)) == 10
    years = pd.Index(range(1900, 2032), name="year")
    table = pd.DataFrame({"a": [1.0] + [float("nan")] * 130 + [2.0]}, index=years)
    fig = indicators.small_multiples(table, {"a": "A"}, {"a": "x"})
    assert fig.layout.xaxis.dtick == 10
    (marks,) = [t for t in fig.data if t.type == "scatter"]
    assert marks.mode == "markers" and len(marks.x) == 130
