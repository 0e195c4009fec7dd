"""An import never loses data: an import that keeps nothing (or rejects too much) changes nothing
unless forced; several versions are kept, each with its report, and any can be put back; what an
import reports as imported is what the app loads; listed rows name the feed's own row and id."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds
from georisk.feeds.store import ImportRefused, refusals, report_of, store_for
from georisk.scenario.dataset import load_dataset
from georisk.store.database import KEEP_VERSIONS
from tests.conftest import DATA, georisk_cli
from tests.support import ACLED_HEADER, acled_row

MAPPING = """
[file]
id_prefix = "X"
unknown_words = ["not given"]
[columns]
id = "No"
date = "Date"
latitude = "Lat"
longitude = "Lon"
province = "Province"
group = "Group"
killed = "Killed"
source = "Source"
[constants]
geo_precision = "town"
"""


def excel_feed(dates: list) -> bytes:
    """A mapped feed as Excel, its dates as real date cells (Excel keeps them as date-times)."""
    frame = pd.DataFrame(
        {
            "No": range(1, len(dates) + 1),
            "Date": dates,
            "Lat": 24.86,
            "Lon": 67.01,
            "Province": "Sindh",
            "Group": "Tehrik-i-Taliban Pakistan",
            "Killed": 2,
            "Source": "",
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def test_excel_date_cells_are_read_as_dates():
    data = excel_feed([pd.Timestamp("2020-12-30"), pd.Timestamp("2020-12-31 00:00:00")])
    incidents, report = feeds.run("csv", data, "feed.xlsx", feeds.context_for(DATA), MAPPING)
    assert report.summary() == "read=2 imported=2 unmapped=0 rejected=0"
    assert list(incidents["date"]) == [pd.Timestamp("2020-12-30"), pd.Timestamp("2020-12-31")]


def test_an_import_that_keeps_no_row_changes_nothing(tmp_path: Path, data_copy: Path):
    # Every date is text the mapping does not know: every row is rejected.
    feed = tmp_path / "feed.csv"
    feed.write_text("No,Date,Lat,Lon,Province,Group,Killed,Source\n1,30.12.2020,24.86,67.01,Sindh,X,1,s\n")
    before = load_dataset(data_copy).incidents
    result = georisk_cli(
        "import", "csv", str(feed), "--mapping", str(mapping_file(tmp_path)), "--out", str(data_copy)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused, nothing changed" in result.stderr and "keeps no row" in result.stderr
    assert "row 2 (X-1): rejected: no usable date" in result.stdout, "the report is shown before anything"
    store = store_for(data_copy)
    assert store.in_use() is None and store.versions() == []
    assert [(r.outcome, r.kind) for r in store.runs()] == [("refused", "import")], "the refusal is recorded"
    pd.testing.assert_frame_equal(load_dataset(data_copy).incidents, before)
    # A second try cannot overwrite anything either (no backup to lose).
    assert (
        georisk_cli(
            "import", "csv", str(feed), "--mapping", str(mapping_file(tmp_path)), "--out", str(data_copy)
        ).returncode
        == 1
    )
    assert store_for(data_copy).versions() == []


def mapping_file(folder: Path) -> Path:
    path = folder / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_too_many_defective_rows_are_refused_unless_forced(tmp_path: Path, data_copy: Path):
    lines = [ACLED_HEADER, acled_row("PAK1")] + [acled_row(f"PAK{i}", fatalities="many") for i in range(2, 6)]
    feed = tmp_path / "feed.csv"
    feed.write_text("\n".join(lines), encoding="utf-8")
    _, report, _ = feeds.import_file("acled", feed, data_copy, commit=False)
    assert report.defective == 4 and "80%" in refusals(report)[0]
    with pytest.raises(ImportRefused):
        feeds.import_file("acled", feed, data_copy)
    assert store_for(data_copy).versions() == []
    _, _, version = feeds.import_file("acled", feed, data_copy, force=True)
    report, _ = report_of(store_for(data_copy), version.id)
    assert any("committed although" in note for note in report.notes), "a forced import says so"


def test_rows_outside_the_feeds_scope_do_not_count_as_defects():
    lines = [ACLED_HEADER, acled_row("PAK1")] + [
        acled_row(
            f"PAK{i}", event_type="Protests", sub_event="Peaceful protest", actor1="Protesters (Pakistan)"
        )
        for i in range(2, 10)
    ]
    _, report = feeds.run("acled", "\n".join(lines).encode(), "feed.csv", feeds.context_for(DATA))
    assert (report.rejected, report.out_of_scope, report.defective) == (8, 8, 0)
    assert refusals(report) == []


def test_versions_are_kept_with_their_reports_and_pruned_past_the_limit(tmp_path: Path, data_copy: Path):
    for i in range(KEEP_VERSIONS + 2):
        feed = tmp_path / f"feed{i}.csv"
        feed.write_text("\n".join([ACLED_HEADER, acled_row(f"PAK{i}")]), encoding="utf-8")
        feeds.import_file("acled", feed, data_copy)
    store = store_for(data_copy)
    versions = store.versions()
    assert (
        len(versions) == KEEP_VERSIONS
        and versions[0].current
        and versions[0].label == f"feed{KEEP_VERSIONS + 1}.csv"
    )
    oldest = versions[-1]
    report, rows = report_of(store, oldest.id)
    assert (
        report.file == oldest.label
        and report.imported == 1
        and list(rows.columns)[:3] == ["row", "feed_id", "status"]
    )
    listed = georisk_cli("imports", "list", "--data", str(data_copy))
    assert listed.returncode == 0 and f"* {versions[0].id}" in listed.stdout
    assert georisk_cli("imports", "restore", oldest.id, "--data", str(data_copy)).returncode == 0
    assert list(load_dataset(data_copy).incidents["incident_id"]) == [f"ACLED-PAK{oldest.label[4:-4]}"]
    shown = georisk_cli("imports", "show", oldest.id, "--data", str(data_copy))
    assert "read=1 imported=1" in shown.stdout
    assert georisk_cli("imports", "restore", "no-such-version", "--data", str(data_copy)).returncode == 2
    assert georisk_cli("imports", "curated", "--data", str(data_copy)).returncode == 0
    assert load_dataset(data_copy).incident_source.curated


def test_imported_equals_loaded_and_a_row_without_source_carries_its_feed(tmp_path: Path, data_copy: Path):
    data = excel_feed([pd.Timestamp("2016-01-05"), pd.Timestamp("2016-01-06"), pd.Timestamp("2016-01-07")])
    feed = tmp_path / "feed.xlsx"
    feed.write_bytes(data)
    incidents, report, _ = feeds.import_file("csv", feed, data_copy, mapping_file(tmp_path))
    loaded = load_dataset(data_copy)
    assert report.imported == len(loaded.incidents) == 3 and loaded.problems == []
    assert list(loaded.incidents["source"]) == [f"CSV feed feed.xlsx, row {n}" for n in (2, 3, 4)]


def test_listed_rows_name_the_feeds_row_and_id(tmp_path: Path):
    lines = [ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2", date="sometime"), acled_row("PAK3")]
    _, report = feeds.run("acled", "\n".join(lines).encode(), "feed.csv", feeds.context_for(DATA))
    (row,) = report.issues_frame().itertuples()
    assert (row.row, row.feed_id, row.status) == (3, "ACLED-PAK2", "rejected")


def test_the_check_option_changes_nothing(tmp_path: Path, data_copy: Path):
    feed = tmp_path / "feed.csv"
    feed.write_text("\n".join([ACLED_HEADER, acled_row("PAK1")]), encoding="utf-8")
    result = georisk_cli("import", "acled", str(feed), "--out", str(data_copy), "--check")
    assert result.returncode == 0 and "checked only" in result.stdout
    assert store_for(data_copy).versions() == []


def test_a_row_the_loader_would_refuse_is_rejected_at_import_with_its_row(tmp_path: Path, data_copy: Path):
    """Without the schema check at import, the row with a confidence outside the vocabulary was
    imported, then dropped when the app loaded the Parquet file: imported != loaded."""
    mapping = '[columns]\ndate = "Date"\nprovince = "P"\nconfidence = "C"\n'
    lines = (
        ["Date,P,C"] + [f"2016-01-{d:02d},Sindh,reported" for d in range(1, 12)] + ["2016-01-20,Sindh,maybe"]
    )
    feed = tmp_path / "feed.csv"
    feed.write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "m.toml").write_text(mapping, encoding="utf-8")
    _, report, _ = feeds.import_file("csv", feed, data_copy, tmp_path / "m.toml")
    rejected = report.issues_frame().query("status == 'rejected'")
    assert list(zip(rejected["row"], rejected["column"], rejected["feed_id"], strict=True)) == [
        (13, "confidence", "ROW-13")
    ]
    assert report.imported == len(load_dataset(data_copy).incidents) == 11
