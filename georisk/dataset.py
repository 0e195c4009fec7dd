"""The loaded scenario: every table validated on its own and against the others.

This is the one loading path: the app, the command line and the tests all go through
`load_dataset`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from georisk.loading import Table, load_tables
from georisk.problems import ERROR, Problem, problems_frame
from georisk.validation import apply_cross_file_rules

# The bundled scenario, anchored on this file rather than the working directory.
BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"
DATA_ENV = "GEORISK_DATA"
CATALOG = "catalog.json"


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


@dataclass
class Dataset:
    data_dir: Path
    tables: dict[str, Table]
    catalog: dict

    catalog_problems: list[Problem] = field(default_factory=list)

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
    def problems(self) -> list[Problem]:
        return self.catalog_problems + [p for table in self.tables.values() for p in table.problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def problems_frame(self) -> pd.DataFrame:
        return problems_frame(self.problems)

    def catalogue(self) -> pd.DataFrame:
        """Per table: what it is and where it comes from (the catalogue), and how it loaded."""
        entries = self.catalog.get("files", {})
        records = []
        for table in self.tables.values():
            entry = entries.get(table.spec.filename, {})
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


def load_catalog(data_dir: Path) -> tuple[dict, list[Problem]]:
    path = Path(data_dir) / CATALOG
    if not path.is_file():
        return {}, []
    try:
        catalog = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return {}, [Problem(CATALOG, None, None, f"unreadable catalogue: {err}")]
    if not isinstance(catalog, dict):
        return {}, [Problem(CATALOG, None, None, "the catalogue is not a JSON object")]
    return catalog, []


def load_dataset(data_dir: Path | str) -> Dataset:
    data_dir = Path(data_dir)
    catalog, catalog_problems = load_catalog(data_dir)
    tables = load_tables(data_dir)
    dataset = Dataset(data_dir, tables, catalog, catalog_problems)
    apply_cross_file_rules(tables, dataset.country)
    return dataset
