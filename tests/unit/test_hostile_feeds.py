"""Hostile feed files (issue 14 §1, §2): each ends in the import report or a FeedError with a clear
reason, never another exception. Small hand-made files are in tests/corpus/feeds/; Excel and
Parquet files, and the big ones, are made here."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from georisk import feeds
from georisk.feeds import reading
from georisk.feeds.mapped import parse_mapping
from georisk.feeds.reading import FeedError
from georisk.feeds.store import commit_import, store_for
from georisk.text import FORMULA_START
from tests.support import ACLED_HEADER, CONTEXT, acled_row, gtd_frame

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "feeds"
WINDOW = "outside the plausible window"


def run(data: bytes, name: str = "feed.csv", kind: str = "acled", mapping: str | None = None):
    return feeds.run(kind, data, name, CONTEXT, mapping)


def rejected(report) -> dict[int, str]:
    return {i.row: i.reason for i in report.issues if i.status == "rejected"}


def refusal(data: bytes, name: str = "feed.xlsx", kind: str = "acled") -> str:
    with pytest.raises(FeedError) as caught:
        run(data, name, kind)
    return str(caught.value)


# -- the hand-made corpus: (file, the summary, {row: part of its reason}) or (file, part of the
#    FeedError's message)

CSV_CASES = [
    (
        "acled_header_longer.csv",
        "read=2 imported=0 unmapped=0 rejected=2",
        {2: "has 22 fields, the header (row 1) has 23", 3: "has 22 fields"},
    ),
    ("acled_first_row_longer.csv", "read=3 imported=2 unmapped=0 rejected=1", {2: "has 23 fields"}),
    ("acled_first_row_shorter.csv", "read=3 imported=2 unmapped=0 rejected=1", {2: "has 19 fields"}),
    ("acled_repeated_identical_column.csv", "read=2 imported=2 unmapped=0 rejected=0", {}),
    ("acled_mixed_line_endings.csv", "read=3 imported=3 unmapped=0 rejected=0", {}),
    ("acled_header_only.csv", "read=0 imported=0 unmapped=0 rejected=0", {}),
    ("acled_unclosed_quote.csv", "read=1 imported=0 unmapped=0 rejected=1", {2: "has 8 fields"}),
    (
        "acled_implausible_dates.csv",
        "read=6 imported=1 unmapped=0 rejected=5",
        {2: WINDOW, 3: WINDOW, 4: WINDOW, 5: WINDOW, 6: "no usable date"},
    ),
    (
        "acled_counts_not_numbers.csv",
        "read=4 imported=1 unmapped=0 rejected=3",
        {2: "not a number", 3: "not a number", 4: "not a count"},
    ),
]


@pytest.mark.parametrize(("file", "summary", "reasons"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_hostile_csv_files_end_in_the_report(file, summary, reasons):
    incidents, report = run((CORPUS / file).read_bytes(), file)
    assert report.summary() == summary and len(incidents) == report.imported
    found = rejected(report)
    assert set(found) == set(reasons)
    for row, reason in reasons.items():
        assert reason in found[row]


def test_a_repeated_column_with_different_values_is_refused_by_name():
    message = refusal((CORPUS / "acled_repeated_column.csv").read_bytes(), "feed.csv")
    assert "'fatalities' appears 2 times" in message and "columns 21, 23" in message


def test_a_repeated_identical_column_is_read_once_with_a_note():
    _, report = run((CORPUS / "acled_repeated_identical_column.csv").read_bytes())
    assert any("'notes' appears 2 times" in note for note in report.notes)


def test_a_header_only_file_says_so():
    _, report = run((CORPUS / "acled_header_only.csv").read_bytes())
    assert any("no data rows" in note for note in report.notes)


MAPPING_CASES = [
    ("mapping_number_for_column.toml", "[columns] date must be a column name"),
    ("mapping_table_for_list.toml", "[file] unknown_words must be a list of text, not a table"),
    ("mapping_unknown_section.toml", "unknown section(s) extras"),
    ("mapping_section_not_a_table.toml", "[file] must be a table"),
    ("mapping_nested_too_deep.toml", "[values.province] Sindh must be text"),
    ("mapping_huge_string.toml", "[constants] source is 5,000 characters long"),
    ("mapping_bad_encoding.toml", "[file] encoding 'klingon'"),
    ("mapping_bad_date_format.toml", "[formats] date '%Q-%d' is not a date format"),
    ("mapping_number_prefix.toml", "[file] id_prefix must be text"),
    ("mapping_unknown_file_key.toml", "[file] names unknown keys licnce"),
    ("mapping_precision_word.toml", "date_precision must be one of day, month, year"),
]


@pytest.mark.parametrize(("file", "message"), MAPPING_CASES, ids=[c[0] for c in MAPPING_CASES])
def test_bad_mappings_name_the_key(file, message):
    with pytest.raises(FeedError) as caught:
        run(b"Date,Killed\n2016-01-05,3\n", kind="csv", mapping=(CORPUS / file).read_text(encoding="utf-8"))
    assert message in str(caught.value)


def test_a_mapping_nested_past_the_parser_is_a_feed_error():
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_mapping("a = " + "[" * 50_000 + "]" * 50_000)


def test_the_shipped_mapping_passes_the_checks():
    for path in (Path(__file__).resolve().parents[2] / "examples" / "mappings").glob("*.toml"):
        parse_mapping(path.read_text(encoding="utf-8"))


# -- CSV made here: too big to commit, or binary


def test_a_huge_cell_rejects_only_its_row():
    for cell in ("x" * 200_000, '"' + "y," * 100_000 + '"', '"' + "z\n" * 60_000 + '"', "w" * 100_001):
        lines = [ACLED_HEADER, acled_row("PAK1", actor1=cell), acled_row("PAK2"), acled_row("PAK3")]
        _, report = run("\n".join(lines).encode())
        assert report.summary() == "read=3 imported=2 unmapped=0 rejected=1", cell[:5]
        assert "the limit is 100,000" in rejected(report)[2]


def test_a_nul_byte_rejects_its_row_or_the_file():
    padding = acled_row("PAK0") + "\n"
    lines = [ACLED_HEADER, *(acled_row(f"PAK{i}") for i in range(1, 40)), acled_row("PAK99", actor1="a\x00b")]
    _, report = run("\n".join(lines).encode())
    assert "NUL" in rejected(report)[41] and report.imported == 39
    assert "binary" in refusal((ACLED_HEADER + "\n\x00" + padding).encode(), "feed.csv")


def test_a_declared_encoding_that_does_not_fit_is_a_feed_error():
    data = (ACLED_HEADER + "\n" + acled_row(actor1="Café")).encode("cp1252")
    with pytest.raises(FeedError, match="not valid utf-8"):
        feeds.run("acled", data, "feed.csv", CONTEXT, encoding="utf-8")
    with pytest.raises(FeedError, match="not an encoding"):
        feeds.run("acled", data, "feed.csv", CONTEXT, encoding="klingon")


def test_a_feed_past_the_limits_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    lines = [ACLED_HEADER, *(acled_row(f"PAK{i}") for i in range(10))]
    assert "too big to import" in refusal("\n".join(lines).encode(), "feed.csv")
    assert "columns" in refusal(("a," * 2_000 + "b\n1\n").encode(), "feed.csv")


# -- Excel


def workbook(rows: list[list], sheets: int = 1, dimension: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for n in range(1, sheets):
        book.create_sheet(f"other{n}").append(["x"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if dimension:
        data = _rewrite_member(data, "xl/worksheets/sheet1.xml", lambda xml: _dimension(xml, dimension))
    return data


def _dimension(xml: bytes, ref: str) -> bytes:
    start = xml.index(b"<dimension")
    end = xml.index(b"/>", start) + 2
    return xml[:start] + f'<dimension ref="{ref}"/>'.encode() + xml[end:]


def _rewrite_member(data: bytes, member: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


def acled_rows(n: int = 3) -> list[list]:
    header = ACLED_HEADER.split(",")
    return [header, *(acled_row(f"PAK{i}").split(",") for i in range(1, n + 1))]


def _lie_about_size(data: bytes, member: str, size: int, local_too: bool) -> bytes:
    """The archive with `member`'s uncompressed size patched in its directory entry (and its own
    header): a zip whose directory lies."""
    data = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member)
    entry = data.index(b"PK\x01\x02")
    while True:  # walk the central directory to this member's entry
        name_length, extra, comment = struct.unpack("<HHH", data[entry + 28 : entry + 34])
        if data[entry + 46 : entry + 46 + name_length] == member.encode():
            break
        entry += 46 + name_length + extra + comment
    struct.pack_into("<I", data, entry + 24, size)
    if local_too:
        struct.pack_into("<I", data, info.header_offset + 22, size)
    return bytes(data)


def _with_member(data: bytes, member: str, content: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, content)
    return out.getvalue()


def test_a_good_workbook_still_imports():
    _, report = run(workbook(acled_rows()), "feed.xlsx")
    assert report.summary() == "read=3 imported=3 unmapped=0 rejected=0"


@pytest.mark.parametrize("local_too", [False, True])
@pytest.mark.parametrize("factor", [0.01, 0.5, 3])
def test_an_excel_file_whose_directory_lies_about_sizes_is_refused(local_too, factor):
    data = workbook(acled_rows())
    member = "xl/worksheets/sheet1.xml"
    size = zipfile.ZipFile(io.BytesIO(data)).getinfo(member).file_size
    message = refusal(_lie_about_size(data, member, int(size * factor), local_too))
    assert "not a valid Excel (zip) file" in message


def test_an_excel_file_that_inflates_too_far_is_refused(monkeypatch):
    data = workbook(acled_rows(50))
    monkeypatch.setattr(reading, "MAX_RATIO", 2)
    assert "would inflate" in refusal(data)


def test_a_sheet_claiming_the_whole_grid_reads_only_its_cells():
    _, report = run(workbook(acled_rows(), dimension="A1:XFD1048576"), "feed.xlsx")
    assert report.summary() == "read=3 imported=3 unmapped=0 rejected=0"


def test_the_parsing_cost_of_a_workbook_is_bounded(monkeypatch):
    monkeypatch.setattr(reading, "MAX_CELLS", 500)
    assert "too big to import" in refusal(workbook([[f"c{i}" for i in range(30)] for _ in range(40)]))
    monkeypatch.setattr(reading, "MAX_CELLS", 30_000_000)
    monkeypatch.setattr(reading, "MAX_SHARED_STRINGS", 100)
    strings = b"<sst>" + b"".join(b"<si><t>%d</t></si>" % i for i in range(101)) + b"</sst>"
    assert "shared strings" in refusal(_with_member(workbook(acled_rows()), "xl/sharedStrings.xml", strings))
    monkeypatch.setattr(reading, "MAX_MEMBERS", 10)
    assert "parts" in refusal(workbook(acled_rows(), sheets=12))
    assert "columns" in refusal(workbook([["x"] * 1_500, ["y"]]))


def test_only_the_first_of_many_sheets_is_read_and_the_report_says_so():
    _, report = run(workbook(acled_rows(), sheets=5), "feed.xlsx")
    assert report.imported == 3 and any("5 sheets" in note for note in report.notes)


def test_a_workbook_with_only_a_chart_sheet_or_nothing_is_refused():
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.create_chartsheet("chart")
    buffer = io.BytesIO()
    book.save(buffer)
    assert "no worksheet" in refusal(buffer.getvalue())
    empty = workbook([])
    assert "empty" in refusal(empty)


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "no worksheet" in refusal(buffer.getvalue())
    cut = _rewrite_member(
        workbook(acled_rows()), "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2]
    )
    assert "the worksheet cannot be read past row" in refusal(cut)
    broken = _rewrite_member(workbook(acled_rows()), "xl/workbook.xml", lambda xml: b"<not-a-workbook")
    assert "not a readable Excel workbook" in refusal(broken)
    assert "not a valid Excel (zip) file" in refusal(buffer.getvalue()[:40])


def test_excel_rows_ragged_and_dates_out_of_range_are_rejected_rows():
    rows = acled_rows(4)
    rows[1] = rows[1] + ["surplus"]  # a row longer than the header
    rows[2][1] = dt.datetime(1, 1, 1)
    rows[3][1] = dt.date(9999, 12, 31)
    _, report = run(workbook(rows), "feed.xlsx")
    found = rejected(report)
    assert report.summary() == "read=4 imported=1 unmapped=0 rejected=3"
    assert "23 cells" in found[2] and WINDOW in found[3] and WINDOW in found[4]


# -- Parquet


def parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_parquet_with_nested_columns_and_odd_types_is_reported():
    frame = gtd_frame()
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    n = len(frame)
    table = table.append_column("tags", pa.array([["a", "b"]] * n))
    table = table.append_column("place", pa.array([{"x": 1, "y": 2}] * n))
    table = table.append_column("blob", pa.array([b"\xff\x00"] * n))
    _, report = run(parquet(table), "gtd.parquet", kind="gtd")
    assert report.read == n and any("nested values were not read: tags" in note for note in report.notes)


def test_parquet_dates_outside_pandas_range_are_rejected_rows():
    frame = pd.DataFrame([acled_row(f"PAK{i}").split(",") for i in range(3)], columns=ACLED_HEADER.split(","))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    stamps = pa.array(
        [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), dt.datetime(2016, 12, 15)], pa.timestamp("s")
    )
    table = table.set_column(table.schema.get_field_index("event_date"), "event_date", stamps)
    _, report = run(parquet(table), "acled.parquet")
    assert report.summary() == "read=3 imported=1 unmapped=0 rejected=2"
    assert all(WINDOW in reason for reason in rejected(report).values())


def test_a_parquet_file_missing_a_column_or_damaged_is_a_feed_error():
    table = pa.table({"iyear": [2016], "imonth": [1]})
    assert "lacks the column" in refusal(parquet(table), "gtd.parquet", kind="gtd")
    assert "not a readable Parquet file" in refusal(b"PAR1" + b"\x00" * 50 + b"PAR1", "x.parquet")


# -- the last guard, and formula-safe listed rows


def test_an_unexpected_error_inside_an_importer_is_a_feed_error(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(feeds.KINDS, "acled", broken)
    with pytest.raises(FeedError, match="ZeroDivisionError"):
        run(b"anything")
    assert "the acled importer failed" in caplog.text
    with pytest.raises(FeedError, match="unknown kind"):
        feeds.run("shapefile", b"x", "x.shp", CONTEXT)


def test_listed_rows_are_formula_safe_in_the_download_and_the_version(tmp_path: Path):
    lines = [
        ACLED_HEADER,
        acled_row("PAK1"),
        acled_row("=HYPERLINK(1)", fatalities="=1+2"),
        acled_row("PAK3", date="@SUM(A1)"),
    ]
    incidents, report = run("\n".join(lines).encode())
    text = feeds.rows_csv(report.issues_frame()).decode("utf-8")
    assert "'=1+2" in text and "'@SUM(A1)" in text
    assert not any(cell.startswith(FORMULA_START) for line in text.splitlines() for cell in line.split(","))
    version = commit_import(tmp_path, incidents, report, force=True)
    stored = store_for(tmp_path).report(version.id)[1].decode("utf-8")
    assert "'=1+2" in stored and "'@SUM(A1)" in stored


# -- arbitrary input


SAMPLE = {
    "acled": "\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2")]).encode(),
    "gtd": gtd_frame().to_csv(index=False).encode(),
    "ucdp": (
        b"id,type_of_violence,side_a,side_b,latitude,longitude,date_start,best\n"
        b"1,3,TTP,Civilians,34.0,71.5,2016-01-01,2\n"
    ),
    "csv": b"Date,Killed,Province\n2016-01-05,3,Sindh\n",
}
MAPPING = '[columns]\ndate = "Date"\nkilled = "Killed"\nprovince = "Province"\n'


def _mutated(kind: str):
    """Bytes near a valid feed (so that the readers get past the header) and arbitrary bytes."""
    sample = SAMPLE[kind]
    near = st.tuples(st.integers(0, len(sample)), st.binary(max_size=40), st.integers(0, 40)).map(
        lambda t: sample[: t[0]] + t[1] + sample[t[0] + t[2] :]
    )
    return st.one_of(near, st.binary(max_size=300))


@pytest.mark.parametrize("kind", list(SAMPLE))
def test_arbitrary_bytes_give_a_report_or_a_feed_error(kind):
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=_mutated(kind))
    def check(data):
        try:
            incidents, report = feeds.run(kind, data, "fuzz.csv", CONTEXT, MAPPING if kind == "csv" else None)
        except FeedError:
            return
        assert (
            report.imported + report.unmapped + report.rejected
            == report.read
            == len(report.issues_frame()[lambda f: f.status.isin(["rejected", "unmapped"])]) + report.imported
        )

    check()


TOML_PIECES = st.sampled_from(
    [
        "[file]",
        "[columns]",
        "[formats]",
        "[constants]",
        "[values]",
        "[values.province]",
        "[values.group]",
        "[[columns]]",
        'date = "Date"',
        "date = 5",
        "date = []",
        "date = [1]",
        "date = {a = 1}",
        "encoding = 7",
        'encoding = "utf-8"',
        'unknown_words = "x"',
        "unknown_words = [[1]]",
        "id_prefix = true",
        'date_precision = "day"',
        'Sindh = "Sindh"',
        "Sindh = 1.5",
        'date = "%Y-%m-%d"',
        'date = "%"',
        'source = "{id}"',
        "x.y.z = 1",
        "killed = 1979-05-27",
        "a = [[[[1]]]]",
    ]
)


@settings(max_examples=100, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.lists(TOML_PIECES, max_size=12).map("\n".join)))
def test_arbitrary_mappings_give_a_mapping_or_a_feed_error(text):
    try:
        mapping = parse_mapping(text)
    except FeedError:
        return
    assert isinstance(mapping, dict) and "date" in mapping["columns"]
    try:
        run(SAMPLE["csv"], kind="csv", mapping=text)
    except FeedError:
        pass


def test_an_import_applies_the_scenarios_own_date_window(data_copy: Path):
    """The window an import applies is the one the loader applies to the same folder: the
    scenario's own (catalog.json scenario.date_windows) where it sets one."""
    path = data_copy / "catalog.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["scenario"]["date_windows"] = {"incidents": ["2015-01-01", "2016-12-31"]}
    path.write_text(json.dumps(document), encoding="utf-8")
    lines = [ACLED_HEADER, acled_row("PAK1", date="2014-06-01"), acled_row("PAK2", date="2016-06-01")]
    _, report = feeds.run("acled", "\n".join(lines).encode(), "acled.csv", feeds.context_for(data_copy))
    assert report.summary() == "read=2 imported=1 unmapped=0 rejected=1"
    assert "2015-01-01 to 2016-12-31" in rejected(report)[2]
