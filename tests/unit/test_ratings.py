"""No silent defaults where data is missing: no rating is "no rating" (never level 1) everywhere
a rating shows; derived ratings follow their stated rule and say they are derived."""

from __future__ import annotations

import pandas as pd
import pytest

from georisk.analysis import geography, overview
from georisk.charts import maps
from georisk.model import context as model_context
from georisk.model import projection, ratings, settings
from georisk.view import Filters, View, choices_for
from tests.support import (
    ACTORS,
    ASOF,
    BOUNDARIES,
    bundled,
    context,
    incident,
    incidents_frame,
    levels,
    score_point,
)


def test_a_site_without_a_rating_rests_on_exposure_alone_and_says_so():
    rows = [incident(5, 10, killed=3)]
    unrated = score_point(context(rows, levels().iloc[0:0]))
    assert unrated.threat is None and unrated.threat_status == "none"
    assert unrated.likelihood == pytest.approx(unrated.exposure_level), "not (w T + w X) with T = 1"
    assert "no threat rating as of 2016-12-15, the likelihood rests on exposure alone" in unrated.reason
    rated = score_point(context(rows, levels(overall=1, hostile=1)))
    assert rated.threat == 1 and rated.likelihood != unrated.likelihood, "level 1 and no rating differ"


@pytest.mark.parametrize(
    "incidents,deaths,level",
    [(0, 0, 1), (1, 0, 2), (5, 24, 2), (6, 0, 3), (1, 25, 3), (24, 0, 4), (2, 300, 5)],
)
def test_derived_levels_follow_the_stated_thresholds(incidents, deaths, level):
    assert ratings.derived_level(incidents, deaths) == level


def test_derived_ratings_cover_the_feeds_half_years_and_say_they_are_derived():
    rows = [incident(5, d, killed=60) for d in (10, 20, 30, 40, 50, 60)]  # 2016 H2, 6 incidents
    frame = incidents_frame(rows).assign(province="Testland")
    derived = ratings.derive(frame, BOUNDARIES, ["Hostile", "Other"])
    overall = derived[derived["actor_family"] == "all"]
    assert list(overall["period_start"].dt.date.astype(str)) == ["2016-07-01"]
    assert overall["level"].iloc[0] == 5, "360 deaths in a half-year: level 5 by deaths"
    other = derived[derived["actor_family"] == "Other"]
    assert other["level"].iloc[0] == 1, "a family with no incident in a covered half-year is level 1"
    assert (derived["origin"] == "derived").all() and derived["source"].str.contains(
        ratings.DERIVED_RULE
    ).all()
    ctx = model_context.context_for(
        frame, levels().iloc[0:0], ACTORS, BOUNDARIES, projection=projection.Projection(70, 30)
    )
    unit = score_point(ctx, settings.ModelSettings(ratings="derived"))
    assert unit.threat == 5 and unit.threat_origin == "derived" and "derived" in unit.reason
    outside = ctx.threat("Testland", {"Hostile"}, pd.Timestamp("2015-01-01"), "derived")
    assert outside.level is None, "no derived rating outside the feed's coverage"


def test_combined_ratings_prefer_the_analysts_and_fill_gaps_with_derived_ones():
    rows = [incident(5, d, killed=0) for d in range(30)]
    frame = incidents_frame(rows).assign(province="Testland")
    ctx = model_context.context_for(
        frame, levels(overall=2, hostile=2), ACTORS, BOUNDARIES, projection=projection.Projection(70, 30)
    )
    assert ctx.threat("Testland", {"Hostile"}, ASOF, "combined").origin == "analysts"
    nothing = model_context.context_for(
        frame, levels().iloc[0:0], ACTORS, BOUNDARIES, projection=projection.Projection(70, 30)
    )
    filled = nothing.threat("Testland", {"Hostile"}, ASOF, "combined")
    assert filled.origin == "derived" and filled.level == 4, "30 incidents in the half-year"


def bundled_summary(asof: str, **model) -> overview.Summary:
    dataset = bundled()
    choices = choices_for(dataset)
    day = pd.Timestamp(asof).date()
    filters = Filters(start=choices.first_date, end=day, asof=day)
    return overview.summarise(View.of(dataset, filters, choices), settings.ModelSettings(**model))


def test_outside_the_ratings_coverage_the_headline_says_so():
    summary = bundled_summary("2013-06-30")
    text = summary.ratings.text()
    assert "outside the threat ratings' coverage" in text and "2014-01-01 to 2017-12-31" in text
    assert summary.ratings.unrated == len(summary.scores) and (summary.scores["threat"].isna()).all()
    assert summary.provinces == [] and summary.top_level is None
    assert bundled_summary("2016-12-15").ratings.text() is None, "inside the coverage: nothing to say"


def test_the_map_draws_unrated_provinces_grey_with_a_notice():
    dataset = bundled()
    ctx = model_context.context_of(dataset)
    asof = pd.Timestamp("2013-06-30")
    level = geography.province_levels(ctx, asof, set(), "analysts")
    assert level["level"].isna().all(), "before the ratings: no province has a level"
    fig, notes = maps.map_figure(
        layers=("provinces",),
        ctx=ctx,
        asof=asof,
        radius_km=50,
        province_level=level,
        threat_scale=dataset.threat_scale,
        scores=pd.DataFrame(),
        units=pd.DataFrame(),
        sites=dataset.sites.iloc[0:0],
        colours={},
    )
    (grey,) = [t for t in fig.data if t.name == "No threat rating (grey)"]
    assert len(grey.locations) == len(dataset.boundaries)
    assert any("No threat rating at this date" in n for n in notes)


def test_after_fatas_merger_its_ground_takes_khyber_pakhtunkhwas_rating():
    dataset = bundled()
    ctx = model_context.context_of(dataset)
    level = geography.province_levels(ctx, pd.Timestamp("2018-07-01"), set(), "analysts").set_index(
        "province"
    )
    assert level.at["FATA", "level"] == level.at["Khyber Pakhtunkhwa", "level"]
    before = geography.province_levels(ctx, pd.Timestamp("2014-03-01"), set(), "analysts").set_index(
        "province"
    )
    assert before.at["FATA", "level"] != before.at["Khyber Pakhtunkhwa", "level"]
