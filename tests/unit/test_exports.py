"""Exports read back as the filtered data, the briefing is one A4 page, the CLI makes it."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pypdf import PdfReader

from georisk import text
from georisk.analysis import overview
from georisk.model import context, settings
from georisk.outputs import briefing, export, printing
from georisk.view import Filters, View, choices_for, clamp_filters
from tests.conftest import georisk_cli, require_chromium
from tests.support import bundled

DATASET = bundled()
CHOICES = choices_for(DATASET)
CONTEXT = context.context_of(DATASET)


def view(**changes) -> View:
    filters = clamp_filters(
        Filters(asof=dt.date(2016, 12, 15), end=dt.date(2016, 12, 15), **changes), CHOICES
    )
    return View.of(DATASET, filters, CHOICES)


def read_bundle(data: bytes, name: str) -> tuple[pd.DataFrame, dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        table = pd.read_csv(archive.open(f"{name}.csv"), dtype=str, keep_default_na=False)
        meta = json.loads(archive.read(f"{name}.metadata.json"))
    return table, meta


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the CSV writes it: ISO dates, empty for missing, text for the rest."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), "").astype(str).reset_index(drop=True)


@pytest.mark.parametrize("name", ["incidents", "events"])
def test_csv_download_reads_back_as_the_filtered_data(name):
    v = view(regions=("Balochistan", "Sindh"), categories=("energy", "security"))
    table = getattr(v, name)
    meta = export.metadata(v, settings.DEFAULTS, name, len(table))
    back, meta_back = read_bundle(export.csv_bundle(table, name, meta), name)
    expected = as_text(text.neutralise(table))
    expected["killed" if name == "incidents" else "significance"] = expected[
        "killed" if name == "incidents" else "significance"
    ].str.replace(r"\.0$", "", regex=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert meta_back["rows"] == len(table) and meta_back["asof"] == "2016-12-15"
    assert meta_back["filters"]["region"] == ["Balochistan", "Sindh"]
    assert meta_back["model_version"] == settings.MODEL_VERSION and "events.csv" in meta_back["sources"]


def test_formula_cells_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame(
        {"text": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "plain"], "number": [-1.5, 2, 3, 4, 5]}
    )
    safe = text.neutralise(frame)
    assert list(safe["text"]) == ['\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)", "plain"]
    assert list(safe["number"]) == [-1.5, 2, 3, 4, 5]


def test_sites_geojson_reads_back_with_scores_and_metadata():
    v = view(sectors=("energy",))
    summary = overview.summarise(v, settings.DEFAULTS)
    data = export.sites_geojson(summary.scores, v.sites, export.metadata(v, settings.DEFAULTS, "sites", 4))
    document = json.loads(data)
    assert document["metadata"]["filters"]["sector"] == ["energy"]
    back = gpd.read_file(io.BytesIO(data))
    assert sorted(back["site_id"]) == sorted(summary.scores["site_id"])
    merged = back.set_index("site_id").join(summary.scores.set_index("site_id"), suffixes=("", "_model"))
    assert (merged["band"] == merged["band_model"]).all() and (merged["score"] == merged["score_model"]).all()
    original = v.sites.set_index("site_id").geometry
    assert all(back.set_index("site_id").geometry[i].equals_exact(original[i], 1e-9) for i in original.index)


@pytest.fixture(scope="module")
def one_page(tmp_path_factory) -> tuple[Path, overview.Summary, float]:
    chromium = require_chromium()
    summary = overview.summarise(view(), settings.DEFAULTS)
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    _, seconds = printing.pdf(
        briefing.build(summary, "https://example.org/?asof=2016-12-15").html, out, chromium
    )
    return out, summary, seconds


def test_briefing_pdf_is_one_page_with_headline_sites_and_model(one_page):
    out, summary, _ = one_page
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842), "A4 in points"
    text = " ".join(reader.pages[0].extract_text().split())
    assert f"Portfolio risk: {summary.headline.band}" in text
    for name in summary.scores.head(3)["name"]:
        assert name in text
    assert settings.MODEL_VERSION in text


def test_briefing_html_fetches_nothing_and_escapes_data():
    summary = overview.summarise(view(), settings.DEFAULTS)
    hostile = summary.scores.copy()
    hostile.loc[0, "name"] = "<script>alert(1)</script>"
    html = briefing.build(overview.Summary(**{**summary.__dict__, "scores": hostile})).html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for tag in ("<link ", 'src="http', "src='http", "@import"):
        assert tag not in html


def test_the_same_view_gives_the_same_briefing_html():
    """The app's PDF cache is keyed by the HTML: it must not change between two builds of one
    view (plotly draws random div ids unless told otherwise)."""
    summary = overview.summarise(view(), settings.DEFAULTS)
    first = briefing.build(summary, "https://example.org/?asof=2016-12-15").html
    assert briefing.build(summary, "https://example.org/?asof=2016-12-15").html == first
    assert briefing.build(summary, "https://example.org/?asof=2016-12-31").html != first


def fake_chromium(tmp_path: Path, body: str) -> str:
    """A stand-in for Chromium: a shell script that records its niceness and its process group
    and session (the fields after the command name in /proc/PID/stat), then runs `body`."""
    script = tmp_path / "chromium"
    script.write_text(
        f"#!/bin/sh\nnice > {tmp_path}/niceness\n"
        f"sed 's/.*) //' /proc/$$/stat | cut -d' ' -f3,4 > {tmp_path}/groups\n{body}\n"
    )
    script.chmod(0o755)
    return str(script)


def test_chromium_prints_at_a_lower_priority(tmp_path: Path):
    import os

    writes_pdf = (
        'for a in "$@"; do case "$a" in --print-to-pdf=*) echo "%PDF-1.4" > "${a#--print-to-pdf=}";; '
        "esac; done"
    )
    out, _ = printing.pdf("<p>hi</p>", tmp_path / "out.pdf", fake_chromium(tmp_path, writes_pdf))
    assert out.read_bytes().startswith(b"%PDF")
    niceness = int((tmp_path / "niceness").read_text())
    assert niceness == min(19, os.nice(0) + printing.CHROMIUM_NICENESS)
    # A process group of its own (so that a timeout stops every helper), but our session: Linux's
    # autogroup scheduling gives each session its own CPU share, so a new session would undo the nice.
    group, session = (int(n) for n in (tmp_path / "groups").read_text().split())
    assert group != os.getpgid(0)
    assert session == os.getsid(0)


def test_a_print_over_its_timeout_is_stopped_with_its_helpers(tmp_path: Path):
    import time

    # The stand-in starts a helper, as Chromium does, records its pid and never finishes.
    chromium = fake_chromium(tmp_path, f"sleep 300 & echo $! > {tmp_path}/helper\nsleep 300")
    started = time.monotonic()
    with pytest.raises(printing.PdfError, match="more than 1 s"):
        printing.pdf("<p>hi</p>", tmp_path / "out.pdf", chromium, timeout=1)
    assert time.monotonic() - started < 30
    helper = int((tmp_path / "helper").read_text())
    time.sleep(0.5)
    status = Path(f"/proc/{helper}/status")
    assert not status.exists() or "zombie" in status.read_text(), "the helper was killed too"


def cli(*args: str) -> subprocess.CompletedProcess:
    return georisk_cli("brief", *args)


def test_cli_briefing_with_several_filters(tmp_path: Path):
    require_chromium()
    runs = [
        ("--asof", "2016-12-15", "--sector", "energy", "--out", str(tmp_path / "a.pdf")),
        (
            "--asof",
            "2017-06-30",
            "--region",
            "Sindh",
            "--region",
            "Punjab",
            "--actor",
            "IS-Khorasan",
            "--halflife",
            "720",
            "--out",
            str(tmp_path / "b.pdf"),
        ),
        (
            "--from",
            "2015-01-01",
            "--to",
            "2016-06-30",
            "--category",
            "security",
            "--out",
            str(tmp_path / "c.html"),
        ),
    ]
    for args in runs:
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("wrote ")
    assert len(PdfReader(tmp_path / "a.pdf").pages) == 1
    text = PdfReader(tmp_path / "b.pdf").pages[0].extract_text()
    assert "region: Sindh, Punjab" in " ".join(text.split()) or "Punjab, Sindh" in " ".join(text.split())
    assert "half-life 720 days" in " ".join(text.split())
    assert "<html" in (tmp_path / "c.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args,message",
    [
        (("--sector", "sports", "--out", "x.pdf"), "sector='sports': not a known sector"),
        (("--asof", "15/12/2016", "--out", "x.pdf"), "not a date in the form YYYY-MM-DD"),
        (("--from", "2017-01-01", "--to", "2016-01-01", "--out", "x.pdf"), "starts after it ends"),
        (("--radius", "0", "--out", "x.pdf"), "radius must be 5 to 200 km"),
        (("--out", "x.docx"), "must end in .pdf or .html"),
        (("--asof", "2016-12-15"), "the following arguments are required: --out"),
        (("--data", "/no/such/folder", "--out", "x.pdf"), "is not a folder"),
    ],
)
def test_cli_bad_arguments_exit_2_with_a_clear_message(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
