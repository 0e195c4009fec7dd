"""Hostile curated files (issue 14): each class gives a reported problem for its file or row, never
a traceback, and the other files (and rows) still load.

Small hand-made files live in tests/corpus/curated/; large ones are generated here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from georisk.model import context
from georisk.names import clean, name_key
from georisk.problems import ERROR, WARNING
from georisk.scenario import catalogue, reading
from georisk.scenario.dataset import load_dataset
from georisk.scenario.reading import (
    MAX_CELL_CHARS,
    MAX_FEATURE_VERTICES,
    MAX_JSON_DEPTH,
    count_vertices,
    csv_records,
    load_json,
    load_table,
    read_csv_records,
    read_geojson_features,
)
from georisk.scenario.schema import EVENTS, INCIDENTS, SITES, TABLES, THREAT_SCALE, DateWindow, date_window
from tests.conftest import DATA, georisk_cli, read_rows, write_rows
from tests.support import bundled

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "curated"
BASELINE = bundled()


def full_size(name: str) -> int:
    return len(BASELINE.tables[name].frame)


def assert_others_load(dataset, broken: str | None) -> None:
    for name, table in dataset.tables.items():
        if name != broken:
            assert len(table.frame) == full_size(name), f"{name} lost rows because {broken} is broken"


def messages(dataset_or_table) -> str:
    return "\n".join(str(p) for p in dataset_or_table.problems)


def deep_list(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- 1. deep JSON and a catalogue of the wrong shape -----------------------------------------------


@pytest.mark.parametrize("file", ["sites.geojson", "boundaries.geojson"])
def test_deeply_nested_geojson_is_a_problem_of_its_file(data_copy: Path, file: str):
    (data_copy / file).write_text(deep_list(100_000), encoding="utf-8")
    dataset = load_dataset(data_copy)
    table = next(t for t in dataset.tables.values() if t.spec.filename == file)
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in messages(table)
    assert table.frame.empty
    if file == "sites.geojson":  # without boundaries nothing else can be checked in place
        assert_others_load(dataset, "sites")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 5, 900, 5_000])
def test_deep_coordinates_of_one_feature(data_copy: Path, depth: int):
    """Coordinates nested deep: within the limit shapely refuses the feature (one row); beyond it
    the file is refused with the reason. Never a RecursionError from json or shapely."""
    path = data_copy / "sites.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][0]["geometry"] = {"type": "LineString", "coordinates": "PLACEHOLDER"}
    path.write_text(json.dumps(document).replace('"PLACEHOLDER"', deep_list(depth)), encoding="utf-8")
    table = load_table(data_copy, SITES)
    if depth > MAX_JSON_DEPTH:
        assert "nested deeper than" in messages(table)
    else:
        assert [(p.row, p.column) for p in table.problems if p.severity == ERROR] == [(1, "geometry")]
        assert len(table.frame) == full_size("sites") - 1


def test_deep_property_value_is_text_not_a_crash(data_copy: Path):
    path = data_copy / "sites.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][0]["properties"]["name"] = "PLACEHOLDER"
    path.write_text(json.dumps(document).replace('"PLACEHOLDER"', deep_list(40)), encoding="utf-8")
    table = load_table(data_copy, SITES)
    assert len(table.frame) == full_size("sites")  # a name that is a list reads as its text


def test_deeply_nested_catalogue(data_copy: Path):
    (data_copy / "catalog.json").write_text('{"scenario": ' + deep_list(100_000) + "}", encoding="utf-8")
    dataset = load_dataset(data_copy)
    assert "catalog.json: unreadable catalogue: nested deeper than" in messages(dataset)
    assert_others_load(dataset, None)


def test_catalogue_tools_refuse_deep_json_with_a_reason(data_copy: Path):
    (data_copy / "sites.geojson").write_text(deep_list(100_000), encoding="utf-8")
    with pytest.raises(ValueError, match="nested deeper"):
        catalogue.measure(data_copy / "sites.geojson")
    (data_copy / "catalog.json").write_text('{"files": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="'files' is not an object"):
        catalogue.update(data_copy)
    done = georisk_cli("catalog", str(data_copy))
    assert done.returncode == 1 and "'files' is not an object" in done.stderr
    assert "Traceback" not in done.stderr


def test_hand_made_features_of_the_wrong_shape(tmp_path: Path):
    shutil.copy(CORPUS / "sites_bad_properties.geojson", tmp_path / "sites.geojson")
    table = load_table(tmp_path, SITES)
    reasons = {p.row: p.reason for p in table.problems}
    assert reasons == {
        1: "the properties are not a JSON object",
        2: "the properties are not a JSON object",
        3: "unreadable geometry: not a GeoJSON geometry object",
        4: "coordinates are not finite numbers",
        5: reasons[5],
        6: "not a GeoJSON Feature",
    }
    assert reasons[5].startswith("unreadable geometry")
    assert table.frame.empty


CATALOG_CASES = {
    "catalog_scenario_is_text.json": ["scenario: is text, expected an object"],
    "catalog_wrong_types.json": [
        "column schema_version: is a list, expected text",
        "scenario.title: is null, expected text",
        "scenario.country: is an object, expected text",
        "scenario.partner_country: is a number, expected text",
        "scenario.district_km: is text, expected a positive number",
        "scenario.cooperation_index_weights: is a list, expected an object",
        "scenario.date_windows: incidents: is text, expected a list of two dates",
        "files.events.csv.source: is a list, expected text",
        "files.events.csv.rows: is text, expected a whole number",
        "files.events.csv.columns: is text, expected a list of texts",
    ],
    "catalog_files_is_list.json": [
        "files: is a list, expected an object",
        "is -5, expected a positive number",
    ],
    "catalog_bad_windows.json": ["9999-12-31 is not an ISO date from 1678-01-01 to 2261-12-31"],
    "catalog_top_level_list.json": ["the catalogue is not a JSON object"],
}


@pytest.mark.parametrize("name", sorted(CATALOG_CASES))
def test_catalogue_of_the_wrong_shape(data_copy: Path, name: str):
    shutil.copy(CORPUS / name, data_copy / "catalog.json")
    dataset = load_dataset(data_copy)
    text = messages(dataset)
    for expected in CATALOG_CASES[name]:
        assert expected in text, text
    assert_others_load(dataset, None)
    # What the consumers read has its declared type (or is absent).
    scenario = dataset.scenario
    assert isinstance(scenario, dict)
    for key in ("title", "country", "partner_country", "licence"):
        assert isinstance(scenario.get(key, ""), str)
    assert isinstance(dataset.country, str)
    assert context.district_km_of(scenario) is None
    assert all(isinstance(w, DateWindow) for w in dataset.date_windows.values())
    assert all(isinstance(entry, dict) for entry in dataset.catalog.get("files", {}).values())
    dataset.sources_text()
    dataset.files_table()


def test_catalogue_fields_are_checked_values(data_copy: Path):
    path = data_copy / "catalog.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["scenario"]["cooperation_index_weights"]["joint_exercises"] = "heavy"
    document["scenario"]["colour"] = "red"
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = load_dataset(data_copy)
    (problem,) = [p for p in dataset.problems if p.column == "scenario.cooperation_index_weights"]
    assert problem.severity == ERROR and "joint_exercises" in problem.reason
    assert "cooperation_index_weights" not in dataset.scenario
    (unknown,) = [p for p in dataset.problems if p.column == "scenario.colour"]
    assert unknown.severity == WARNING
    assert dataset.scenario["district_km"] == 88.0  # the good fields stay


# --- 2. huge cells and unclosed quotes -------------------------------------------------------------


@pytest.mark.parametrize("size", [MAX_CELL_CHARS + 1, 200_000, 10_000_000])
@pytest.mark.parametrize("quoted", [False, True])
def test_one_huge_cell_rejects_only_its_row(data_copy: Path, size: int, quoted: bool):
    path = data_copy / "events.csv"
    rows = read_rows(path)
    # Quoted with line breaks inside, or plain text that the writer leaves unquoted.
    rows[3]["summary"] = ("x" * 999 + "\n") * (size // 1000 + 1) if quoted else "x" * size
    write_rows(path, rows)
    table = load_table(data_copy, EVENTS)
    assert [(p.row, p.column, p.reason) for p in table.problems] == [
        (5, "summary", f"cell longer than {MAX_CELL_CHARS:,} characters")
    ]
    assert len(table.frame) == full_size("events") - 1
    assert rows[3]["event_id"] in set(table.dropped["event_id"])  # its id is still known


def test_a_huge_header_cell_is_a_file_problem(tmp_path: Path):
    (tmp_path / "events.csv").write_text("event_id," + "d" * 300_000 + "\nE1,x\n", encoding="utf-8")
    table = load_table(tmp_path, EVENTS)
    assert table.frame.empty and table.problems[0].row is None


@pytest.mark.parametrize(
    ("closed_later_on_its_line", "reason"),
    [(False, "a quote opened in this cell is not closed"), (True, "fields, the header has 17")],
)
def test_an_unbalanced_quote_rejects_its_row_and_the_rest_still_loads(
    data_copy: Path, closed_later_on_its_line: bool, reason: str
):
    """A quote opened at the start of a title: either nothing on its line closes it (it would
    swallow the next rows), or a later quote on the line does (the row then splits wrongly)."""
    path = data_copy / "events.csv"
    rows = read_rows(path)
    index = 6  # the row's line in the file
    if not closed_later_on_its_line:  # a row that needs no quotes of its own
        rows[index - 1] = {k: v.replace(",", ";").replace('"', "'") for k, v in rows[index - 1].items()}
    write_rows(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert ('"' in lines[index]) == closed_later_on_its_line
    position = lines[0].split(",").index("title")
    cells = lines[index].split(",")
    lines[index] = ",".join([*cells[:position], '"' + cells[position], *cells[position + 1 :]])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = load_table(data_copy, EVENTS)
    errors = [p for p in table.problems if p.severity == ERROR]
    assert [p.row for p in errors] == [index + 1]
    assert reason in errors[0].reason
    assert errors[0].column == (None if closed_later_on_its_line else "title")
    assert len(table.frame) == full_size("events") - 1


def test_hand_made_unclosed_quote(tmp_path: Path):
    shutil.copy(CORPUS / "threat_scale_unclosed_quote.csv", tmp_path / "threat_scale.csv")
    table = load_table(tmp_path, THREAT_SCALE)
    assert [(p.row, p.column) for p in table.problems] == [(2, "definition")]
    assert list(table.frame["level"]) == [2, 3, 4, 5]


def test_records_keep_legitimate_line_breaks():
    text = 'a,b,c\n1,"two\nlines",3\n4,"quoted, with comma",6\n'
    assert [r.cells for r in csv_records(text)] == [
        ["a", "b", "c"],
        ["1", "two\nlines", "3"],
        ["4", "quoted, with comma", "6"],
    ]
    assert all(r.problem is None for r in csv_records(text))


# --- 3. plausible date windows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "column", "value", "reason"),
    [
        ("incidents.csv", "date", "2999-01-01", "2999-01-01 is after the plausible window for incidents"),
        ("incidents.csv", "date", "0001-01-01", "0001-01-01 is before the plausible window for incidents"),
        ("incidents.csv", "date", "1969-12-31", "before the plausible window for incidents (1970-01-01 to"),
        ("events.csv", "date", "9999-12-31", "9999-12-31 is after the plausible window for events"),
        ("events.csv", "date", "1066-10-14", "before the plausible window for events (1900-01-01 to"),
        (
            "threat_levels.csv",
            "period_end",
            "2262-04-12",
            "after the plausible window for threat_levels period_end",
        ),
        ("threat_levels.csv", "period_start", "1677-09-21", "before the plausible window for threat_levels"),
        ("indicators.csv", "year", "1", "year 1 is before the plausible window for indicators"),
        ("indicators.csv", "year", "2999", "year 2999 is after the plausible window for indicators"),
        (
            "actor_aliases.csv",
            "valid_to",
            "9999-01-01",
            "after the plausible window for actor_aliases valid_to",
        ),
    ],
)
def test_implausible_dates_reject_their_row(data_copy: Path, file, column, value, reason):
    path = data_copy / file
    rows = read_rows(path)
    rows[0][column] = value
    write_rows(path, rows, list(rows[0]))
    dataset = load_dataset(data_copy)
    name = file.split(".")[0]
    problems = [p for p in dataset.tables[name].problems if p.row == 2]
    assert any(reason in p.reason and p.column == column for p in problems), messages(dataset)
    assert 2 not in dataset.tables[name].frame.index


def test_implausible_site_and_boundary_dates(data_copy: Path):
    for file, column, value in [
        ("sites.geojson", "announced_date", "0999-01-01"),
        ("boundaries.geojson", "valid_to", "9000-01-01"),
    ]:
        path = data_copy / file
        document = json.loads(path.read_text(encoding="utf-8"))
        document["features"][0]["properties"][column] = value
        path.write_text(json.dumps(document), encoding="utf-8")
    text = messages(load_dataset(data_copy))
    assert "0999-01-01 is before the plausible window for sites (1900-01-01 to" in text
    assert "9000-01-01 is after the plausible window for boundaries valid_to" in text


def test_historical_events_are_plausible(data_copy: Path):
    path = data_copy / "events.csv"
    rows = read_rows(path)
    rows[0]["date"], rows[0]["date_precision"] = "1948-05-01", "month"
    write_rows(path, rows)
    assert 2 in load_table(data_copy, EVENTS).frame.index


def test_windows_are_configured_per_scenario(data_copy: Path):
    path = data_copy / "catalog.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["scenario"]["date_windows"] = {
        "events": ["2015-01-01", "2030-12-31"],
        "incidents.date": ["1989-01-01", "2017-06-30"],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    dataset = load_dataset(data_copy)
    assert dataset.date_window("incidents") == DateWindow(
        *(__import__("datetime").date.fromisoformat(d) for d in ("1989-01-01", "2017-06-30"))
    )
    early = BASELINE.events["date"] < "2015-01-01"
    assert len(dataset.events) == full_size("events") - int(early.sum())
    assert "is before the plausible window for events (2015-01-01 to 2030-12-31)" in messages(dataset)
    assert dataset.incidents["date"].max() <= np.datetime64("2017-06-30")


def test_date_window_function():
    window = date_window("incidents")
    assert str(window.start) == "1970-01-01" and window.end.month == 12 and window.end.day == 31
    assert date_window("threat_levels", "period_end").end > window.end  # ratings may look ahead
    custom = DateWindow(window.start, window.end)
    assert date_window("incidents", "date", {"incidents": custom}) is custom
    with pytest.raises(KeyError):
        date_window("judgments")  # the horizon is a period in words, not a date
    for spec in TABLES:
        for column in spec.window_columns:
            w = date_window(spec.name, column)
            assert 1678 <= w.start.year <= w.end.year <= 2261  # inside pandas' Timestamp range


def test_bundled_dates_are_plausible():
    assert not [p for p in BASELINE.problems if "plausible window" in p.reason]


# --- 4. geometry within budget ---------------------------------------------------------------------


def _set_site_geometry(data_dir: Path, geometry: dict, index: int = 0) -> None:
    path = data_dir / "sites.geojson"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["features"][index]["geometry"] = geometry
    path.write_text(json.dumps(document), encoding="utf-8")


def _wiggly_line(n: int) -> list[list[float]]:
    t = np.linspace(0, 1, n)  # Karachi towards Lahore, with sub-metre noise
    return np.c_[67.0 + 7.3 * t, 24.9 + 6.6 * t + 1e-6 * np.sin(t * 7919)].round(7).tolist()


def test_a_feature_over_budget_is_simplified_with_a_warning(data_copy: Path):
    _set_site_geometry(data_copy, {"type": "LineString", "coordinates": _wiggly_line(50_000)})
    table = load_table(data_copy, SITES)
    (warning,) = [p for p in table.problems if p.row == 1]
    assert warning.severity == WARNING and warning.column == "geometry"
    assert "simplified from 50,000 to" in warning.reason and "tolerance 0.0001°" in warning.reason
    assert 1 in table.frame.index
    assert table.frame.geometry.loc[1].coords.__len__() <= MAX_FEATURE_VERTICES


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "LineString", "coordinates": _wiggly_line(1_000_000)}, "too many to simplify"),
        (
            {"type": "MultiPoint", "coordinates": _wiggly_line(MAX_FEATURE_VERTICES + 10)},
            "even when simplified",
        ),
    ],
    ids=["a million vertices", "points cannot be simplified"],
)
def test_a_feature_that_cannot_be_brought_within_budget_is_refused(data_copy: Path, geometry, reason):
    _set_site_geometry(data_copy, geometry)
    table = load_table(data_copy, SITES)
    (problem,) = [p for p in table.problems if p.row == 1]
    assert problem.severity == ERROR and reason in problem.reason
    assert len(table.frame) == full_size("sites") - 1


def test_features_beyond_the_file_budget_are_refused(data_copy: Path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_VERTICES", 12)  # the pipeline has 11, the points 1 each
    table = load_table(data_copy, SITES)
    refused = [p for p in table.problems if "budget of 12 vertices" in p.reason]
    assert [p.row for p in refused] == [3, 4, 5]
    assert len(table.frame) == 2


def test_counting_vertices_from_json():
    assert count_vertices({"type": "Point", "coordinates": [1, 2]}) == 1
    assert count_vertices({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}) == 4
    collection = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            {"type": "Point", "coordinates": [0, 0]},
        ],
    }
    assert count_vertices(collection) == 3
    assert count_vertices({"type": "Point", "coordinates": "nonsense"}) == 0


def test_bundled_geometry_is_within_budget():
    assert not [p for p in BASELINE.problems if p.column == "geometry"]


# --- 5. text that cannot disguise itself -----------------------------------------------------------


def test_clean():
    assert clean("energy\u200b") == "energy"
    assert clean("\ufeffSindh\u202e") == "Sindh"
    assert clean("ｅｎｅｒｇｙ") == "energy"
    assert clean("under\u00a0 construction ") == "under construction"
    assert clean("TTP\u2066\u2069") == "TTP" and clean("E0\u00ad01") == "E001"
    assert name_key("Ansar al\u200b-Sharia (Pakistan)") == "ansar al sharia pakistan"


@pytest.mark.parametrize(
    ("file", "column", "dirty", "clean_value"),
    [
        ("events.csv", "sector", "energy\u200b", "energy"),
        ("events.csv", "category", "\u202ediplomatic", "diplomatic"),
        ("events.csv", "date_precision", "ｄａｙ", "day"),
        ("incidents.csv", "confidence", "reported\u2069", "reported"),
        ("incidents.csv", "actor_family", None, None),  # filled below with the row's own family
        ("incidents.csv", "province", None, None),
        ("threat_levels.csv", "threat_id", None, None),
    ],
)
def test_invisible_characters_do_not_break_matching(data_copy: Path, file, column, dirty, clean_value):
    path = data_copy / file
    rows = read_rows(path)
    if dirty is None:
        clean_value = rows[0][column]
        dirty = "\u200d" + clean_value[:1] + "\u00ad" + clean_value[1:] + "\ufeff"
    rows[0][column] = dirty
    write_rows(path, rows)
    dataset = load_dataset(data_copy)
    name = file.split(".")[0]
    assert not [p for p in dataset.tables[name].problems if p.row == 2], messages(dataset)
    assert dataset.tables[name].frame.at[2, column] == clean_value


def test_invisible_characters_in_a_header_and_in_a_site(data_copy: Path):
    path = data_copy / "events.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("event_id", "event_id\u200b", 1), encoding="utf-8")
    sites = data_copy / "sites.geojson"
    document = json.loads(sites.read_text(encoding="utf-8"))
    document["features"][0]["properties"]["status"] = "operational\u200b"
    document["features"][0]["properties"]["status"] = "under\u00a0construction\u2060"
    sites.write_text(json.dumps(document), encoding="utf-8")
    dataset = load_dataset(data_copy)
    assert len(dataset.events) == full_size("events")
    assert dataset.sites.at[1, "status"] == "under construction"


def test_displayed_text_cannot_disguise_itself(data_copy: Path):
    """Free text keeps its letters (full-width ones too: no NFKC for what is shown), but a direction
    override is shown as a marker and a zero-width space is dropped, with a warning at its cell."""
    path = data_copy / "events.csv"
    rows = read_rows(path)
    rows[0]["title"] = "Talks ｉｎ Moscow\u200b"
    rows[1]["summary"] = "Signed at \u202eigroeG\u202c with care"
    write_rows(path, rows)
    table = load_table(data_copy, EVENTS)
    assert table.frame.at[2, "title"] == "Talks ｉｎ Moscow"
    assert table.frame.at[3, "summary"] == "Signed at ⟨U+202E⟩igroeG⟨U+202C⟩ with care"
    warned = {(p.row, p.column): p for p in table.problems}
    assert warned[(2, "title")].severity == WARNING and "U+200B" in warned[(2, "title")].reason
    assert "U+202C, U+202E" in warned[(3, "summary")].reason
    assert len(table.frame) == full_size("events"), "a warning, not a rejection"


# --- 6. arbitrary input never raises ---------------------------------------------------------------

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = (DATA / "incidents.csv").read_text(encoding="utf-8").splitlines()[0]
CSV_ALPHABET = st.sampled_from(list(',"\n\r;\t ab1-2\u200b\u202eé\x00\ufeff'))


def _read(payload: bytes, filename: str, reader, spec):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        path.write_bytes(payload)
        frame, problems = reader(path, spec)
        assert frame is not None or problems
        table = load_table(Path(folder), spec)
        assert all(hasattr(p, "reason") for p in table.problems)
        return frame, problems


@FUZZ
@given(st.binary(max_size=2_000))
def test_csv_reader_takes_any_bytes(payload: bytes):
    _read(payload, "incidents.csv", read_csv_records, INCIDENTS)


@FUZZ
@given(st.text(CSV_ALPHABET, max_size=400))
def test_csv_reader_takes_any_text_under_a_real_header(body: str):
    _read((HEADER + "\n" + body).encode("utf-8"), "incidents.csv", read_csv_records, INCIDENTS)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
GEOMETRY_TYPES = st.sampled_from(
    ["Point", "LineString", "Polygon", "MultiPolygon", "GeometryCollection", "x"]
)


@st.composite
def feature_collections(draw) -> object:
    """Mostly the right shape with wrong insides, sometimes anything at all."""
    if draw(st.booleans()):
        return draw(JSON_VALUES)
    feature = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Feature", "feature"]),
            "properties": JSON_VALUES,
            "geometry": st.fixed_dictionaries({"type": GEOMETRY_TYPES, "coordinates": JSON_VALUES})
            | JSON_VALUES,
        }
    )
    return {"type": "FeatureCollection", "features": draw(st.lists(feature, max_size=4))}


@FUZZ
@given(feature_collections())
def test_geojson_reader_takes_any_json(document):
    _read(json.dumps(document).encode("utf-8"), "sites.geojson", read_geojson_features, SITES)


@FUZZ
@given(
    st.binary(max_size=1_000)
    | st.text(st.sampled_from(list('[]{}",:0 1.e-"\\ntrue')), max_size=300).map(str.encode)
)
def test_geojson_reader_takes_any_bytes(payload: bytes):
    _read(payload, "sites.geojson", read_geojson_features, SITES)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["schema_version", "scenario", "files", "x"]), JSON_VALUES, max_size=3)
)
def test_catalogue_reader_takes_any_json(document):
    checked, problems = catalogue.check_catalog(document)
    assert isinstance(checked, dict) and all(hasattr(p, "reason") for p in problems)


@FUZZ
@given(st.text(st.sampled_from(list('[]{}"\\a,:1')), max_size=300))
def test_json_depth_matches_the_parser(text: str):
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return
    loaded = load_json(text)  # a text Python parses is read alike (it is shallow here)
    assert loaded == json.loads(text)
