"""The risk model: hand-computed components, properties, segment scoring, URL form."""

from __future__ import annotations

import math
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from georisk.link import model_from_params, model_params
from georisk.model import context as model_context
from georisk.model import formula, projection, ratings, scoring
from georisk.model import settings as model_settings
from tests.support import (
    ASOF,
    bundled,
    context,
    incident,
    levels,
    offset,
    score_point,
    site,
)

# --- hand-computed components ---------------------------------------------------------------


def test_severity_recency_proximity_by_hand():
    assert formula.severity(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(1.0)
    assert formula.severity(np.array([1.0]), np.array([0.0]))[0] == pytest.approx(1 + math.log(4))
    assert formula.severity(np.array([2.0]), np.array([4.0]))[0] == pytest.approx(1 + math.log(9))
    assert formula.severity(np.array([np.nan]), np.array([np.nan]))[0] == pytest.approx(1.0), "unknown = 0"
    assert formula.recency(np.array([0, 180, 360]), 180) == pytest.approx([1.0, 0.5, 0.25])
    assert formula.proximity(np.array([0, 25, 50, 51]), 50) == pytest.approx([1.0, 0.75, 0.5, 0.0])


def test_levels_and_bands_by_hand():
    assert formula.exposure_level(0, 5) == pytest.approx(1.0)
    assert formula.exposure_level(5, 5) == pytest.approx(1 + 4 * (1 - math.exp(-1)))
    assert formula.likelihood_of(4, 2, model_settings.DEFAULTS) == pytest.approx(3.0)
    assert formula.likelihood_of(
        4, 2, replace(model_settings.DEFAULTS, w_threat=1, w_exposure=0)
    ) == pytest.approx(4.0)
    assert [formula.likelihood_class(v) for v in (1.0, 1.49, 1.5, 4.6, 5.0)] == [1, 1, 2, 5, 5]
    cuts = model_settings.DEFAULTS.cuts
    assert formula.band_of(1, 3, cuts) == "Very low"
    assert formula.band_of(2, 2, cuts) == "Low"
    assert formula.band_of(2, 5, cuts) == "Medium"
    assert formula.band_of(3, 4, cuts) == "High"
    assert formula.band_of(4, 4, cuts) == "Very high"


def test_threat_takes_the_hostile_familys_level_and_falls_back_to_overall():
    lv = levels(overall=2, hostile=4)
    assert (
        ratings.threat_at(lv, "Testland", {"Hostile"}, ASOF).level,
        ratings.threat_at(lv, "Testland", {"Hostile"}, ASOF).family,
    ) == (4, "Hostile")
    assert ratings.threat_at(lv, "Testland", {"Other"}, ASOF).level == 2, "no own rating: overall"
    assert ratings.threat_at(lv, "Testland", set(), ASOF).family == "all groups"
    later = ratings.threat_at(lv, "Testland", {"Hostile"}, pd.Timestamp("2017-06-01"))
    assert (later.level, later.status) == (4, "carried") and later.period.endswith("2016-12-31")
    assert "carried forward" in later.words()
    expired = ratings.threat_at(lv, "Testland", {"Hostile"}, pd.Timestamp("2018-06-01"))
    assert expired.level is None and expired.status == "none", "past the carry limit: no rating"
    assert ratings.threat_at(lv, "Nowhere", {"Hostile"}, ASOF).level is None, "no rating is not level 1"


def test_exposure_of_one_incident_by_hand():
    ctx = context([incident(km_east=10, days_before=0, killed=1)])
    unit = score_point(ctx)
    expected = (1 + math.log(4)) * 1.0 * (1 - 10 / 100) * 1.0
    assert unit.exposure == pytest.approx(expected, rel=1e-3)
    assert unit.threat == 3, "the hostile family's level in the province"
    x = formula.exposure_level(expected, 5)
    assert unit.likelihood == pytest.approx((3 + x) / 2, rel=1e-3)
    assert unit.impact == 4 and unit.band == formula.band_of(
        unit.likelihood_class, 4, model_settings.DEFAULTS.cuts
    )
    assert unit.reason.startswith("1 incident(s) within 50 km in the 6 months to 2016-12-15 (1 by Hostile)")
    assert "Testland threat level 3 (Hostile)" in unit.reason


def test_relevance_weights_by_hand():
    hostile = score_point(context([incident(0, 0, killed=0)])).exposure
    other = score_point(context([incident(0, 0, killed=0, family="Other")])).exposure
    energy = score_point(context([incident(0, 0, killed=0, target="energy infrastructure")])).exposure
    assert (hostile, other, energy) == pytest.approx((1.0, 0.5, 2.0))
    industry_site = score_point(
        context([incident(0, 0, killed=0, target="energy infrastructure")]), sector="industry"
    ).exposure
    assert industry_site == pytest.approx(1.0), "the target weight only counts for the site's own sector"


# --- properties ---------------------------------------------------------------------------------

incident_args = st.tuples(
    st.floats(0, 60),
    st.integers(0, 2000),
    st.integers(0, 300),
    st.integers(0, 300),
    st.sampled_from(["Hostile", "Other", "unknown"]),
)


def as_incident(args) -> dict:
    km, days, killed, wounded, family = args
    return incident(km, days, killed, wounded, family)


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_args, max_size=6), incident_args)
def test_more_incidents_never_lower_exposure(existing, extra):
    rows = [as_incident(a) for a in existing]
    before = score_point(context(rows))
    after = score_point(context([*rows, as_incident(extra)]))
    assert after.exposure >= before.exposure - 1e-9
    assert after.likelihood >= before.likelihood - 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_args, max_size=5), incident_args, st.floats(0, 1), st.floats(0, 1))
def test_closer_or_newer_incidents_never_lower_exposure(others, moved, nearer, newer):
    rows = [as_incident(a) for a in others]
    km, days, killed, wounded, family = moved
    far = score_point(context([*rows, incident(km, days, killed, wounded, family)]))
    close = score_point(context([*rows, incident(km * nearer, int(days * newer), killed, wounded, family)]))
    assert close.exposure >= far.exposure - 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_args, max_size=5), st.integers(1, 5), st.integers(0, 4))
def test_a_higher_threat_level_never_lowers_likelihood(rows, level, rise):
    rows = [as_incident(a) for a in rows]
    low = score_point(context(rows, levels(overall=1, hostile=level)))
    high = score_point(context(rows, levels(overall=1, hostile=min(5, level + rise))))
    assert high.likelihood >= low.likelihood
    assert model_settings.BANDS.index(high.band) >= model_settings.BANDS.index(low.band)


@settings(max_examples=60, deadline=None)
@given(st.lists(incident_args, max_size=5), st.lists(incident_args, min_size=1, max_size=5))
def test_incidents_after_the_asof_date_change_nothing(rows, later):
    rows = [as_incident(a) for a in rows]
    future = [dict(as_incident(a), date=ASOF + pd.Timedelta(days=1 + a[1])) for a in later]
    before = score_point(context(rows))
    after = score_point(context([*rows, *future]))
    assert (after.exposure, after.likelihood, after.band, after.reason) == (
        before.exposure,
        before.likelihood,
        before.band,
        before.reason,
    )


# --- lines -----------------------------------------------------------------------------------


def test_a_line_is_cut_into_segments_and_takes_its_worst():
    start = offset(0)
    end = offset(120)
    line = LineString([start, end])
    # One deadly incident 2 km off the last 40 km of the line.
    lon, lat = offset(110, 2)
    hit = {
        "date": ASOF,
        "lon": lon,
        "lat": lat,
        "killed": 20,
        "wounded": 0,
        "actor_family": "Hostile",
        "target_type": "energy infrastructure",
        "geo_precision": "town",
    }
    ctx = context([hit])
    sites = gpd.GeoDataFrame([site(line)], geometry="geometry", crs="EPSG:4326")
    scores, units = scoring.score_sites(sites, ctx, ASOF)
    assert len(units) == 3, "120 km in pieces of at most 50 km"
    assert units["km_to"].iloc[-1] == pytest.approx(120, rel=0.01)
    assert (units["km_to"] - units["km_from"]).max() <= 50
    assert units["exposure"].iloc[0] == 0 and units["exposure"].iloc[2] > 0
    (row,) = scores.itertuples()
    assert row.worst_unit.startswith("segment 3 of 3, km 80–120")
    assert row.exposure == units["exposure"].max()


def test_split_line_pieces_cover_the_line():
    line = LineString([(0, 0), (130_000, 0)])
    pieces = projection.split_line(line, 50_000)
    assert len(pieces) == 3
    assert sum(p.length for _, _, p in pieces) == pytest.approx(line.length)


# --- the bundled scenario and the URL form -----------------------------------------------------


def test_bundled_scenario_ranking_is_stable():
    dataset = bundled()
    scores, units = scoring.score_sites(dataset.sites, model_context.context_of(dataset), "2016-12-15")
    assert list(scores["site_id"])[0] == "nsgp"
    assert set(scores["band"]) <= set(model_settings.BANDS)
    assert (scores["model_version"] == model_settings.MODEL_VERSION).all() and (
        scores["asof"] == "2016-12-15"
    ).all()
    pipeline = units[units["site_id"] == "nsgp"]
    assert len(pipeline) >= 20 and pipeline["km_to"].max() == pytest.approx(1060, abs=60)


def test_model_params_url_round_trip_and_bad_values():
    changed = replace(
        model_settings.DEFAULTS, radius_km=25.0, half_life_days=90.0, w_threat=0.7, cuts=(3, 6, 10, 15)
    )
    query = model_params(changed)
    assert query == {"radius": ["25"], "halflife": ["90"], "w_threat": ["0.7"], "cuts": ["3,6,10,15"]}
    derived = replace(model_settings.DEFAULTS, ratings="derived")
    assert model_from_params(model_params(derived)) == (derived, [])
    assert "ratings must be one of" in model_from_params({"ratings": ["guesses"]})[1][0]
    assert model_from_params(query) == (changed, [])
    assert model_params(model_settings.DEFAULTS) == {}
    params, notices = model_from_params(
        {"radius": ["-4"], "halflife": ["soon"], "cuts": ["9,8,7,6"], "w_threat": ["nan"]}
    )
    assert params == model_settings.DEFAULTS and len(notices) == 4
    both_zero, notices = model_from_params({"w_threat": ["0"], "w_exposure": ["0"]})
    assert both_zero == model_settings.DEFAULTS and "must not both be zero" in notices[0]


# --- the reason and the shared spatial searches --------------------------------------------------


def test_reason_names_the_family_with_most_recent_incidents_and_the_first_by_name_on_a_tie():
    rows = [incident(5, 10, family="Other"), incident(6, 20, family="Other"), incident(7, 30)]
    assert (
        "3 incident(s) within 50 km in the 6 months to 2016-12-15 (2 by Other)"
        in score_point(context(rows)).reason
    )
    tie = rows + [incident(8, 40)]
    unit = score_point(context(tie))
    assert (unit.top_family, unit.incidents_recent) == ("Hostile", 4)
    assert "(2 by Hostile)" in unit.reason
    old = score_point(context([incident(5, 900)]))
    assert old.reason.startswith("No incident within 50 km in the 6 months to 2016-12-15")
    assert (old.top_family, old.incidents_near) == ("", 1)


def test_spatial_searches_are_kept_and_equal_a_fresh_search():
    rows = [incident(km, days) for km, days in [(1, 5), (30, 50), (49, 500), (55, 5), (120, 1)]]
    ctx = context(rows)
    line = ctx.projection.to_metric(LineString([offset(-80), offset(0)]))  # ends at the site
    first = ctx.near(line, 50_000)
    assert len(ctx.searches) == 1
    again = ctx.near(line, 50_000)
    assert again[0] is first[0] and again[1] is first[1], "the second search reads the kept answer"
    assert not first[0].flags.writeable, "a kept answer is shared, so it cannot be changed in place"
    fresh = context(rows).near(line, 50_000)
    np.testing.assert_array_equal(first[0], fresh[0])
    np.testing.assert_allclose(first[1], fresh[1])
    assert list(first[0]) == [0, 1, 2], (
        "within 50 km of the line: the incidents 1, 30 and 49 km east of its end"
    )
    ctx.near(line, 60_000)
    assert len(ctx.searches) == 2, "another radius is another search"


def test_a_sites_units_are_made_once_per_geometry(monkeypatch):
    """Projecting, cutting and intersecting a line happen once per geometry, not on every scoring."""
    ctx = context([incident(1, 5)])
    pipeline = LineString([offset(-160), offset(0)])
    sites = pd.DataFrame([site(geometry=pipeline), site(geometry=Point(offset(10)))]).assign(
        site_id=["line", "point"]
    )
    cuts = []
    real = projection.segments_of
    monkeypatch.setattr(model_context, "segments_of", lambda g, m: cuts.append(m) or real(g, m))
    first, first_units = scoring.score_sites(sites, ctx, ASOF)
    again, again_units = scoring.score_sites(
        sites, ctx, "2016-06-01", replace(model_settings.DEFAULTS, radius_km=25)
    )
    assert cuts == [50_000, 50_000], "each geometry cut once, whatever the date or the radius"
    assert list(first_units["km_to"])[:4] == pytest.approx([40, 80, 120, 160], abs=1)
    scoring.score_sites(sites, ctx, ASOF, replace(model_settings.DEFAULTS, segment_km=100))
    assert cuts[2:] == [100_000, 100_000], "another segment length is another cut"
    moved = sites.assign(geometry=[LineString([offset(-160), offset(0)]), Point(offset(10))])
    scoring.score_sites(moved, ctx, ASOF)
    assert len(cuts) == 6, "an equal but new geometry object is not mistaken for a cached one"


def test_the_search_cache_drops_the_least_recently_used_past_its_budget():
    cache = model_context.SearchCache(budget=3 * 16)  # room for three answers of one incident each
    answer = (np.zeros(1, dtype=np.int64), np.zeros(1))
    for key in ["a", "b", "c"]:
        cache.put((key,), answer)
    assert cache.get(("a",)) is answer  # "a" is now the most recently used
    cache.put(("d",), answer)
    assert cache.get(("b",)) is None and cache.get(("a",)) is answer and len(cache) == 3
    assert cache.size == 3 * 16
