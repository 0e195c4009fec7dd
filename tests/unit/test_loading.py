"""Reading files as they come: encodings, byte-order marks, blank cells, GeoJSON shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from georisk.problems import WARNING
from georisk.scenario.reading import load_table
from georisk.scenario.schema import BOUNDARIES, EVENTS, INCIDENTS, THREAT_SCALE
from tests.conftest import DATA, set_cell


def test_byte_order_mark_is_accepted(tmp_path: Path):
    (tmp_path / "threat_scale.csv").write_bytes(b"\xef\xbb\xbf" + (DATA / "threat_scale.csv").read_bytes())
    table = load_table(tmp_path, THREAT_SCALE)
    assert table.problems == []
    assert list(table.frame["level"]) == [1, 2, 3, 4, 5]


def test_latin1_file_loads_with_a_warning(tmp_path: Path):
    text = (DATA / "threat_scale.csv").read_text(encoding="utf-8").replace("Severe", "Sévère")
    (tmp_path / "threat_scale.csv").write_bytes(text.encode("latin-1"))
    table = load_table(tmp_path, THREAT_SCALE)
    (problem,) = table.problems
    assert problem.severity == WARNING and "UTF-8" in problem.reason
    assert "Sévère" in set(table.frame["label"])


def test_empty_and_header_only_files(tmp_path: Path):
    (tmp_path / "events.csv").write_text("", encoding="utf-8")
    table = load_table(tmp_path, EVENTS)
    assert table.frame.empty and "empty" in table.problems[0].reason

    header = (DATA / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "events.csv").write_text(header + "\n", encoding="utf-8")
    table = load_table(tmp_path, EVENTS)
    assert table.frame.empty
    assert [p.reason for p in table.problems] == ["the file has a header but no rows"]


def test_bad_row_keeps_column_types(tmp_path: Path):
    lines = (DATA / "events.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("date")] = "sometime"
    (tmp_path / "events.csv").write_text(
        "\n".join([lines[0], ",".join(broken), *lines[2:]]), encoding="utf-8"
    )
    table = load_table(tmp_path, EVENTS)
    assert str(table.frame["date"].dtype).startswith("datetime64")
    assert str(table.frame["significance"].dtype) == "Int64"


def write_geojson(folder: Path, document) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    (folder / "boundaries.geojson").write_text(text, encoding="utf-8")


def test_geojson_file_level_errors(tmp_path: Path):
    cases = {
        "{not json": "not valid JSON",
        json.dumps({"type": "Feature"}): "not a GeoJSON FeatureCollection",
        json.dumps(
            {"type": "FeatureCollection", "crs": {"properties": {"name": "EPSG:32642"}}, "features": []}
        ): "CRS other than WGS84",
    }
    for text, reason in cases.items():
        write_geojson(tmp_path, text)
        table = load_table(tmp_path, BOUNDARIES)
        assert table.frame.empty
        assert reason in table.problems[0].reason


def test_geojson_feature_errors(tmp_path: Path):
    good = json.loads((DATA / "boundaries.geojson").read_text(encoding="utf-8"))["features"]
    projected = {"type": "Point", "coordinates": [350000.0, 2750000.0]}
    features = [
        dict(good[0], geometry=None),
        dict(good[1], geometry=projected),
        *good[2:],
    ]
    write_geojson(tmp_path, {"type": "FeatureCollection", "features": features})
    table = load_table(tmp_path, BOUNDARIES)
    reasons = {p.row: p.reason for p in table.problems}
    assert "without geometry" in reasons[1]
    assert "projected" in reasons[2]
    assert len(table.frame) == len(good) - 2


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [("lat", "north", "f"), ("date", "last spring", "M"), ("killed", "many", "i")],
)
def test_one_bad_value_rejects_its_row_not_the_column_type(data_copy: Path, column, value, kind):
    """A word in a numeric or date column: that row is rejected and reported, the column keeps
    its type for every other row (it does not silently become text)."""
    row = set_cell(data_copy / "incidents.csv", 4, column, value)
    table = load_table(data_copy, INCIDENTS)
    assert table.frame[column].dtype.kind == kind, table.frame[column].dtype
    assert row not in table.frame.index
    assert [(p.row, p.column) for p in table.problems] == [(row, column)]
    assert len(table.frame) == len(load_table(DATA, INCIDENTS).frame) - 1


def test_a_parquet_table_read_in_batches_keeps_and_rejects_what_it_would_whole(tmp_path, monkeypatch):
    """Imported feeds are read and validated in batches (memory): the same rows are kept, and the
    same problems found, whatever the batch size, an id repeated across batches included."""
    from georisk.scenario import reading
    from georisk.scenario.schema import INCIDENTS
    from tests.support import bundled

    rows = bundled().incidents.head(12).reset_index(drop=True)
    rows.loc[9, "incident_id"] = rows.loc[1, "incident_id"]  # repeated, in another batch of 4
    rows.loc[6, "killed"] = -3  # out of range
    rows["source_row"] = range(2, len(rows) + 2)
    rows.to_parquet(tmp_path / "incidents.parquet")

    def load(batch: int):
        monkeypatch.setattr(reading, "PARQUET_BATCH", batch)
        table = reading.load_parquet_table(tmp_path / "incidents.parquet", INCIDENTS)
        return table.frame, sorted((p.row, p.column) for p in table.problems), sorted(table.dropped.index)

    whole, problems, dropped = load(1_000)
    assert problems == [(8, "killed"), (11, "incident_id")] and dropped == [8, 11]
    assert len(whole) == 10
    for batch in (1, 4, 5):
        frame, found, gone = load(batch)
        assert (found, gone) == (problems, dropped), batch
        assert frame.equals(whole), batch
