"""The shared filter: how it narrows each table, and its URL form."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from georisk.link import filter_params, filters_from_params
from georisk.view import (
    PRESETS,
    Filters,
    View,
    clamp_filters,
    filtered,
    preset_period,
    quarter_end,
    quarter_labels,
    quarter_of,
)
from tests.conftest import DATA
from tests.support import bundled, choices, valid_filters

TABLES = ("events", "incidents", "sites", "indicators")


def table(name: str):
    return getattr(bundled(), name)


@settings(max_examples=40, deadline=None)
@given(valid_filters(), valid_filters(), st.sampled_from(TABLES))
def test_narrowing_a_filter_never_adds_rows(wide, extra, name):
    """Adding a constraint (intersecting choices) keeps a subset of what the wider filter kept."""
    narrow = Filters(
        sectors=wide.sectors or extra.sectors,
        regions=wide.regions or extra.regions,
        actors=wide.actors or extra.actors,
        categories=wide.categories or extra.categories,
        start=wide.start,
        end=wide.end,
        asof=wide.asof,
    )
    frame = table(name)
    assert set(filtered(frame, name, narrow).index) <= set(filtered(frame, name, wide).index)


@pytest.mark.parametrize("name", TABLES)
def test_empty_filter_and_defaults_keep_everything(name):
    frame = table(name)
    assert len(filtered(frame, name, Filters())) == len(frame)
    assert len(filtered(frame, name, choices().defaults())) == len(frame)


@settings(max_examples=100, deadline=None)
@given(valid_filters())
def test_url_round_trip(filters):
    params = filter_params(filters, choices())
    parsed = filters_from_params(params, choices())
    assert parsed.notices == []
    assert parsed.filters == filters


def test_each_dimension_narrows_the_tables_that_have_it():
    events, incidents, sites = bundled().events, bundled().incidents, bundled().sites
    energy = Filters(sectors=("energy",))
    assert set(filtered(events, "events", energy)["sector"]) == {"energy"}
    assert len(filtered(incidents, "incidents", energy)) == len(incidents), "incidents have no sector"
    assert all("energy" == s for s in filtered(sites, "sites", energy)["sector"])

    punjab = filtered(sites, "sites", Filters(regions=("Punjab",)))
    assert set(punjab["site_id"]) == {"nsgp", "muzaffargarh-tps"}, "a pipeline crossing Punjab is in Punjab"

    diplomatic = Filters(categories=("diplomatic",))
    assert filtered(incidents, "incidents", diplomatic).empty, "incidents are security events"
    security = Filters(categories=("security",))
    assert len(filtered(incidents, "incidents", security)) == len(incidents)

    isk = filtered(incidents, "incidents", Filters(actors=("IS-Khorasan",)))
    assert not isk.empty and set(isk["actor_family"]) == {"IS-Khorasan"}


def test_asof_is_now_nothing_later_is_shown():
    asof = dt.date(2016, 12, 15)
    filters = Filters(start=dt.date(2014, 1, 1), end=dt.date(2018, 12, 31), asof=asof)
    assert filtered(bundled().events, "events", filters)["date"].max() <= dt.datetime(2016, 12, 15)
    sites = filtered(bundled().sites, "sites", filters)
    assert "jamshoro-ccpp" in set(sites["site_id"])  # talks opened in October 2016
    earlier = filtered(bundled().sites, "sites", Filters(asof=dt.date(2015, 1, 1)))
    assert "nsgp" not in set(earlier["site_id"]), "the pipeline was agreed in October 2015"
    indicators = filtered(bundled().indicators, "indicators", filters)
    assert indicators["year"].max() == 2016


def test_bad_parameters_give_notices_and_defaults():
    c = choices()
    defaults = c.defaults()
    huge = "x" * 100_000
    parsed = filters_from_params(
        {"sector": ["energy", "sports", huge], "from": "yesterday", "to": ["2016-01-01", "2016-02-01"]}, c
    )
    assert parsed.filters == Filters(
        sectors=("energy",), start=defaults.start, end=defaults.end, asof=defaults.asof
    )
    text = " ".join(parsed.notices)
    assert "2 values of sector that are not a known sector" in text and "'sports'" in text
    assert "…" in text and len(text) < 1000, "a huge value is cut short in the notice"
    assert "from='yesterday'" in text
    assert "repeated to" in text

    backwards = filters_from_params({"from": "2016-06-01", "to": "2015-01-01"}, c)
    assert (backwards.filters.start, backwards.filters.end) == (defaults.start, defaults.end)
    assert "starts after it ends" in backwards.notices[0]

    outside = filters_from_params({"asof": "1900-01-01"}, c)
    assert outside.filters.asof == defaults.asof and "outside the data's dates" in outside.notices[0]

    past_asof = filters_from_params({"to": "2017-06-01", "asof": "2016-12-15"}, c)
    assert past_asof.filters.end == dt.date(2016, 12, 15)
    assert "ends at the as-of date" in past_asof.notices[0]


def test_many_unknown_values_share_one_capped_notice():
    regions = [f"Region {n}" for n in range(1000)]
    parsed = filters_from_params({"region": [*regions, *regions, "Sindh"]}, choices())
    assert parsed.filters.regions == ("Sindh",)
    assert parsed.notices == [
        "Ignored 1,000 values of region that are not a known region; the first 5: "
        "'Region 0', 'Region 1', 'Region 2', 'Region 3', 'Region 4'."
    ]


def test_presets_end_at_the_asof_date():
    c = choices()
    asof = dt.date(2016, 12, 15)
    assert preset_period("last 90 days", asof, c) == (dt.date(2016, 9, 16), asof)
    assert preset_period("last year", asof, c) == (dt.date(2015, 12, 16), asof)
    assert preset_period("everything", asof, c) == (c.first_date, asof)


def test_clamp_keeps_dates_in_order_and_inside_the_data():
    c = choices()
    d = dt.date
    clamped = clamp_filters(Filters(start=d(2017, 1, 1), end=d(2016, 1, 1), asof=d(2016, 6, 1)), c)
    assert (clamped.start, clamped.end, clamped.asof) == (d(2016, 6, 1), d(2016, 6, 1), d(2016, 6, 1))
    cleared = clamp_filters(Filters(sectors=("energy",)), c)
    assert cleared == Filters(sectors=("energy",), start=c.first_date, end=c.last_date, asof=c.last_date)
    moved_from = clamp_filters(Filters(start=d(2016, 3, 1), end=d(2016, 2, 1), asof=d(2016, 12, 15)), c)
    assert (moved_from.start, moved_from.end) == (d(2016, 3, 1), d(2016, 3, 1)), "'to' follows 'from'"


@settings(max_examples=60, deadline=None)
@given(valid_filters())
def test_clamp_leaves_a_consistent_filter_alone(filters):
    assert clamp_filters(filters, choices()) == filters


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
    labels = quarter_labels(c)
    assert labels[0] == quarter_of(first) and labels[-1] == quarter_of(last)
    assert [quarter_end(label, c) for label in labels][-1] == last
    for preset in PRESETS:
        start, end = preset_period(preset, last, c)
        assert first <= start <= end == last
    assert clamp_filters(Filters(), c) == Filters(start=first, end=last, asof=last)


def test_a_view_keeps_no_copy_of_its_incidents():
    """Download and briefing callbacks hold a view for a whole session: a narrowed view's rows
    (a copy) must be made when asked for, never stored on the view."""
    d = bundled()
    region = sorted(d.incidents["province"].dropna().unique())[0]
    view = View.of(d, Filters(regions=(region,)))
    rows = view.incidents
    assert 0 < len(rows) < len(d.incidents)
    assert not any(value is rows for value in vars(view).values())
    assert view.incidents is not rows, "made anew, not cached"


def test_a_scored_view_does_not_keep_its_dataset_alive():
    """The shared scorings and model contexts must not hold a dataset: when the app reloads an
    edited folder, the old dataset (millions of incidents) has to be freed."""
    import gc
    import weakref

    from georisk.model import context, settings
    from georisk.scenario.dataset import load_dataset
    from georisk.view import choices_for

    dataset = load_dataset(DATA)
    view = View.of(dataset, choices_for(dataset).defaults())
    scores, _ = view.scores(settings.DEFAULTS)
    assert len(scores) and view.scores(settings.DEFAULTS)[0] is scores, "the second call is cached"
    gone, key = weakref.ref(dataset), id(dataset)
    del dataset, view
    gc.collect()
    assert gone() is None and key not in context._shared
