"""The map's figure builders: layers, counts, bands, density, offline style, size."""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from georisk.analysis import geography
from georisk.charts import maps
from georisk.model import settings as model_settings
from georisk.scenario.dataset import load_dataset
from georisk.view import View, choices_for, clamp_filters, quarter_end, quarter_labels, quarter_of
from tests.conftest import DATA
from tests.support import bundled

ASOF = pd.Timestamp("2016-12-15")


def view_at_asof(dataset) -> View:
    """The whole dataset in view as of ASOF (the Map page's view for `?asof=…&to=…`)."""
    choices = choices_for(dataset)
    filters = clamp_filters(
        dataclasses.replace(choices.defaults(), asof=ASOF.date(), end=ASOF.date()), choices
    )
    return View.of(dataset, filters, choices)


@cache
def scenario():
    dataset = bundled()
    view = view_at_asof(dataset)
    scores, units = view.scores(model_settings.DEFAULTS)
    return dataset, view.incidents, view, scores, units


def build(layers, incidents=None, radius_km=50.0, **kwargs):
    """The Map page's figure of the view (maps.view_map), optionally with other incidents."""
    view = scenario()[2]
    if incidents is not None:
        dataset = load_dataset(DATA)
        dataset.tables["incidents"].frame = incidents  # these incidents in place of the curated ones
        view = view_at_asof(dataset)
    model = dataclasses.replace(model_settings.DEFAULTS, radius_km=radius_km)
    return maps.view_map(view, model, layers, **kwargs)


def names(fig) -> list[str]:
    return [trace.name for trace in fig.data]


def test_each_layer_draws_only_when_asked():
    fig, notes = build(("provinces",))
    assert "Threat level (provinces)" in names(fig) and notes == []
    assert not any("km radius" in n for n in names(fig))
    fig, _ = build(("rings", "sites", "incidents", "density"))
    drawn = names(fig)
    assert "Threat level (provinces)" not in drawn
    assert "Incident density" in drawn and "50 km radius" in drawn
    assert any(n.startswith("TTP (") for n in drawn)
    assert {"boundaries", "province names", "towns"} <= set(drawn), "context is always drawn"


def test_incident_points_match_the_filtered_data():
    _, incidents, *_ = scenario()
    fig, _ = build(("incidents",), radius_km=100)  # at 100 km, district points count too
    points = [t for t in fig.data if t.legendgroup == "incidents"]
    exact = incidents[~incidents["geo_precision"].isin(["province", "country", "unknown"])]
    assert sum(len(t.lon) for t in points) == len(exact)
    by_family = {t.name.rsplit(" (", 1)[0]: len(t.lon) for t in points}
    assert by_family == exact["actor_family"].value_counts().to_dict()


def test_site_colours_match_the_model_bands():
    _, _, _, scores, units = scenario()
    fig, _ = build(("sites",))
    markers = {
        t.name: set(t.customdata) for t in fig.data if t.legendgroup == "bands" and t.mode == "markers+text"
    }
    for band, ids in markers.items():
        assert ids == set(scores.loc[(scores["band"] == band) & (scores["site_id"] != "nsgp"), "site_id"])
    segments = {
        t.name.split(" segments")[0]: len(t.customdata) for t in fig.data if t.name.endswith("segments")
    }
    pipeline = units[units["site_id"] == "nsgp"]["band"].value_counts().to_dict()
    assert segments == pipeline, "each segment is drawn in its own band"


def test_many_incidents_are_drawn_as_density_with_a_note():
    _, incidents, *_ = scenario()
    fig, notes = build(("incidents", "sites"), max_points=10)
    assert "Incident density" in names(fig)
    assert not any(t.legendgroup == "incidents" for t in fig.data)
    assert "too many to draw one by one" in notes[0]
    (density,) = [t for t in fig.data if t.name == "Incident density"]
    placed = incidents[~incidents["geo_precision"].isin(["province", "country", "unknown"])]
    assert sum(row[0] for row in density.customdata) == len(placed)


def test_offline_style_fetches_nothing_from_other_hosts():
    fig, _ = build(("provinces", "incidents", "rings", "sites", "density"))
    text = fig.to_json()
    assert "http://" not in text and "https://" not in text
    style = fig.layout.map.style
    assert style["glyphs"].startswith("app/static/fonts/")
    # MapLibre refuses a style without sources ("Map error." in the browser), so there is one,
    # empty and inline: nothing to fetch.
    assert style["sources"] and all(source["type"] == "geojson" for source in style["sources"].values())
    text_traces = [t for t in fig.data if "text" in (getattr(t, "mode", None) or "")]
    assert text_traces and all(t.textfont.family == maps.GLYPH_FONT for t in text_traces)
    online, _ = build(("tiles", "sites"))
    assert "tile.openstreetmap.org" in json.dumps(online.layout.map.style)


def test_curated_figure_stays_under_one_megabyte():
    fig, _ = build(geography.LAYERS[1:])
    assert len(fig.to_json()) < 1_000_000


def test_hover_text_from_data_is_escaped():
    _, incidents, *_ = scenario()
    town = incidents[incidents["geo_precision"] == "town"]
    hostile = town.head(1).assign(location="<img src=x onerror=alert(1)>", group="<b>bold</b>")
    fig, _ = build(("incidents",), incidents=hostile)
    (trace,) = [t for t in fig.data if t.legendgroup == "incidents"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in trace.hovertext[0]
    assert "<img" not in trace.hovertext[0] and "&lt;b&gt;bold" in trace.hovertext[0]


@settings(max_examples=200, deadline=None)
@given(st.floats(-2e6, 2e6), st.floats(-2e6, 2e6), st.sampled_from([5_000.0, 25_000.0]))
def test_every_point_lies_in_its_hexagon(x, y, size):
    q, r = geography.hex_bins(np.array([x]), np.array([y]), size)
    cell = Polygon(geography.hex_polygon(int(q[0]), int(r[0]), size))
    assert cell.buffer(1e-6 * size).contains(Point(x, y))


def test_town_labels_come_from_the_data():
    _, incidents, *_ = scenario()
    towns = geography.town_labels(incidents)
    assert {"Karachi", "Quetta", "Peshawar", "Lahore"} <= set(towns["name"])


@pytest.mark.parametrize("label,expected", [("2016 Q4", "2016-12-31"), ("2015 Q1", "2015-03-31")])
def test_quarters(label, expected):

    choices = choices_for(scenario()[0])
    assert quarter_end(label, choices).isoformat() == expected
    quarters = quarter_labels(choices)
    assert quarters[0] == "2010 Q1" and quarters[-1] == quarter_of(choices.last_date)
    assert len(quarters) == len(set(quarters))
