"""The bad-input corpus (tests/corpus/cases.toml): every case gives its message, and the good rows
still load."""

from __future__ import annotations

import io
import json
import tomllib
import urllib.parse
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds
from georisk.feeds.reading import FeedError
from georisk.link import parse_link
from georisk.scenario.dataset import load_dataset
from georisk.view import choices_for
from tests.conftest import DATA, read_rows, write_rows
from tests.support import ACLED_HEADER, BASELINE, GTD_COLUMNS, acled_row

CASES = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "corpus" / "cases.toml").read_text(encoding="utf-8")
)["case"]


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)


# --- breaking a data file --------------------------------------------------------------------------


def _geojson(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _first_geometry(geometry):
    def change(document):
        document["features"][0]["geometry"] = geometry

    return change


def _big(path: Path) -> None:
    """At least 50 MB: the incidents repeated with new ids, one row broken."""
    rows = read_rows(path)
    size = len(path.read_bytes())
    copies = [dict(row, incident_id=f"BIG{n:07d}") for n, row in enumerate(rows * (int(50e6 / size) + 1))]
    copies[5]["date"] = "yesterday"
    write_rows(path, copies)
    assert path.stat().st_size >= 50e6


def break_file(folder: Path, case: dict) -> None:
    path = folder / case["file"]
    how = case["break"]
    if how == "drop_column":
        rows = read_rows(path)
        write_rows(path, [{k: v for k, v in r.items() if k != case["column"]} for r in rows])
    elif how == "add_column":
        write_rows(path, [dict(r, **{case["column"]: "x"}) for r in read_rows(path)])
    elif how == "set_cell":
        rows = read_rows(path)
        rows[0][case["column"]] = case["value"]
        write_rows(path, rows)
    elif how == "swap_latlon":
        rows = read_rows(path)
        rows[0]["lat"], rows[0]["lon"] = rows[0]["lon"], rows[0]["lat"]
        write_rows(path, rows)
    elif how == "duplicate_id":
        rows = read_rows(path)
        rows[1]["event_id"] = rows[0]["event_id"]
        write_rows(path, rows)
    elif how == "empty":
        path.write_text("", encoding="utf-8")
    elif how == "header_only":
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    elif how == "delimiter":
        path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    elif how == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif how == "latin1":
        rows = read_rows(path)
        rows[0]["title"] = "Café à Islamabad"
        write_rows(path, rows)
        path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    elif how == "big":
        _big(path)
    elif how == "ragged":
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[1] += ",one too many"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif how == "overlap":
        rows = read_rows(path)
        write_rows(path, rows + [dict(rows[0], threat_id="T-overlap")])
    elif how == "invalid_json":
        path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    elif how == "not_collection":
        _geojson(path, lambda d: d.update(type="GeometryCollection"))
    elif how == "self_intersecting":
        _geojson(
            path,
            _first_geometry(
                {"type": "Polygon", "coordinates": [[[67, 25], [68, 26], [68, 25], [67, 26], [67, 25]]]}
            ),
        )
    elif how == "projected":
        _geojson(path, _first_geometry({"type": "Point", "coordinates": [350000.0, 2750000.0]}))
    elif how == "no_geometry":
        _geojson(path, _first_geometry(None))
    elif how == "other_crs":
        _geojson(path, lambda d: d.update(crs={"type": "name", "properties": {"name": "EPSG:32642"}}))
    elif how == "unknown_province":
        _geojson(path, lambda d: d["features"][0]["properties"].update(provinces="Atlantis"))
    else:
        raise AssertionError(f"unknown break {how}")


DATA_CASES = [c for c in CASES if c["kind"] == "data"]


@pytest.mark.parametrize("case", DATA_CASES, ids=[c["name"] for c in DATA_CASES])
def test_broken_data_file(case, data_copy: Path):
    break_file(data_copy, case)
    dataset = load_dataset(data_copy)
    text = "\n".join(str(p) for p in dataset.problems)
    assert case["message"] in text, text[:2000]
    table_name = case["file"].split(".")[0]
    for name, table in dataset.tables.items():
        good = len(BASELINE.tables[name].frame)
        if name != table_name:
            assert len(table.frame) == good, f"{name} lost rows because {case['file']} is broken"
            continue
        expected = {"all": good, "all-1": good - 1, "none": 0}.get(case["rows"])
        if case["rows"] == "big":
            assert len(table.frame) > 50_000 and len([p for p in table.problems if p.row]) == 1
        else:
            assert len(table.frame) == expected


# --- uploads ---------------------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose one member inflates to 600 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(600 // 16 + 1):
                member.write(chunk)
    return buffer.getvalue()


def make(what: str) -> tuple[bytes, str]:
    if what == "csv_without_columns":
        return b"When,Where\n2016-01-01,Quetta\n", "feed.csv"
    if what == "png_named_csv":
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "feed.csv"
    if what == "text_named_xlsx":
        return b"a,b\n1,2\n", "feed.xlsx"
    if what == "zip_bomb":
        return zip_bomb(), "gtd.xlsx"
    if what == "empty":
        return b"", "feed.csv"
    if what == "acled_broken_rows":
        lines = [
            ACLED_HEADER,
            acled_row("PAK1"),
            acled_row("PAK2", date="someday"),
            acled_row("PAK3"),
            acled_row("PAK3"),
        ]
        return "\n".join(lines).encode("utf-8"), "acled.csv"
    if what == "gtd_latin1":
        frame = pd.DataFrame(
            [
                [
                    "1",
                    2016,
                    5,
                    1,
                    "Pakistan",
                    "Sindh",
                    "Karachi",
                    24.86,
                    67.01,
                    1,
                    "Armed Assault",
                    "Police",
                    "Unknown",
                    1,
                    0,
                    0,
                    "Attaque près du café",
                    "",
                ]
            ],
            columns=GTD_COLUMNS,
        )
        return frame.to_csv(index=False).encode("latin-1"), "gtd.csv"
    raise AssertionError(what)


UPLOAD_CASES = [c for c in CASES if c["kind"] == "upload"]


@pytest.mark.parametrize("case", UPLOAD_CASES, ids=[c["name"] for c in UPLOAD_CASES])
def test_bad_upload(case):
    data, name = make(case["make"])
    context = feeds.context_for(DATA)
    try:
        incidents, report = feeds.run(case["kind_of_feed"], data, name, context)
    except FeedError as err:
        assert case["message"] in str(err)
        return
    assert report.summary() == case["message"]
    assert len(incidents) == report.imported
    listed = report.issues_frame()
    assert len(listed[listed["status"] == "rejected"]) == report.rejected, "every rejected row is listed"


# --- links -----------------------------------------------------------------------------------------

URL_CASES = [c for c in CASES if c["kind"] == "url"]


@pytest.mark.parametrize("case", URL_CASES, ids=[c["name"] for c in URL_CASES])
def test_bad_link(case):
    query = case["query"].replace("HUGE", "x" * 100_000)
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    choices = choices_for(BASELINE)
    link = parse_link(params, choices, set(BASELINE.sites["site_id"]), set(BASELINE.indicators["indicator"]))
    text = " ".join(link.notices)
    assert case["message"] in text
    assert len(text) < 5_000, "a huge value is never echoed in full"
    assert link.filters.sectors == () and link.page_params.get("site") is None
