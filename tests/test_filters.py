"""The shared filter: how it narrows each table, and its URL form."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from georisk import filters as flt
from georisk.dataset import load_dataset
from tests.conftest import DATA

TABLES = ("events", "incidents", "sites", "indicators")


@cache
def dataset():
    return load_dataset(DATA)


@cache
def choices() -> flt.Choices:
    return flt.choices_for(dataset())


def table(name: str):
    return getattr(dataset(), name)


def subsets(values):
    return st.lists(st.sampled_from(values), unique=True, max_size=3).map(
        lambda chosen: tuple(v for v in values if v in chosen)
    )


@st.composite
def valid_filters(draw) -> flt.Filters:
    """Any filter the sidebar can produce: from <= to <= as-of, inside the data's dates."""
    c = choices()
    dates = st.dates(min_value=c.first_date, max_value=c.last_date)
    a, b, asof = sorted([draw(dates), draw(dates), draw(dates)])
    return flt.Filters(
        sectors=draw(subsets(c.sectors)),
        regions=draw(subsets(c.regions)),
        actors=draw(subsets(c.actors)),
        categories=draw(subsets(c.categories)),
        start=a,
        end=b,
        asof=asof,
    )


@settings(max_examples=60, deadline=None)
@given(valid_filters(), st.sampled_from(TABLES))
def test_a_filter_never_adds_rows(filters, name):
    frame = table(name)
    kept = flt.apply(frame, name, filters)
    assert len(kept) <= len(frame)
    assert set(kept.index) <= set(frame.index)


@settings(max_examples=40, deadline=None)
@given(valid_filters(), valid_filters(), st.sampled_from(TABLES))
def test_narrowing_a_filter_never_adds_rows(wide, extra, name):
    """Adding a constraint (intersecting choices) keeps a subset of what the wider filter kept."""
    narrow = flt.Filters(
        sectors=wide.sectors or extra.sectors,
        regions=wide.regions or extra.regions,
        actors=wide.actors or extra.actors,
        categories=wide.categories or extra.categories,
        start=wide.start,
        end=wide.end,
        asof=wide.asof,
    )
    frame = table(name)
    assert set(flt.apply(frame, name, narrow).index) <= set(flt.apply(frame, name, wide).index)


@pytest.mark.parametrize("name", TABLES)
def test_empty_filter_and_defaults_keep_everything(name):
    frame = table(name)
    assert len(flt.apply(frame, name, flt.Filters())) == len(frame)
    assert len(flt.apply(frame, name, choices().defaults())) == len(frame)


@settings(max_examples=100, deadline=None)
@given(valid_filters())
def test_url_round_trip(filters):
    params = flt.to_params(filters, choices())
    parsed = flt.from_params(params, choices())
    assert parsed.notices == []
    assert parsed.filters == filters


def test_each_dimension_narrows_the_tables_that_have_it():
    events, incidents, sites = dataset().events, dataset().incidents, dataset().sites
    energy = flt.Filters(sectors=("energy",))
    assert set(flt.apply(events, "events", energy)["sector"]) == {"energy"}
    assert len(flt.apply(incidents, "incidents", energy)) == len(incidents), "incidents have no sector"
    assert all("energy" == s for s in flt.apply(sites, "sites", energy)["sector"])

    punjab = flt.apply(sites, "sites", flt.Filters(regions=("Punjab",)))
    assert set(punjab["site_id"]) == {"nsgp", "muzaffargarh-tps"}, "a pipeline crossing Punjab is in Punjab"

    diplomatic = flt.Filters(categories=("diplomatic",))
    assert flt.apply(incidents, "incidents", diplomatic).empty, "incidents are security events"
    security = flt.Filters(categories=("security",))
    assert len(flt.apply(incidents, "incidents", security)) == len(incidents)

    isk = flt.apply(incidents, "incidents", flt.Filters(actors=("IS-Khorasan",)))
    assert not isk.empty and set(isk["actor_family"]) == {"IS-Khorasan"}


def test_asof_is_now_nothing_later_is_shown():
    asof = dt.date(2016, 12, 15)
    filters = flt.Filters(start=dt.date(2014, 1, 1), end=dt.date(2018, 12, 31), asof=asof)
    assert flt.apply(dataset().events, "events", filters)["date"].max() <= dt.datetime(2016, 12, 15)
    sites = flt.apply(dataset().sites, "sites", filters)
    assert "jamshoro-ccpp" in set(sites["site_id"])  # talks opened in October 2016
    earlier = flt.apply(dataset().sites, "sites", flt.Filters(asof=dt.date(2015, 1, 1)))
    assert "nsgp" not in set(earlier["site_id"]), "the pipeline was agreed in October 2015"
    indicators = flt.apply(dataset().indicators, "indicators", filters)
    assert indicators["year"].max() == 2016


def test_bad_parameters_give_notices_and_defaults():
    c = choices()
    defaults = c.defaults()
    huge = "x" * 100_000
    parsed = flt.from_params(
        {"sector": ["energy", "sports", huge], "from": "yesterday", "to": ["2016-01-01", "2016-02-01"]}, c
    )
    assert parsed.filters == flt.Filters(
        sectors=("energy",), start=defaults.start, end=defaults.end, asof=defaults.asof
    )
    text = " ".join(parsed.notices)
    assert "2 values of sector that are not a known sector" in text and "'sports'" in text
    assert "…" in text and len(text) < 1000, "a huge value is cut short in the notice"
    assert "from='yesterday'" in text
    assert "repeated to" in text

    backwards = flt.from_params({"from": "2016-06-01", "to": "2015-01-01"}, c)
    assert (backwards.filters.start, backwards.filters.end) == (defaults.start, defaults.end)
    assert "starts after it ends" in backwards.notices[0]

    outside = flt.from_params({"asof": "1900-01-01"}, c)
    assert outside.filters.asof == defaults.asof and "outside the data's dates" in outside.notices[0]

    past_asof = flt.from_params({"to": "2017-06-01", "asof": "2016-12-15"}, c)
    assert past_asof.filters.end == dt.date(2016, 12, 15)
    assert "ends at the as-of date" in past_asof.notices[0]


def test_many_unknown_values_share_one_capped_notice():
    regions = [f"Region {n}" for n in range(1000)]
    parsed = flt.from_params({"region": [*regions, *regions, "Sindh"]}, choices())
    assert parsed.filters.regions == ("Sindh",)
    assert parsed.notices == [
        "Ignored 1,000 values of region that are not a known region; the first 5: "
        "'Region 0', 'Region 1', 'Region 2', 'Region 3', 'Region 4'."
    ]


def test_presets_end_at_the_asof_date():
    c = choices()
    asof = dt.date(2016, 12, 15)
    assert flt.preset_period("last 90 days", asof, c) == (dt.date(2016, 9, 16), asof)
    assert flt.preset_period("last year", asof, c) == (dt.date(2015, 12, 16), asof)
    assert flt.preset_period("everything", asof, c) == (c.first_date, asof)


def test_clamp_keeps_dates_in_order_and_inside_the_data():
    c = choices()
    d = dt.date
    clamped = flt.clamp(flt.Filters(start=d(2017, 1, 1), end=d(2016, 1, 1), asof=d(2016, 6, 1)), c)
    assert (clamped.start, clamped.end, clamped.asof) == (d(2016, 6, 1), d(2016, 6, 1), d(2016, 6, 1))
    cleared = flt.clamp(flt.Filters(sectors=("energy",)), c)
    assert cleared == flt.Filters(sectors=("energy",), start=c.first_date, end=c.last_date, asof=c.last_date)
    moved_from = flt.clamp(flt.Filters(start=d(2016, 3, 1), end=d(2016, 2, 1), asof=d(2016, 12, 15)), c)
    assert (moved_from.start, moved_from.end) == (d(2016, 3, 1), d(2016, 3, 1)), "'to' follows 'from'"


@settings(max_examples=60, deadline=None)
@given(valid_filters())
def test_clamp_leaves_a_consistent_filter_alone(filters):
    assert flt.clamp(filters, choices()) == filters


@pytest.mark.parametrize(
    "first,last",
    [
        (dt.date(1, 1, 1), dt.date(1, 2, 1)),
        (dt.date(9999, 11, 1), dt.date(9999, 12, 31)),
        (dt.date(2016, 12, 31), dt.date(2016, 12, 31)),
    ],
)
def test_date_controls_survive_the_edges_of_the_calendar(first, last):
    c = replace(choices(), first_date=first, last_date=last)
    labels = flt.quarters(c)
    assert labels[0] == flt.quarter_of(first) and labels[-1] == flt.quarter_of(last)
    assert [flt.quarter_end(label, c) for label in labels][-1] == last
    for preset in flt.PRESETS:
        start, end = flt.preset_period(preset, last, c)
        assert first <= start <= end == last
    assert flt.clamp(flt.Filters(), c) == flt.Filters(start=first, end=last, asof=last)
