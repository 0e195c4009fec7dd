"""The risk model: hand-computed components, properties, segment scoring, URL form."""

from __future__ import annotations

import math
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from georisk import ratings, risk
from georisk.dataset import load_dataset
from tests.conftest import DATA

GEOD = pyproj.Geod(ellps="WGS84")
SITE_LON, SITE_LAT = 70.0, 30.0
ASOF = pd.Timestamp("2016-12-15")


def offset(km_east: float, km_north: float = 0.0) -> tuple[float, float]:
    """The point `km_east` then `km_north` km from the site, along geodesics."""
    lon, lat, _ = GEOD.fwd(SITE_LON, SITE_LAT, 90, km_east * 1000)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, km_north * 1000)
    return lon, lat


def incident(
    km_east: float,
    days_before: int,
    killed: float = 1,
    wounded: float = 0,
    family: str = "Hostile",
    target: str = "civilians",
    precision: str = "town",
) -> dict:
    lon, lat = offset(km_east)
    return {
        "date": ASOF - pd.Timedelta(days=days_before),
        "lon": lon,
        "lat": lat,
        "geo_precision": precision,
        "killed": killed,
        "wounded": wounded,
        "actor_family": family,
        "target_type": target,
    }


def incidents_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["date", "lon", "lat", "geo_precision", "killed", "wounded", "actor_family", "target_type"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["killed"] = frame["killed"].astype("Float64")
    frame["wounded"] = frame["wounded"].astype("Float64")
    return frame


def levels(overall: int = 2, hostile: int | None = 3) -> pd.DataFrame:
    rows = [("Testland", "2016-01-01", "2016-12-31", "all", overall)]
    if hostile is not None:
        rows.append(("Testland", "2016-01-01", "2016-12-31", "Hostile", hostile))
    frame = pd.DataFrame(rows, columns=["province", "period_start", "period_end", "actor_family", "level"])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    return frame


ACTORS = pd.DataFrame({"family": ["Hostile", "Other"], "hostile_to": ["Partnerland;Elsewhere", "Elsewhere"]})
BOUNDARIES = gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(65, 25, 75, 35)], crs="EPSG:4326")


def context(rows: list[dict], threat: pd.DataFrame | None = None) -> risk.Context:
    return risk.context_for(
        incidents_frame(rows),
        levels() if threat is None else threat,
        ACTORS,
        BOUNDARIES,
        projection=risk.Projection(SITE_LON, SITE_LAT),
    )


def site(geometry=None, criticality: int = 4, sector: str = "energy") -> dict:
    return {
        "site_id": "s1",
        "name": "Test site",
        "sector": sector,
        "status": "operational",
        "partner_country": "Partnerland",
        "criticality": criticality,
        "provinces": "Testland",
        "geometry": geometry if geometry is not None else Point(SITE_LON, SITE_LAT),
    }


def score_point(ctx: risk.Context, params: risk.ModelParams = risk.DEFAULTS, **site_args) -> risk.UnitScore:
    s = site(**site_args)
    return risk.score_unit(s, 1, 1, ctx.whole(s["geometry"]), ctx, ASOF, params)


# --- hand-computed components ---------------------------------------------------------------


def test_severity_recency_proximity_by_hand():
    assert risk.severity(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(1.0)
    assert risk.severity(np.array([1.0]), np.array([0.0]))[0] == pytest.approx(1 + math.log(4))
    assert risk.severity(np.array([2.0]), np.array([4.0]))[0] == pytest.approx(1 + math.log(9))
    assert risk.severity(np.array([np.nan]), np.array([np.nan]))[0] == pytest.approx(1.0), "unknown = 0"
    assert risk.recency(np.array([0, 180, 360]), 180) == pytest.approx([1.0, 0.5, 0.25])
    assert risk.proximity(np.array([0, 25, 50, 51]), 50) == pytest.approx([1.0, 0.75, 0.5, 0.0])


def test_levels_and_bands_by_hand():
    assert risk.exposure_level(0, 5) == pytest.approx(1.0)
    assert risk.exposure_level(5, 5) == pytest.approx(1 + 4 * (1 - math.exp(-1)))
    assert risk.likelihood_of(4, 2, risk.DEFAULTS) == pytest.approx(3.0)
    assert risk.likelihood_of(4, 2, replace(risk.DEFAULTS, w_threat=1, w_exposure=0)) == pytest.approx(4.0)
    assert [risk.likelihood_class(v) for v in (1.0, 1.49, 1.5, 4.6, 5.0)] == [1, 1, 2, 5, 5]
    cuts = risk.DEFAULTS.cuts
    assert risk.band_of(1, 3, cuts) == "Very low"
    assert risk.band_of(2, 2, cuts) == "Low"
    assert risk.band_of(2, 5, cuts) == "Medium"
    assert risk.band_of(3, 4, cuts) == "High"
    assert risk.band_of(4, 4, cuts) == "Very high"


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
    x = risk.exposure_level(expected, 5)
    assert unit.likelihood == pytest.approx((3 + x) / 2, rel=1e-3)
    assert unit.impact == 4 and unit.band == risk.band_of(unit.likelihood_class, 4, risk.DEFAULTS.cuts)
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
    assert risk.BANDS.index(high.band) >= risk.BANDS.index(low.band)


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
    scores, units = risk.score_sites(sites, ctx, ASOF)
    assert len(units) == 3, "120 km in pieces of at most 50 km"
    assert units["km_to"].iloc[-1] == pytest.approx(120, rel=0.01)
    assert (units["km_to"] - units["km_from"]).max() <= 50
    assert units["exposure"].iloc[0] == 0 and units["exposure"].iloc[2] > 0
    (row,) = scores.itertuples()
    assert row.worst_unit.startswith("segment 3 of 3, km 80–120")
    assert row.exposure == units["exposure"].max()


def test_split_line_pieces_cover_the_line():
    line = LineString([(0, 0), (130_000, 0)])
    pieces = risk.split_line(line, 50_000)
    assert len(pieces) == 3
    assert sum(p.length for _, _, p in pieces) == pytest.approx(line.length)


# --- the bundled scenario and the URL form -----------------------------------------------------


def test_bundled_scenario_ranking_is_stable():
    dataset = load_dataset(DATA)
    scores, units = risk.score_sites(dataset.sites, risk.context_of(dataset), "2016-12-15")
    assert list(scores["site_id"])[0] == "nsgp"
    assert set(scores["band"]) <= set(risk.BANDS)
    assert (scores["model_version"] == risk.MODEL_VERSION).all() and (scores["asof"] == "2016-12-15").all()
    pipeline = units[units["site_id"] == "nsgp"]
    assert len(pipeline) >= 20 and pipeline["km_to"].max() == pytest.approx(1060, abs=60)


def test_model_params_url_round_trip_and_bad_values():
    changed = replace(risk.DEFAULTS, radius_km=25.0, half_life_days=90.0, w_threat=0.7, cuts=(3, 6, 10, 15))
    query = risk.params_to_query(changed)
    assert query == {"radius": ["25"], "halflife": ["90"], "w_threat": ["0.7"], "cuts": ["3,6,10,15"]}
    derived = replace(risk.DEFAULTS, ratings="derived")
    assert risk.params_from_query(risk.params_to_query(derived)) == (derived, [])
    assert "ratings must be one of" in risk.params_from_query({"ratings": ["guesses"]})[1][0]
    assert risk.params_from_query(query) == (changed, [])
    assert risk.params_to_query(risk.DEFAULTS) == {}
    params, notices = risk.params_from_query(
        {"radius": ["-4"], "halflife": ["soon"], "cuts": ["9,8,7,6"], "w_threat": ["nan"]}
    )
    assert params == risk.DEFAULTS and len(notices) == 4
    both_zero, notices = risk.params_from_query({"w_threat": ["0"], "w_exposure": ["0"]})
    assert both_zero == risk.DEFAULTS and "must not both be zero" in notices[0]


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
    real = risk.segments_of
    monkeypatch.setattr(risk, "segments_of", lambda g, m: cuts.append(m) or real(g, m))
    first, first_units = risk.score_sites(sites, ctx, ASOF)
    again, again_units = risk.score_sites(sites, ctx, "2016-06-01", replace(risk.DEFAULTS, radius_km=25))
    assert cuts == [50_000, 50_000], "each geometry cut once, whatever the date or the radius"
    assert list(first_units["km_to"])[:4] == pytest.approx([40, 80, 120, 160], abs=1)
    risk.score_sites(sites, ctx, ASOF, replace(risk.DEFAULTS, segment_km=100))
    assert cuts[2:] == [100_000, 100_000], "another segment length is another cut"
    moved = sites.assign(geometry=[LineString([offset(-160), offset(0)]), Point(offset(10))])
    risk.score_sites(moved, ctx, ASOF)
    assert len(cuts) == 6, "an equal but new geometry object is not mistaken for a cached one"


def test_the_search_cache_drops_the_least_recently_used_past_its_budget():
    cache = risk.SearchCache(budget=3 * 16)  # room for three answers of one incident each
    answer = (np.zeros(1, dtype=np.int64), np.zeros(1))
    for key in ["a", "b", "c"]:
        cache.put((key,), answer)
    assert cache.get(("a",)) is answer  # "a" is now the most recently used
    cache.put(("d",), answer)
    assert cache.get(("b",)) is None and cache.get(("a",)) is answer and len(cache) == 3
    assert cache.size == 3 * 16
