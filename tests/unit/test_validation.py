"""Each validation rule fires on a broken copy of the bundled data, and only the bad row goes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from georisk.problems import ERROR, WARNING
from georisk.scenario.dataset import load_dataset
from tests.conftest import DATA, read_rows, set_cell, write_rows
from tests.support import bundled


def problems_at(dataset, file: str, row: int | None = None):
    return [p for p in dataset.problems if p.file == file and (row is None or p.row == row)]


def test_bundled_data_is_clean():
    dataset = bundled()
    assert dataset.problems == [], "\n".join(map(str, dataset.problems))


# (file, column, bad value, words the reason must contain)
ROW_RULES = [
    ("events.csv", "date", "2016-02-30", "ISO"),
    ("events.csv", "date", "15/12/2016", "ISO"),
    ("events.csv", "category", "sports", "not one of"),
    ("events.csv", "significance", "7", "outside 1 to 5"),
    ("events.csv", "significance", "high", "whole number"),
    ("events.csv", "source", "", "empty"),
    ("events.csv", "confidence", "", "empty"),
    ("events.csv", "confidence", "certain", "not one of"),
    ("events.csv", "site_ids", "no-such-site", "unknown site id"),
    ("events.csv", "province", "Atlantis", "unknown province"),
    ("incidents.csv", "lat", "north", "not a number"),
    ("incidents.csv", "lat", "95", "outside -90 to 90"),
    ("incidents.csv", "lat", "51.5", "outside Pakistan"),
    ("incidents.csv", "actor_family", "Martians", "unknown actor family"),
    ("incidents.csv", "killed", "-3", "outside 0"),
    ("incidents.csv", "killed", "2.5", "whole number"),
    ("incidents.csv", "attack_type", "cyber", "not one of"),
    ("incidents.csv", "province", "Atlantis", "unknown province"),
    ("actors.csv", "intent", "furious", "not one of"),
    ("actors.csv", "areas", "Atlantis", "unknown province"),
    ("threat_levels.csv", "level", "6", "outside 1 to 5"),
    ("threat_levels.csv", "period_end", "2000-01-01", "before period_start"),
    ("threat_levels.csv", "actor_family", "Martians", "unknown actor family"),
    ("threat_levels.csv", "confidence", "confirmed", "not one of"),
    ("indicators.csv", "year", "twenty", "whole number"),
    ("indicators.csv", "value", "lots", "not a number"),
    ("indicators.csv", "sector", "sports", "not one of"),
    ("judgments.csv", "evidence_event_ids", "E999", "unknown event id"),
    ("judgments.csv", "likelihood_term", "maybe", "unknown likelihood term"),
    ("judgments.csv", "probability_band", "1–2%", "does not match"),
    ("estimative_scale.csv", "min_pct", "101", "outside 0 to 100"),
]


@pytest.mark.parametrize("file,column,value,reason", ROW_RULES)
def test_row_rule_rejects_only_the_bad_row(data_copy: Path, file, column, value, reason):
    good = len(read_rows(DATA / file))
    row = set_cell(data_copy / file, 0, column, value)
    dataset = load_dataset(data_copy)
    found = problems_at(dataset, file, row)
    assert found, f"no problem reported for {file} row {row}"
    assert any(reason in p.reason for p in found), [str(p) for p in found]
    assert all(p.severity == ERROR for p in found)
    # Only that row is lost (a judgment or event losing a row may cascade to its references).
    table = dataset.tables[file.split(".")[0]]
    assert len(table.frame) == good - 1
    assert row not in table.frame.index


def test_swapped_coordinates_are_named(data_copy: Path):
    path = data_copy / "incidents.csv"
    rows = read_rows(path)
    rows[0]["lat"], rows[0]["lon"] = rows[0]["lon"], rows[0]["lat"]
    write_rows(path, rows)
    (problem,) = problems_at(load_dataset(data_copy), "incidents.csv", 2)
    assert "swapped" in problem.reason


def test_duplicate_id_keeps_the_first(data_copy: Path):
    path = data_copy / "events.csv"
    rows = read_rows(path)
    rows[3]["event_id"] = rows[0]["event_id"]
    write_rows(path, rows)
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "events.csv", 5)
    assert "duplicate id" in problem.reason
    assert 2 in dataset.events.index


def test_overlapping_threat_periods(data_copy: Path):
    path = data_copy / "threat_levels.csv"
    rows = read_rows(path)
    clone = dict(rows[0], threat_id="T-clone")
    write_rows(path, rows + [clone])
    (problem,) = problems_at(load_dataset(data_copy), "threat_levels.csv", len(rows) + 2)
    assert "overlaps" in problem.reason


def test_missing_column_makes_file_unusable_but_others_load(data_copy: Path):
    path = data_copy / "events.csv"
    rows = read_rows(path)
    for row in rows:
        del row["source"]
    write_rows(path, rows)
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "events.csv")
    assert problem.row is None and "missing required column(s): source" in problem.reason
    assert dataset.events.empty
    assert len(dataset.incidents) == len(read_rows(DATA / "incidents.csv"))


def test_extra_column_is_a_warning(data_copy: Path):
    path = data_copy / "incidents.csv"
    rows = [dict(r, colour="red") for r in read_rows(path)]
    write_rows(path, rows)
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "incidents.csv")
    assert problem.severity == WARNING and problem.column == "colour"
    assert len(dataset.incidents) == len(rows)


def test_wrong_delimiter_is_explained(data_copy: Path):
    path = data_copy / "actors.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    (problem,) = problems_at(load_dataset(data_copy), "actors.csv")
    assert "';' as delimiter" in problem.reason


def test_ragged_row_is_rejected(data_copy: Path):
    path = data_copy / "indicators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "indicators.csv", 2)
    assert "fields" in problem.reason
    assert len(dataset.indicators) == len(lines) - 2


def test_missing_file_is_reported(data_copy: Path):
    (data_copy / "judgments.csv").unlink()
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "judgments.csv")
    assert "not found" in problem.reason
    assert list(dataset.judgments.columns)[:2] == ["judgment_id", "statement"]


def test_invalid_geometry_is_rejected(data_copy: Path):
    path = data_copy / "sites.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[67.0, 25.0], [68.0, 26.0], [68.0, 25.0], [67.0, 26.0], [67.0, 25.0]]],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = load_dataset(data_copy)
    (problem,) = problems_at(dataset, "sites.geojson", 1)
    assert "Self-intersection" in problem.reason
    assert len(dataset.sites) == len(document["features"]) - 1


def test_site_outside_country_is_rejected(data_copy: Path):
    path = data_copy / "sites.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][0]["geometry"] = {"type": "Point", "coordinates": [37.6, 55.75]}
    path.write_text(json.dumps(document), encoding="utf-8")
    (problem,) = problems_at(load_dataset(data_copy), "sites.geojson", 1)
    assert "outside Pakistan" in problem.reason


def test_boundaries_missing_skips_geographic_rules_with_a_warning(data_copy: Path):
    (data_copy / "boundaries.geojson").unlink()
    dataset = load_dataset(data_copy)
    reasons = [p.reason for p in problems_at(dataset, "boundaries.geojson")]
    assert any("not checked" in r for r in reasons)
    assert len(dataset.incidents) == len(read_rows(DATA / "incidents.csv"))


def test_a_province_named_after_it_ceased_to_exist_is_flagged(data_copy: Path):
    rows = read_rows(data_copy / "incidents.csv")
    index = next(i for i, r in enumerate(rows) if r["province"] == "FATA")
    rows[index]["date"] = "2018-07-01"
    write_rows(data_copy / "incidents.csv", rows)
    problems = [p for p in load_dataset(data_copy).problems if p.file == "incidents.csv"]
    (problem,) = problems
    assert problem.severity == "warning" and problem.row == index + 2
    assert "FATA no longer existed on 2018-07-01" in problem.reason and "Khyber Pakhtunkhwa" in problem.reason
