"""Importers: ACLED, GTD (CSV and Excel) and mapped CSV, on fixtures we write from the documented
columns (no rows copied from real feeds); every row accounted for; the real messy file."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from georisk import feeds
from georisk.feeds.families import family_lookup
from georisk.feeds.reading import FeedError, sniff
from georisk.feeds.store import report_of, store_for
from georisk.scenario.dataset import load_dataset
from tests.conftest import ROOT, external, georisk_cli
from tests.support import ACLED_HEADER, CONTEXT, acled_row, bundled, gtd_frame, issues


def run(kind: str, text: str | bytes, mapping: str | None = None, name: str = "feed.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return feeds.run(kind, data, name, CONTEXT, mapping)


def test_acled_rows_are_all_accounted_for():
    lines = [
        ACLED_HEADER,
        acled_row("PAK1"),  # row 2: fine
        acled_row(
            "PAK2", event_type="Protests", sub_event="Peaceful protest", actor1="Protesters (Pakistan)"
        ),
        acled_row("PAK3", date="sometime"),  # row 4: no date
        acled_row("PAK4", lat="", lon=""),  # row 5: no coordinates, province known -> relocated
        acled_row("PAK5", lat="", lon="", admin1=""),  # row 6: nowhere -> unmapped
        acled_row("PAK6", lat="51.5", lon="-0.12"),  # row 7: London -> relocated to its province
        acled_row("PAK1"),  # row 8: duplicate id
        acled_row("PAK8", fatalities="many"),  # row 9: bad number
        acled_row(
            "PAK9", actor1="Military Forces of Pakistan (2013-2018)", actor2="Lashkar-e-Fake"
        ),  # row 10
        acled_row("PAK10", admin1="Sindh"),  # row 11: coordinates far away in Khyber Pakhtunkhwa -> flagged
        acled_row("PAK11", date="2016-12-16", actor1="Khorasan wing of the Islamic State"),  # row 12
    ]
    incidents, report = run("acled", "\n".join(lines))
    assert report.summary() == "read=11 imported=6 unmapped=1 rejected=4"
    found = issues(report)
    assert found[3][0] == "rejected" and "Protests" in found[3][1]
    assert found[4] == ("rejected", "no usable date")
    assert found[5][0] == "relocated" and "Khyber Pakhtunkhwa" in found[5][1]
    assert found[6][0] == "unmapped"
    assert found[7][0] == "relocated" and "outside Pakistan" in found[7][1]
    assert found[8][0] == "rejected" and "duplicate id" in found[8][1]
    assert found[9] == ("rejected", "not a number")
    assert found[11][0] == "location_flagged" and "from Sindh, the feed's province" in found[11][1]
    assert report.province_far == 1 and report.relocated == 2
    assert report.unknown_actors == {"Lashkar-e-Fake": 1}
    by_id = incidents.set_index("incident_id")
    assert by_id.at["ACLED-PAK1", "actor_family"] == "TTP"
    assert by_id.at["ACLED-PAK1", "attack_type"] == "suicide bombing"
    assert by_id.at["ACLED-PAK1", "target_type"] == "police"
    assert by_id.at["ACLED-PAK9", "group"] == "Lashkar-e-Fake", "the state force is the target, not the actor"
    assert by_id.at["ACLED-PAK9", "actor_family"] == "unknown"
    assert by_id.at["ACLED-PAK11", "actor_family"] == "IS-Khorasan"
    assert by_id.at["ACLED-PAK10", "province"] == "Sindh", "the feed's province is kept, not silently moved"
    assert "geocoding error" in by_id.at["ACLED-PAK10", "location_flag"]
    assert by_id.at["ACLED-PAK4", "geo_precision"] == "province"
    assert by_id.at["ACLED-PAK1", "date"] == pd.Timestamp("2016-12-15")


def test_acled_ragged_rows_are_reported():
    text = "\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2") + ",surplus", acled_row("PAK3")])
    incidents, report = run("acled", text)
    assert report.summary() == "read=3 imported=2 unmapped=0 rejected=1"
    assert "fields" in issues(report)[3][1]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_gtd_dates_with_unknown_parts_and_other_countries(form):
    frame = gtd_frame()
    if form == "csv":
        data, name = frame.to_csv(index=False).encode(), "gtd.csv"
    else:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False)
        data, name = buffer.getvalue(), "gtd.xlsx"
    incidents, report = feeds.run("gtd", data, name, CONTEXT)
    assert report.summary() == "read=4 imported=3 unmapped=0 rejected=1"
    assert "another country" in issues(report)[5][1]
    by_id = incidents.set_index("incident_id")
    assert by_id.at["GTD-201612150001", "date_precision"] == "day"
    assert by_id.at["GTD-201612000002", "date"] == pd.Timestamp("2016-12-01")
    assert by_id.at["GTD-201612000002", "date_precision"] == "month"
    assert by_id.at["GTD-201600000003", "date_precision"] == "year"
    assert by_id.at["GTD-201612000002", "attack_type"] == "suicide bombing"
    assert by_id.at["GTD-201612150001", "target_type"] == "energy infrastructure"
    assert by_id.at["GTD-201612150001", "actor_family"] == "Baloch separatists"
    assert pd.isna(by_id.at["GTD-201600000003", "killed"]), "blank means unknown, not zero"


MAPPING = """
[file]
encoding = "cp1252"
id_prefix = "T"
[columns]
id = "No"
date = "When"
latitude = "Y"
longitude = "X"
province = "Prov"
group = "Who"
killed = ["Dead max", "Dead min"]
target_type = "Target"
[formats]
date = ["%d/%m/%Y", "%Y"]
[constants]
attack_type = "bombing"
source = "Test list, entry {id}"
[values.target_type]
Cops = "police"
"""


def test_mapped_csv_with_encoding_fallbacks_and_words():
    text = (
        "No,When,Y,X,Prov,Who,Dead max,Dead min,Target\n"
        "1,15/12/2016,24.86,67.01,Sind,Tehrik-e-Taliban Pakistan,,4,Cops\n"
        "2,31/02/2016,24.86,67.01,Sindh,Somebody Else,1,,Café owners\n"
        "3,01/03/2016,_67.01,24.86,KPK,,2,1,Cops\n"
    )
    incidents, report = run("csv", text.encode("cp1252"), MAPPING)
    assert report.encoding == "cp1252"
    assert report.summary() == "read=3 imported=2 unmapped=0 rejected=1"
    assert issues(report)[3] == ("rejected", "no usable date")
    by_id = incidents.set_index("incident_id")
    assert by_id.at["T-1", "killed"] == 4, "the fallback column fills a blank"
    assert by_id.at["T-1", "province"] == "Sindh" and by_id.at["T-1", "target_type"] == "police"
    assert by_id.at["T-1", "source"] == "Test list, entry T-1"
    assert by_id.at["T-3", "geo_precision"] == "province", (
        "a mangled coordinate keeps the row at its province"
    )
    assert report.other_values == {"target_type": {"Café owners": 1}}


@pytest.mark.parametrize(
    "mapping,message",
    [
        (None, "needs a mapping file"),
        ("[columns\n", "not valid TOML"),
        ("[columns]\nwhen = 'When'\n", "unknown field(s) when"),
        ("[columns]\nlatitude = 'Y'\n", "must name the date column"),
        ("[columns]\ndate = 'Date of event'\n", "lacks the column(s) the mapping names: Date of event"),
    ],
)
def test_bad_mappings_are_explained(mapping, message):
    with pytest.raises(FeedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("csv", "When,Y\n2016-01-01,30\n", mapping)


def test_files_that_are_not_what_their_name_says():
    assert sniff(b"PK\x03\x04rest") == "xlsx"
    with pytest.raises(FeedError, match="not a CSV, Excel or Parquet file"):
        run("acled", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="feed.csv")
    with pytest.raises(FeedError, match="does not look like an ACLED export"):
        run("acled", "a,b\n1,2\n")


# --- properties of the column mapping -----------------------------------------------------------

names = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefgh", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(names, min_size=5, max_size=5, unique=True),
    st.lists(
        st.tuples(
            st.integers(1, 28),
            st.integers(1, 12),
            st.integers(0, 50),
            st.sampled_from(["24.86", "x", "", "99"]),
        ),
        min_size=1,
        max_size=15,
    ),
)
def test_any_column_names_map_and_every_row_is_counted(columns, rows):
    date_c, lat_c, lon_c, killed_c, prov_c = columns
    mapping = (
        f'[columns]\ndate = "{date_c}"\nlatitude = "{lat_c}"\nlongitude = "{lon_c}"\nkilled = "{killed_c}"\n'
        f'province = "{prov_c}"\n[formats]\ndate = ["%d/%m/%Y"]\n[constants]\nsource = "test"\n'
    )
    frame = pd.DataFrame(
        {
            date_c: [f"{d:02d}/{m:02d}/2016" for d, m, _, _ in rows],
            lat_c: [lat for *_, lat in rows],
            lon_c: ["67.01"] * len(rows),
            killed_c: [k for _, _, k, _ in rows],
            prov_c: ["Sindh"] * len(rows),
        }
    )
    incidents, report = run("csv", frame.to_csv(index=False), mapping)
    assert report.imported + report.unmapped + report.rejected == report.read == len(rows)
    assert list(incidents["killed"]) == [k for *_, k, _ in rows][: len(incidents)]
    good = [lat == "24.86" for *_, lat in rows]
    # The mapping says nothing of precision: the points are of unknown precision, not towns.
    assert (incidents["geo_precision"] == "unknown").tolist() == good
    assert (incidents["province"] == "Sindh").all()


def test_alias_lookup_prefers_exact_and_whole_words():
    lookup = family_lookup(bundled().actor_aliases)
    assert lookup("Tehrik-i-Taliban Pakistan (TTP)") == "TTP"
    assert lookup("Lashkar-e-Jhangvi al-Alami") == "Lashkar-e-Jhangvi"
    assert lookup("BRAS") == "Baloch separatists"
    assert lookup("Brass band") is None, "acronyms match whole words only"
    assert lookup("Unknown") == "unknown"


# --- the real messy file, and the command line -----------------------------------------------------


def test_messy_real_file_imports_with_the_shipped_mapping(tmp_path: Path):
    path = external("pakistan_suicide_attacks.csv")
    mapping = ROOT / "examples" / "mappings" / "pakistan_body_count.toml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "georisk",
            "import",
            "csv",
            str(path),
            "--mapping",
            str(mapping),
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    counts = dict(part.split("=") for part in last.split())
    assert list(counts) == ["read", "imported", "unmapped", "rejected"]
    with path.open(encoding="latin-1", newline="") as f:
        read = sum(1 for _ in csv.reader(f)) - 1  # records, not lines: some cells hold line breaks
    assert int(counts["read"]) == read
    assert int(counts["imported"]) + int(counts["unmapped"]) + int(counts["rejected"]) == read
    store = store_for(tmp_path)
    (version,) = store.versions()
    _, rows = report_of(store, version.id)
    incidents = load_dataset(tmp_path).incidents  # what the app loads
    assert len(incidents) == int(counts["imported"]), "imported = loaded"
    relocated = rows[rows["status"] == "relocated"]
    assert (relocated["value"].str.contains("_71.456944")).any(), "the mangled longitude is named"
    assert {"Khyber Pakhtunkhwa", "FATA", "Balochistan", "Islamabad Capital Territory"} <= set(
        incidents["province"]
    )
    assert incidents["date"].min() == pd.Timestamp("1995-11-19")


def test_cli_import_errors(tmp_path: Path):
    bad = tmp_path / "feed.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = georisk_cli("import", "acled", str(bad), "--out", str(tmp_path))
    assert result.returncode == 2 and "does not look like an ACLED export" in result.stderr
    result = georisk_cli("import", "csv", str(bad), "--out", str(tmp_path))
    assert result.returncode == 2 and "needs a mapping file" in result.stderr


def test_imported_feed_replaces_the_curated_incidents(tmp_path: Path, data_copy: Path):
    text = "\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2", date="16 December 2016")])
    feed = tmp_path / "feed.csv"
    feed.write_text(text, encoding="utf-8")
    feeds.import_file("acled", feed, data_copy)
    dataset = load_dataset(data_copy)
    assert list(dataset.incidents["incident_id"]) == ["ACLED-PAK1", "ACLED-PAK2"]
    assert dataset.problems == []
    assert not dataset.incident_source.curated
    assert "ACLED feed feed.csv, imported" in dataset.incident_source.credit(), "the feed and its file"
    first = store_for(data_copy).in_use()
    # The same file again changes nothing: it is recorded as such and makes no new version.
    _, _, again = feeds.import_file("acled", feed, data_copy)
    assert again.outcome == "unchanged" and store_for(data_copy).in_use() == first
    feed.write_text("\n".join([ACLED_HEADER, acled_row("PAK1", fatalities="5")]), encoding="utf-8")
    feeds.import_file("acled", feed, data_copy)
    versions = store_for(data_copy).versions()
    assert [v.id for v in versions][1:] == [first], "the previous import is kept"
    assert list(load_dataset(data_copy).incidents["incident_id"]) == ["ACLED-PAK1"], "PAK2 withdrawn"


def test_any_kept_version_can_be_put_back_and_curated_comes_back(tmp_path: Path, data_copy: Path):
    """Use feeds A, B, C; any of them can be put back, the curated file too, and putting a version
    back keeps every version (a restore is a new version). Nothing but the store is written in
    the data folder."""
    before = {p for p in data_copy.rglob("*") if p.is_file()}
    ids = {}
    for name in ("A", "B", "C"):
        feed = tmp_path / f"{name}.csv"
        feed.write_text("\n".join([ACLED_HEADER, acled_row(f"PAK{name}")]), encoding="utf-8")
        _, _, version = feeds.import_file("acled", feed, data_copy)
        ids[name] = version.id

    def current() -> list[str]:
        return list(load_dataset(data_copy).incidents["incident_id"])

    store = store_for(data_copy)
    assert current() == ["ACLED-PAKC"] and store.in_use() == ids["C"]
    store.restore(ids["A"])
    assert current() == ["ACLED-PAKA"]
    store.restore(ids["B"])
    assert current() == ["ACLED-PAKB"]
    store.use_curated()
    assert len(current()) == len(bundled().incidents) and store.in_use() is None
    store.restore(ids["C"])
    assert current() == ["ACLED-PAKC"]
    versions = store.versions()
    assert [v.id for v in versions[3:]] == [ids["C"], ids["B"], ids["A"]], "every import stays"
    assert [v.restores for v in versions[:3]] == [ids["C"], ids["B"], ids["A"]]
    assert versions[0].current and store.in_use() == versions[0].id
    written = {p for p in data_copy.rglob("*") if p.is_file()} - before
    assert written and all(p.is_relative_to(data_copy / "state") for p in written)
    with pytest.raises(KeyError):
        store.restore("../../etc")
