"""The loaded scenario: every table validated on its own and against the others.

This is the one loading path: the app, the command line and the tests all go through
`load_dataset`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd

from georisk.problems import ERROR, Problem, problems_frame
from georisk.scenario import imports
from georisk.scenario.catalogue import read_catalog
from georisk.scenario.reading import Table, load_tables
from georisk.scenario.rules import apply_cross_file_rules
from georisk.scenario.schema import DateWindow, date_window
from georisk.store import location
from georisk.store.database import Freshness

# The bundled scenario, anchored on this file rather than the working directory.
BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data"
DATA_ENV = "GEORISK_DATA"


def data_dir_from(argv: list[str], environ: dict[str, str] | os._Environ = os.environ) -> Path:
    """The data folder: `--data DIR` after `streamlit run dashboard.py --`, else $GEORISK_DATA,
    else the bundled scenario."""
    for i, arg in enumerate(argv):
        if arg == "--data" and i + 1 < len(argv):
            return Path(argv[i + 1]).expanduser().resolve()
        if arg.startswith("--data="):
            return Path(arg.split("=", 1)[1]).expanduser().resolve()
    if environ.get(DATA_ENV):
        return Path(environ[DATA_ENV]).expanduser().resolve()
    return BUNDLED_DATA


@dataclass(frozen=True)
class IncidentSource:
    """Where the incidents in use come from, to be credited wherever their numbers appear."""

    curated: bool
    description: str  # e.g. "UCDP feed ucdp_ged_pakistan.csv, imported 2026-12-01"
    source: str
    licence: str
    version: str | None = None

    def credit(self) -> str:
        parts = [self.description, self.source, f"licence: {self.licence}" if self.licence else ""]
        return "; ".join(p for p in parts if p)


FEED_NAMES = {"acled": "ACLED", "gtd": "Global Terrorism Database", "ucdp": "UCDP GED", "csv": "CSV"}


@dataclass
class Dataset:
    data_dir: Path
    tables: dict[str, Table]
    # The catalogue as georisk.scenario.catalogue.read_catalog checked it: every value has its declared type.
    catalog: dict

    catalog_problems: list[Problem] = field(default_factory=list)
    # The store's version in use (None: the curated incidents.csv, or an old folder store's file).
    stored: location.Stored | None = None
    # Why the store could not be read (the curated incidents are shown then).
    store_problem: str | None = None

    # The good rows of each table.
    @property
    def events(self) -> pd.DataFrame:
        return self.tables["events"].frame

    @property
    def incidents(self) -> pd.DataFrame:
        return self.tables["incidents"].frame

    @property
    def sites(self) -> gpd.GeoDataFrame:
        return self.tables["sites"].frame

    @property
    def boundaries(self) -> gpd.GeoDataFrame:
        return self.tables["boundaries"].frame

    @property
    def actors(self) -> pd.DataFrame:
        return self.tables["actors"].frame

    @property
    def actor_aliases(self) -> pd.DataFrame:
        return self.tables["actor_aliases"].frame

    @property
    def threat_levels(self) -> pd.DataFrame:
        return self.tables["threat_levels"].frame

    @property
    def threat_scale(self) -> pd.DataFrame:
        return self.tables["threat_scale"].frame

    @property
    def indicators(self) -> pd.DataFrame:
        return self.tables["indicators"].frame

    @property
    def judgments(self) -> pd.DataFrame:
        return self.tables["judgments"].frame

    @property
    def estimative_scale(self) -> pd.DataFrame:
        return self.tables["estimative_scale"].frame

    @property
    def scenario(self) -> dict:
        return self.catalog.get("scenario", {})

    @property
    def country(self) -> str:
        return self.scenario.get("country", "the country")

    @property
    def date_windows(self) -> dict[str, DateWindow]:
        """The scenario's own plausible date windows (catalog.json scenario.date_windows)."""
        return self.scenario.get("date_windows", {})

    def date_window(self, table: str, column: str | None = None) -> DateWindow:
        """The plausible window of a table's date column in this scenario (schema.date_window)."""
        return date_window(table, column, self.date_windows)

    @property
    def problems(self) -> list[Problem]:
        return self.catalog_problems + [p for table in self.tables.values() for p in table.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def problems_frame(self) -> pd.DataFrame:
        return problems_frame(self.problems)

    @cached_property
    def incident_source(self) -> IncidentSource:
        """The curated incidents.csv, or the store's version in use (its feeds, their dates and
        licences), or an import of the old folder store."""
        entry = self.catalog.get("files", {}).get("incidents.csv", {})
        curated = IncidentSource(
            True, "curated incidents.csv", entry.get("source", ""), entry.get("licence", "")
        )
        if self.stored is not None:
            feeds = self.stored.credit
            return IncidentSource(
                False,
                "; ".join(
                    f"{FEED_NAMES.get(feed, feed)} API, refreshed {c['finished'][:10]}"
                    if c["kind"] == "refresh"
                    else f"{FEED_NAMES.get(feed, feed)} feed {c['label']}, imported {c['finished'][:10]}"
                    for feed, c in feeds.items()
                ),
                "; ".join(dict.fromkeys(c["citation"] for c in feeds.values() if c["citation"])),
                "; ".join(dict.fromkeys(c["licence"] for c in feeds.values() if c["licence"])),
                self.stored.version,
            )
        if self.tables["incidents"].file == "incidents.csv":
            return curated
        version = imports.version_of(self.data_dir / self.tables["incidents"].file)
        report = imports.report_credit(self.data_dir, version) if version else None
        if report is None:
            return IncidentSource(
                False, f"imported {self.tables['incidents'].file} (no import report)", "", ""
            )
        feed = FEED_NAMES.get(report["kind"], report["kind"])
        return IncidentSource(
            False,
            f"{feed} feed {report['file']}, imported {report['created'][:10]}",
            report["citation"],
            report["licence"],
            version,
        )

    @property
    def freshness(self) -> list[Freshness]:
        """Each feed's last successful update and latest event, read from the store (a few
        seconds old at most: a refresh that found nothing new still counts as an update)."""
        return location.freshness(self.data_dir)

    def sources_text(self) -> str:
        """The credit line for anything made from this dataset: the incidents in use first (the
        feed, file, date and licence of an import), then each curated file's source."""
        files = {
            name: entry.get("source", "")
            for name, entry in self.catalog.get("files", {}).items()
            if name != "incidents.csv" or self.incident_source.curated
        }
        incidents = "" if self.incident_source.curated else f"Incidents: {self.incident_source.credit()}. "
        return f"{incidents}Sources: every record cites its own; by file: " + "; ".join(
            f"{name}: {source}" for name, source in files.items()
        )

    def files_table(self) -> pd.DataFrame:
        """One row per file (the Data page's table): what it is and where it comes from (its
        catalogue entry), and how it loaded."""
        entries = self.catalog.get("files", {})
        records = []
        for table in self.tables.values():
            entry = entries.get(table.spec.filename, {})
            if table.spec.name == "incidents" and not self.incident_source.curated:
                source = self.incident_source
                entry = {
                    "description": source.description,
                    "source": source.source,
                    "licence": source.licence,
                }
            rejected = {p.row for p in table.problems if p.severity == ERROR and p.row is not None}
            file_errors = [p.reason for p in table.problems if p.severity == ERROR and p.row is None]
            records.append(
                {
                    "file": table.file,
                    "status": "unusable" if file_errors else ("rows rejected" if rejected else "ok"),
                    "loaded": len(table.frame),
                    "rejected": len(rejected),
                    "description": entry.get("description", table.spec.description),
                    "source": entry.get("source", ""),
                    "licence": entry.get("licence", ""),
                    "note": "; ".join(file_errors),
                }
            )
        return pd.DataFrame.from_records(records)


def load_dataset(data_dir: Path | str, with_store: bool = True) -> Dataset:
    """The scenario of a folder. with_store=False leaves the store out (the curated incidents.csv
    stands in for the incidents): for what needs only the scenario's places and names, such as
    an import, which should not load a million stored incidents to learn the provinces."""
    data_dir = Path(data_dir)
    catalog, catalog_problems = read_catalog(data_dir)
    stored, problem, has_store = location.stored_incidents(data_dir) if with_store else (None, None, True)
    tables = load_tables(
        data_dir,
        catalog.get("scenario", {}).get("date_windows"),
        {"incidents": (f"store version {stored.version}", stored.reader())} if stored else None,
        legacy=not has_store,
    )
    dataset = Dataset(data_dir, tables, catalog, catalog_problems, stored, problem)
    apply_cross_file_rules(tables, dataset.country)
    return dataset
