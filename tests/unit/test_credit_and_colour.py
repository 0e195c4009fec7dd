"""Credit the source in use wherever its numbers appear; one colour per actor family; a density
scale and a timeline that stay readable on large real feeds; the catalogue's schema version; and
mangled source links flagged by validate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from georisk.analysis import geography, overview
from georisk.charts import lanes, maps, style
from georisk.model import projection as model_projection
from georisk.model import settings
from georisk.outputs import briefing, export
from georisk.scenario.dataset import load_dataset
from georisk.scenario.rules import mangled_urls
from georisk.view import Filters, View, choices_for, clamp_filters
from tests.conftest import georisk_cli
from tests.support import bundled, imported_copy


def test_the_import_in_use_is_credited_in_exports_and_the_briefing(tmp_path: Path, data_copy: Path):
    dataset = load_dataset(imported_copy(tmp_path, data_copy))
    choices = choices_for(dataset)
    view = View.of(dataset, choices.defaults(), choices)
    meta = export.metadata(view, settings.DEFAULTS, "incidents", 2)
    assert "ACLED feed export.csv" in meta["sources"] and "incidents.csv:" not in meta["sources"]
    assert meta["incidents_source"]["licence"].startswith("ACLED Terms of Use")
    assert "province" in meta["precision_rule"]
    summary = overview.summarise(view, settings.DEFAULTS)
    html = briefing.build(summary).html
    assert "ACLED feed export.csv" in html and "acleddata.com" in html
    curated = bundled()
    assert "incidents.csv:" in curated.sources_text() and curated.incident_source.curated


def test_a_family_keeps_its_colour_whatever_the_filter_or_date():
    dataset = bundled()
    choices = choices_for(dataset)
    colours = style.family_colours(choices.actors)
    early = View.of(
        dataset,
        Filters(start=choices.first_date, end=dt.date(2014, 6, 30), asof=dt.date(2014, 6, 30)),
        choices,
    )
    later = View.of(dataset, choices.defaults(), choices)
    only = View.of(dataset, clamp_filters(Filters(actors=("TTP",)), choices), choices)
    seen = []
    for view in (early, later, only):
        fig = lanes.timeline_figure(
            view.events, view.incidents, view.filters.start, view.filters.end, colours
        )
        bars = {t.name: t.marker.color for t in fig.data if t.type == "bar"}
        seen.append(bars.get("TTP"))
    assert seen[0] == seen[1] == seen[2] == colours["TTP"]
    ttp = only.incidents[only.incidents["actor_family"] == "TTP"].head(3)
    (dots,) = maps.incident_traces(ttp, colours)
    assert dots.marker.color == colours["TTP"], "the map draws the family in the same colour"


def test_one_stacked_point_cannot_flatten_the_density_scale():
    dataset = bundled()
    lon, lat = 67.01, 24.86
    rows = pd.DataFrame(
        {
            "lon": [lon] * 1481 + list(np.linspace(70, 72, 50)),
            "lat": [lat] * 1481 + list(np.linspace(31, 33, 50)),
            "killed": 0.0,
        }
    )
    projection = model_projection.Projection.for_area(list(dataset.boundaries.geometry))
    geojson, cells = geography.density(rows, projection)
    trace = maps.density_trace(geojson, cells, geography.HEX_KM)
    z = np.asarray(trace.z)
    single = z[cells["count"].to_numpy() == 1]
    assert len(single) and (single >= 0).all()
    # On a linear scale a cell of 1 would sit at 1/1481 of the range; on the log scale it sits above 0
    # and a cell of 2 is distinguishable from it by a tenth of the range.
    assert np.log10(2) / trace.zmax > 0.09
    assert trace.marker.opacity < 0.7, "the provinces' threat colours show through"
    assert "1,000" in trace.colorbar.ticktext


def test_milestone_labels_never_overlap():
    dates = pd.Series(pd.to_datetime(["2015-01-01", "2015-01-05", "2015-01-09", "2015-06-01", "2015-06-03"]))
    keep = lanes.milestone_labels(dates, "2014-01-01", "2018-12-31")
    assert list(keep) == [True, False, False, True, False]
    labelled = dates[keep].diff().dropna()
    assert (
        labelled >= pd.Timedelta(days=(pd.Timestamp("2018-12-31") - pd.Timestamp("2014-01-01")).days / 45)
    ).all()


def test_a_large_feed_on_the_timeline_is_aggregated():
    dataset = bundled()
    many = pd.concat([dataset.incidents] * 30, ignore_index=True)
    rows = lanes.lanes(dataset.events, many, style.family_colours(dataset.actors["family"]))
    assert len(many) > lanes.MAX_TIMELINE_MARKERS and (rows["kind"] == "incident").sum() == 0
    assert (rows["kind"] == "month").any()


def test_the_catalogues_schema_version_is_checked(data_copy: Path):
    path = data_copy / "catalog.json"
    catalog = json.loads(path.read_text(encoding="utf-8"))
    catalog["schema_version"] = "2.0"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    problems = [p for p in load_dataset(data_copy).problems if p.file == "catalog.json"]
    assert problems and problems[0].severity == "error" and "another major version" in problems[0].reason
    del catalog["schema_version"]
    path.write_text(json.dumps(catalog), encoding="utf-8")
    problems = [p for p in load_dataset(data_copy).problems if p.file == "catalog.json"]
    assert problems[0].severity == "warning" and "no schema_version" in problems[0].reason
    assert not [p for p in bundled().problems if p.file == "catalog.json"]


def test_validate_flags_a_source_url_whose_last_segment_is_a_host_name(data_copy: Path):
    assert mangled_urls("Dawn: https://www.dawn.com/news/1135430/i.dawn.com") == [
        "https://www.dawn.com/news/1135430/i.dawn.com"
    ]
    assert (
        mangled_urls("https://www.dawn.com/news/1135430 | https://megalodon.jp/2016/https://a.wordpress.com")
        == []
    )
    path = data_copy / "incidents.csv"
    text = path.read_text(encoding="utf-8").replace(
        "https://www.dawn.com/news/1090737", "https://www.dawn.com/news/1090737/cdnjs.cloudflare.com", 1
    )
    path.write_text(text, encoding="utf-8")
    result = georisk_cli("validate", str(data_copy))
    assert result.returncode == 1 and "ends in a host name" in result.stdout
    assert len(load_dataset(data_copy).incidents) == len(bundled().incidents), "the row is kept"
