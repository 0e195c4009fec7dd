"""The versions of the imported incidents, and which one is in use.

Every import that is committed becomes a version: its incidents, its report and its listed rows,
kept side by side. One version, or the curated `incidents.csv`, is in use. Nothing replaces the
incidents in use unless the import is complete: an import that keeps no row, or rejects more than
MAX_DEFECT_SHARE of the rows in its scope for a defect, is refused unless forced (DESIGN.md §6).
The last KEEP_VERSIONS versions are kept, and any of them can be put back in use.

`Store` is the interface the app and the command line use; `FolderStore` keeps the versions in
the data folder:

    DATA/incidents.parquet                    the incidents in use (what the app reads); its
                                              Parquet metadata names its version
    DATA/imports/<version>/incidents.parquet  each version's incidents,
    DATA/imports/<version>/report.json        its report,
    DATA/imports/<version>/rows.csv           and every row it did not import as it came

A database store (the next issue) implements the same interface; the importers never see it.
Other sessions and processes read the folder at any moment: each change is an atomic rename, so
a reader sees the old incidents or the new ones, never a half-written file and never none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from georisk.feeds.core import Report

PARQUET = "incidents.parquet"
IMPORTS = "imports"
VERSION_KEY = b"georisk_version"
# An import whose defective rows exceed this share of the rows in its scope replaces nothing
# unless forced: it is more likely a misread file than a feed with a few bad rows.
MAX_DEFECT_SHARE = 0.10
KEEP_VERSIONS = 10


class ImportRefused(Exception):
    """The import may not replace the incidents in use; `reasons` say why."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def refusals(report: Report) -> list[str]:
    """Why an import may not replace the incidents in use (empty: it may)."""
    reasons = []
    if report.imported == 0:
        reasons.append(f"it keeps no row ({report.summary()})")
    in_scope = report.read - report.out_of_scope
    if in_scope and report.defective / in_scope > MAX_DEFECT_SHARE:
        reasons.append(
            f"it rejects {report.defective:,} of its {in_scope:,} rows in scope "
            f"({report.defective / in_scope:.0%}) for defects; the limit is {MAX_DEFECT_SHARE:.0%}"
        )
    return reasons


@dataclass(frozen=True)
class Version:
    id: str
    created: str
    kind: str
    file: str
    summary: str
    imported: int
    in_use: bool


class Store(Protocol):
    def versions(self) -> list[Version]: ...
    def in_use(self) -> str | None: ...
    def report(self, version: str) -> tuple[Report, pd.DataFrame]: ...
    def commit(self, incidents: pd.DataFrame, report: Report, force: bool = False) -> Version: ...
    def restore(self, version: str) -> None: ...
    def use_curated(self) -> None: ...


def version_of(parquet: Path) -> str | None:
    """The version an incidents Parquet file holds (None: not a committed import)."""
    try:
        metadata = pq.read_schema(parquet).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    value = metadata.get(VERSION_KEY)
    return value.decode("utf-8") if value else None


class FolderStore:
    def __init__(self, data_dir: Path | str, keep: int = KEEP_VERSIONS):
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / IMPORTS
        self.keep = keep

    # -- reading

    def in_use(self) -> str | None:
        current = self.data_dir / PARQUET
        return version_of(current) if current.is_file() else None

    def versions(self) -> list[Version]:
        """Every kept version, newest first."""
        if not self.folder.is_dir():
            return []
        in_use = self.in_use()
        found = []
        for path in sorted(self.folder.iterdir(), reverse=True):
            report_file = path / "report.json"
            if not (path / PARQUET).is_file() or not report_file.is_file():
                continue  # a version still being written, or a stray folder
            data = json.loads(report_file.read_text(encoding="utf-8"))
            found.append(
                Version(
                    path.name,
                    data.get("created", ""),
                    data.get("kind", ""),
                    data.get("file", ""),
                    data.get("summary", ""),
                    int(data.get("imported", 0)),
                    path.name == in_use,
                )
            )
        return found

    def report(self, version: str) -> tuple[Report, pd.DataFrame]:
        """A version's report and its listed rows."""
        path = self._path(version)
        report = Report.from_dict(json.loads((path / "report.json").read_text(encoding="utf-8")))
        rows = pd.read_csv(path / "rows.csv", dtype={"feed_id": str, "value": str})
        return report, rows

    # -- changing

    def commit(self, incidents: pd.DataFrame, report: Report, force: bool = False) -> Version:
        """Keep the import as a new version and put it in use; refuse an incomplete import
        (ImportRefused) unless forced."""
        reasons = refusals(report)
        if reasons and not force:
            raise ImportRefused(reasons)
        if reasons:
            report.notes.append("committed although " + "; ".join(reasons))
        version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{report.kind}"
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".{version}.{uuid.uuid4().hex}.partial"
        staging.mkdir()
        table = pa.Table.from_pandas(incidents, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), VERSION_KEY: version.encode()}
        )
        pq.write_table(table, staging / PARQUET)
        (staging / "report.json").write_text(
            json.dumps({**report.to_dict(), "version": version}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        report.issues_frame().to_csv(staging / "rows.csv", index=False)
        staging.replace(self.folder / version)
        self.restore(version)
        self._prune()
        return next(v for v in self.versions() if v.id == version)

    def restore(self, version: str) -> None:
        """Put a kept version in use."""
        source = self._path(version) / PARQUET
        staging = self.data_dir / f".{PARQUET}.{uuid.uuid4().hex}.partial"
        try:
            os.link(source, staging)  # a second name for the same bytes: instant, no copy
        except OSError:  # a file system without hard links
            shutil.copy2(source, staging)
        staging.replace(self.data_dir / PARQUET)

    def use_curated(self) -> None:
        """Go back to the curated incidents.csv (every version stays kept)."""
        (self.data_dir / PARQUET).unlink(missing_ok=True)

    def _path(self, version: str) -> Path:
        path = self.folder / version
        # A version id is a folder name we made; refuse anything else (a path from a user).
        if path.parent != self.folder or not (path / PARQUET).is_file():
            raise KeyError(f"no such import version: {version}")
        return path

    def _prune(self) -> None:
        in_use = self.in_use()
        for old in self.versions()[self.keep :]:
            if old.id != in_use:
                shutil.rmtree(self.folder / old.id, ignore_errors=True)
