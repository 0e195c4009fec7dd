"""Each curated file matches its catalogue entry (geodatasets style), and every table has one."""

from __future__ import annotations

import json

import pytest

from georisk.scenario.catalogue import measure
from georisk.scenario.schema import TABLES
from tests.conftest import DATA

CATALOG = json.loads((DATA / "catalog.json").read_text(encoding="utf-8"))
ENTRIES = CATALOG["files"]


def test_every_table_is_catalogued():
    assert sorted(ENTRIES) == sorted(spec.filename for spec in TABLES)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.filename)
def test_file_matches_catalogue(spec):
    entry = ENTRIES[spec.filename]
    for field in ("description", "source", "licence", "table"):
        assert entry.get(field), f"{spec.filename}: catalogue lacks {field}"
    assert entry["table"] == spec.name
    measured = measure(DATA / spec.filename)
    assert measured["rows"] == entry["rows"], "row count changed: run python -m georisk catalog data"
    assert measured["sha256"] == entry["sha256"], "file changed: run python -m georisk catalog data"
    assert measured["columns"] == entry["columns"]
    assert set(spec.required_columns) <= set(entry["columns"]) <= set(spec.columns)
    if spec.geometry:
        assert measured["geometry_types"] == entry["geometry_types"]


def test_boundaries_are_small_and_valid():
    import geopandas as gpd

    assert (DATA / "boundaries.geojson").stat().st_size <= 150 * 1024
    boundaries = gpd.read_file(DATA / "boundaries.geojson")
    assert boundaries.is_valid.all()
    assert "FATA" in set(boundaries["name"])


def test_every_record_has_source_and_confidence():
    for spec in TABLES:
        entry = ENTRIES[spec.filename]
        assert {"source", "confidence"} <= set(entry["columns"]), spec.filename
