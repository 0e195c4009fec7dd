"""The importers and the numbers the pages show, on real files nobody here wrote (read from
../shared/external/, never copied): the UCDP GED extract for Pakistan and the Pakistan Body Count
list of suicide attacks."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds
from georisk.analysis import overview
from georisk.feeds.store import commit_import, refusals
from georisk.model import context, settings
from georisk.scenario.dataset import load_dataset
from georisk.scenario.precision import UCDP_WHERE
from georisk.view import Filters, View, choices_for
from tests.conftest import DATA, ROOT, external

UCDP = "ucdp_ged_pakistan.csv"
PBC = "pakistan_suicide_attacks.csv"
MAPPING = ROOT / "examples" / "mappings" / "pakistan_body_count.toml"


def records(path: Path, encoding: str) -> list[dict[str, str]]:
    """The file's records, read by the csv module (cells may hold line breaks)."""
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


@cache
def imported(name: str):
    path = external(name)
    mapping = MAPPING.read_text(encoding="utf-8") if name == PBC else None
    kind = "csv" if name == PBC else "ucdp"
    return feeds.run(kind, path.read_bytes(), path.name, feeds.context_for(DATA), mapping)


@pytest.mark.parametrize("name,encoding,skip", [(UCDP, "utf-8", 1), (PBC, "latin-1", 0)])
def test_every_row_of_a_real_file_is_accounted_for(name, encoding, skip):
    incidents, report = imported(name)
    rows = records(external(name), encoding)[skip:]  # UCDP: the HXL tag row is not data
    assert report.read == len(rows)
    assert report.imported + report.unmapped + report.rejected == report.read
    assert report.imported == len(incidents)
    assert refusals(report) == [], "a real feed imports without being forced"
    listed = report.issues_frame()
    not_imported = listed[listed["status"].isin(["rejected", "unmapped"])]
    assert len(not_imported) == report.rejected + report.unmapped, "each one listed with its reason"
    assert not listed["column"].isin(["killed", "wounded"]).any(), "no incident is rejected for its count"


@pytest.mark.parametrize("name", [UCDP, PBC])
def test_imported_equals_loaded_on_a_real_file(name, tmp_path: Path, data_copy: Path):
    incidents, report = imported(name)
    commit_import(data_copy, incidents, report)
    loaded = load_dataset(data_copy)
    assert len(loaded.incidents) == report.imported
    name = loaded.tables["incidents"].file
    assert name.startswith("store version ") and not [p for p in loaded.problems if p.file == name]
    assert loaded.incidents["source"].notna().all()


def test_ucdp_precision_is_read_from_where_prec():
    incidents, _ = imported(UCDP)
    rows = pd.DataFrame(records(external(UCDP), "utf-8")[1:])
    rows["incident_id"] = "UCDP-" + rows["id"]
    merged = incidents.merge(rows[["incident_id", "where_prec", "best"]], on="incident_id")
    assert len(merged) == len(incidents)
    expected = merged["where_prec"].map(UCDP_WHERE)
    relocated = incidents["geo_precision"].eq("province") & merged["where_prec"].ne("4")
    assert (merged["geo_precision"] == expected)[~relocated.to_numpy()].all()
    assert (merged["killed"].astype(float) == merged["best"].astype(float)).all(), (
        "deaths: UCDP's best estimate"
    )


def test_pbc_counts_ranges_and_blanks_stay_incidents():
    incidents, report = imported(PBC)
    assert report.rejected == 0
    assert incidents["killed"].isna().sum() + incidents["killed"].notna().sum() == report.imported


@cache
def ucdp_summary(asof: str):
    incidents, report = imported(UCDP)
    dataset = load_dataset(DATA)
    dataset.tables["incidents"].frame = incidents  # the feed in place of the curated incidents
    choices = choices_for(dataset)
    day = pd.Timestamp(asof).date()
    view = View.of(dataset, Filters(start=choices.first_date, end=day, asof=day), choices)
    return overview.summarise(view, settings.DEFAULTS), view


def test_the_ranking_on_the_ucdp_feed_counts_only_precise_points_and_names_the_rest():
    summary, view = ucdp_summary("2014-12-31")
    scores = summary.scores
    announced = view.dataset.sites[view.dataset.sites["announced_date"] <= pd.Timestamp("2014-12-31")]
    assert set(scores["site_id"]) == set(announced["site_id"]) and len(scores) == 3
    for row in scores.itertuples():
        assert f"{row.incidents_recent} incident(s)" in row.reason or "no incident" in row.reason.lower()
        if row.recent_left_out:
            assert f"{row.recent_left_out} more placed too coarsely" in row.reason
    assert scores["incidents_left_out"].sum() > 0, "the feed has district and coarser points near sites"


def test_as_of_2009_on_the_ucdp_feed_the_headline_says_the_ratings_are_missing():
    summary, _ = ucdp_summary("2009-06-30")
    assert "outside the threat ratings' coverage" in summary.ratings.text()
    assert summary.ratings.unrated == len(summary.scores)


def test_derived_ratings_from_the_ucdp_feed_rate_2009():
    incidents, _ = imported(UCDP)
    dataset = load_dataset(DATA)
    dataset.tables["incidents"].frame = incidents
    ctx = context.context_of(dataset)
    threat = ctx.threat("Khyber Pakhtunkhwa", set(), pd.Timestamp("2009-06-30"), "derived")
    assert threat.level == 5 and threat.origin == "derived", "2009 H1 was one of the worst half-years"
    csv_text = io.StringIO()
    ctx.derived_levels.to_csv(csv_text, index=False)
    assert "georisk derived threat rule 1" in csv_text.getvalue()
