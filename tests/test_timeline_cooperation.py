"""Timeline lanes and monthly counts, the cooperation index, and both pages under AppTest."""

from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from georisk import cooperation, mapping, timeline
from georisk.dataset import load_dataset
from tests.conftest import DATA, open_page, shown

DATASET = load_dataset(DATA)
COLOURS = mapping.family_colours(DATASET.actors["family"])


def test_lanes_put_cooperation_first_and_size_by_significance_and_deaths():
    rows = timeline.lanes(DATASET.events, DATASET.incidents, COLOURS)
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
    fig = timeline.figure(DATASET.events, DATASET.incidents, "2015-01-01", "2016-12-31", COLOURS)
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
    fig = cooperation.small_multiples(table, {}, {})
    drawn = sum(sum(1 for v in t.y if v is not None and not np.isnan(v)) for t in fig.data if t.type == "bar")
    assert drawn == int(table.notna().sum().sum()), "a bar only where there is a value"
    na_labels = sum(len(t.x) for t in fig.data if t.type == "scatter")
    assert na_labels == int(table.isna().sum().sum()), "every missing year is marked n/a"


def test_small_multiple_titles_wrap_into_short_escaped_lines():
    table = cooperation.series(DATASET.indicators)
    names = cooperation.labels(DATASET.indicators)
    names[table.columns[0]] = "<b>Arms</b> deliveries by the partner, counted per year, all types included"
    fig = cooperation.small_multiples(table, names, {})
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == table.shape[1]
    lines = [html.unescape(line) for title in titles for line in title.split("<br>")]
    assert max(len(line) for line in lines) <= 22, "no line wider than a third of a phone screen holds"
    assert all(len(title.split("<br>")) <= 3 for title in titles)
    assert titles[0].startswith("&lt;b&gt;Arms&lt;/b&gt;") and titles[0].endswith(" …"), titles[0]


def test_weights_url_form():
    known = {"a", "b"}
    assert cooperation.parse_weights("a:2,b:0", known) == ({"a": 2.0, "b": 0.0}, [])
    weights, notices = cooperation.parse_weights("a:99,zz:1,b:x", known)
    assert weights == {} and notices == [
        "Ignored 3 index weights that are not indicator:weight with a weight 0-3; "
        "the first 3: 'a:99', 'zz:1', 'b:x'."
    ]
    assert cooperation.weights_to_text({"a": 2.0, "b": 1.0}, {"a": 1.0, "b": 1.0}) == "a:2"


def run(app_env, page, **params) -> AppTest:
    app_env(DATA)
    return open_page(page, **params)


def test_timeline_page_obeys_the_filters(app_env):
    at = run(
        app_env,
        "pages/1_Timeline.py",
        category="energy",
        **{"from": "2015-01-01"},
        to="2016-12-31",
        asof="2016-12-31",
    )
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["category"]) == {"energy"}
    assert table["date"].min() >= pd.Timestamp("2015-01-01")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not any(t.get("type") == "bar" for t in spec["data"]), "category energy: no incidents"
    at.text_input(key="timeline.search").set_value("Jamshoro").run()
    assert all("Jamshoro" in t for t in at.dataframe[0].value["title"])


def test_cooperation_page_with_seeded_weights(app_env):
    at = run(app_env, "pages/3_Cooperation.py", iw="high_level_visits:3")
    assert not at.exception
    assert at.slider(key="index.w.high_level_visits").value == 3.0
    assert any("Moving together is not cause" in w.value for w in at.warning)
    narrow = run(app_env, "pages/3_Cooperation.py", sector="trade")
    assert not narrow.exception
    spec = json.loads(narrow.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert all("trade" in t.lower() or "export" in t.lower() or "import" in t.lower() for t in titles)


def test_a_large_feed_is_drawn_month_by_month():
    rows = timeline.lanes(DATASET.events, DATASET.incidents, COLOURS, max_points=10)
    months = rows[rows["kind"] == "month"]
    assert len(months) < len(DATASET.incidents)
    assert not (rows["kind"] == "incident").any()
    counts = timeline.monthly(DATASET.incidents)
    assert len(months) == len(counts), "one marker per family and month"


def test_a_chosen_event_shows_its_details_and_links_to_its_sites_on_the_map(app_env):
    event = DATASET.events[DATASET.events["site_ids"].fillna("") != ""].iloc[0]
    at = run(app_env, "pages/1_Timeline.py")
    at.session_state["timeline.selected"] = ["event", event["event_id"]]
    at.run()
    assert not at.exception
    assert any(shown(h.value) == event["title"] for h in at.header)
    names = dict(zip(DATASET.sites["site_id"], DATASET.sites["name"], strict=True))
    links = [link.proto for link in at.get("page_link") if link.proto.label.startswith("Open ")]
    sites = [s.strip() for s in event["site_ids"].split(";") if s.strip() in names]
    assert sites, "the event names a site of the data"
    assert [shown(link.label) for link in links] == [f"Open {names[s]} on the map" for s in sites]
    assert all(
        link.page == "Map" and f"site={s}" in link.query_string for link, s in zip(links, sites, strict=True)
    )


def test_a_century_of_years_stays_readable():
    """Indicator years at the edges of their plausible window: labels at a round step, and the
    missing years as small ticks instead of overlapping words."""
    assert cooperation.year_step(range(2010, 2019)) == 1
    assert cooperation.year_step(range(1900, 2032)) == 10
    years = pd.Index(range(1900, 2032), name="year")
    table = pd.DataFrame({"a": [1.0] + [float("nan")] * 130 + [2.0]}, index=years)
    fig = cooperation.small_multiples(table, {"a": "A"}, {"a": "x"})
    assert fig.layout.xaxis.dtick == 10
    (marks,) = [t for t in fig.data if t.type == "scatter"]
    assert marks.mode == "markers" and len(marks.x) == 130
