"""Precision decides what a point may say: only points precise enough for the radius count toward
exposure; the others are counted apart, everywhere an "incidents within R km" count appears, and
the map never draws them as exact dots."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from georisk.analysis import geography
from georisk.charts import maps, style
from georisk.model import breakdown, projection, scoring, settings
from georisk.model import context as model_context
from georisk.scenario import precision
from tests.support import ASOF, bundled, context, incident, offset, score_point, site


@pytest.mark.parametrize(
    "radius,district_km,counted",
    [
        (50, 88, ["site", "town", "near"]),
        (20, 88, ["site", "town"]),
        (100, 88, ["site", "town", "near", "district"]),
        (500, None, ["site", "town", "near"]),  # the scenario does not say how large districts are
    ],
)
def test_the_rule_keeps_the_levels_precise_enough_for_the_radius(radius, district_km, counted):
    levels = pd.Series(precision.PRECISIONS)
    usable = precision.usable(precision.uncertainties(levels, district_km), radius)
    assert list(levels[usable]) == counted
    assert "province" not in counted and "unknown" not in counted, "a province's point never counts"
    assert all(level in precision.rule_text(radius, district_km) for level in precision.PRECISIONS)


def test_a_stack_at_a_provinces_point_adds_no_exposure_and_is_counted_apart():
    """One real import put every Sindh incident at one point and gave the site beside it 163
    incidents within 50 km: those points say nothing about distance."""
    stacked = [incident(3, days, killed=5, precision="province") for days in range(0, 160, 1)]
    exact = [incident(20, 10, killed=1, precision="town")]
    unit = score_point(context([*stacked, *exact]))
    only_exact = score_point(context(exact))
    assert unit.exposure == pytest.approx(only_exact.exposure)
    assert (unit.incidents_near, unit.incidents_left_out) == (1, 160)
    assert (unit.incidents_recent, unit.recent_left_out) == (1, 160)
    expected = "1 incident(s) within 50 km in the 6 months to 2016-12-15 (1 by Hostile), 160 more placed too"
    assert unit.reason.startswith(expected + " coarsely to count")


def test_district_points_count_once_the_radius_reaches_the_district_size():
    rows = [incident(30, 5, precision="district")]
    ctx = model_context.context_for(*_context_args(rows), district_km=88)
    here = ctx.whole(Point(offset(0)))
    at_50 = scoring.score_unit(site(), 1, 1, here, ctx, ASOF, settings.DEFAULTS)
    at_100 = scoring.score_unit(site(), 1, 1, here, ctx, ASOF, settings.ModelSettings(radius_km=100))
    assert (at_50.incidents_near, at_50.incidents_left_out) == (0, 1)
    assert (at_100.incidents_near, at_100.incidents_left_out) == (1, 0) and at_100.exposure > 0


def _context_args(rows):
    from tests.support import ACTORS, BOUNDARIES, incidents_frame, levels

    return incidents_frame(rows), levels(), ACTORS, BOUNDARIES


def test_a_flagged_geocode_is_not_used_for_distance():
    frame, levels, actors, boundaries = _context_args([incident(2, 5, killed=10), incident(4, 5, killed=10)])
    frame["location_flag"] = [None, "the coordinates lie 240 km from Sindh, the feed's province"]
    ctx = model_context.context_for(
        frame, levels, actors, boundaries, projection=projection.Projection(70.0, 30.0)
    )
    unit = score_point(ctx)
    assert (unit.incidents_near, unit.incidents_left_out) == (1, 1)


def test_the_three_counts_of_a_site_panel_agree_where_they_describe_the_same_set():
    """The pipeline's panel once said 1 in its headline, 10 in its exposure row and 18 above its
    table, with nothing saying which window each used."""
    dataset = bundled()
    ctx = model_context.context_of(dataset)
    params = settings.DEFAULTS
    asof = pd.Timestamp("2016-12-15")
    start = pd.Timestamp(dataset.incidents["date"].min())
    scores, units = scoring.score_sites(dataset.sites, ctx, asof, params)
    for row in scores.itertuples():
        unit = units[(units["site_id"] == row.site_id) & (units["unit_name"] == row.worst_unit)].iloc[0]
        geometry = dataset.sites.set_index("site_id").at[row.site_id, "geometry"]
        near = breakdown.nearby(ctx, geometry, params, start, asof)
        part = scoring.incidents_near(ctx, unit["geometry"], params.radius_km, asof)
        # The exposure row counts the worst part's incidents in the period; recomputed here.
        assert row.incidents_near == int(part["counted"].sum())
        assert row.incidents_left_out == int((~part["counted"]).sum())
        recent = part[part["date"] > asof - pd.Timedelta(days=params.half_life_days)]
        assert row.incidents_recent == int(recent["counted"].sum()), "the headline's recent window"
        # The table covers every part of the site, so it holds at least the worst part's set.
        assert near.counted >= row.incidents_near and near.left_out >= row.incidents_left_out
        if isinstance(geometry, Point):
            assert (near.counted, near.left_out) == (row.incidents_near, row.incidents_left_out)
        words = breakdown.components(scores.set_index("site_id").loc[row.site_id], params, start, asof)
        exposure = words.set_index("component").at["Exposure", "value"]
        assert f"from {row.incidents_near} incident(s) within 50 km" in exposure
        assert f"in the period {start.date()} to {asof.date()}" in exposure
        assert near.heading.startswith(
            f"Incidents within 50 km of any part of the site, in the period {start.date()}"
        )


def test_the_map_draws_imprecise_incidents_as_rings_or_province_counts_never_as_dots():
    dataset = bundled()
    rows = [incident(3, 5, precision=p) for p in ("town", "town", "district", "province", "province")]
    frame, levels, actors, _ = _context_args(rows)
    frame = frame.assign(
        location="Somewhere", district="Somewhere", province="Sindh", group="A group", source="A test"
    )
    ctx = model_context.context_for(frame, levels, actors, dataset.boundaries, district_km=88)
    scores, units = scoring.score_sites(dataset.sites.iloc[0:0], ctx, ASOF)
    fig, notes = maps.map_figure(
        layers=("incidents",),
        ctx=ctx,
        asof=ASOF,
        radius_km=50,
        province_level=geography.province_levels(ctx, ASOF, set(), "analysts"),
        threat_scale=dataset.threat_scale,
        scores=scores,
        units=units,
        sites=dataset.sites.iloc[0:0],
        colours=style.family_colours(["Hostile"]),
    )
    dots = [t for t in fig.data if t.legendgroup == "incidents"]
    assert sum(len(t.lon) for t in dots) == 2, "only the two town points are dots"
    (rings,) = [t for t in fig.data if t.name.startswith("Too coarse for distance")]
    assert rings.mode == "lines" and sum(v is None for v in rings.lon) == 1, "one ring: the district point"
    (counts,) = [t for t in fig.data if t.name.startswith("At a province only")]
    assert counts.mode == "text" and counts.text[0].startswith("+2 in province")


def test_near_any_site_splits_counted_and_left_out():
    rows = [incident(3, 5), incident(4, 5, precision="province"), incident(300, 5)]
    ctx = context(rows)
    sites = gpd.GeoDataFrame([site()], geometry="geometry", crs="EPSG:4326")
    nearby = scoring.near_any_site(ctx, sites, 50)
    assert list(nearby.counted) == [True, False, False] and list(nearby.left_out) == [False, True, False]


def test_a_pipeline_segment_scores_only_its_precise_incidents():
    line = LineString([offset(0), offset(120)])
    lon, lat = offset(110, 2)
    hit = dict(incident(0, 0, killed=20), lon=lon, lat=lat)
    coarse = dict(hit, geo_precision="province")
    sites = gpd.GeoDataFrame([site(line)], geometry="geometry", crs="EPSG:4326")
    scores, units = scoring.score_sites(sites, context([coarse]), ASOF)
    assert scores.at[0, "exposure"] == 0 and list(units["incidents_left_out"]) == [0, 1, 1]
    scores, _ = scoring.score_sites(sites, context([hit]), ASOF)
    assert scores.at[0, "exposure"] > 0 and scores.at[0, "incidents_left_out"] == 0
    assert np.isfinite(scores.at[0, "exposure"])
