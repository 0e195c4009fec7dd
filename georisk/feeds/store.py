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

    DATA/imports/.lock                        the writers' lock (see below)

A database store (the next issue) implements the same interface; the importers never see it.

Concurrency. Other sessions and processes read the folder at any moment, and several may write:
  - every change (commit, restore, use_curated, pruning) holds an exclusive lock, flock(2) on
    imports/.lock, for its whole length; a writer waits up to LOCK_TIMEOUT seconds for it, then
    gives up with StoreBusy and changes nothing. The operating system releases the lock when its
    holder dies, so a crashed import never leaves the folder locked; the lock file itself stays.
  - a commit writes the incidents, the report and the listed rows into a staging folder, renames
    the whole folder to its version (unique: time and a random part) and only then switches the
    incidents in use, as its last step and a single atomic os.replace. So the version in use
    always has its report, and a commit that fails at any step has changed nothing (its staging
    is removed; staging left by a writer that died is removed by the next writer).
  - readers take no lock: a reader sees the old incidents or the new ones, never a half-written
    file and never none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from georisk import text
from georisk.feeds.core import Report
from georisk.scenario.imports import IMPORTS, PARQUET, VERSION_KEY, version_of

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock then holds between the threads of one process
    fcntl = None

# An import whose defective rows exceed this share of the rows in its scope replaces nothing
# unless forced: it is more likely a misread file than a feed with a few bad rows.
MAX_DEFECT_SHARE = 0.10
KEEP_VERSIONS = 10
LOCK = ".lock"
# How long a writer waits for another to finish (a large import writes for some seconds).
LOCK_TIMEOUT = 60.0
PARTIAL = ".partial"
_THREAD_LOCK = threading.Lock()  # only where fcntl is missing


class StoreError(Exception):
    """The store could not be changed; nothing was (the message says why)."""


class StoreBusy(StoreError):
    """Another writer held the lock for longer than LOCK_TIMEOUT; nothing was changed."""


class ImportRefused(Exception):
    """The import may not replace the incidents in use; `reasons` say why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def safe_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """An import's listed rows as a person may see and download them (a table's own download
    writes what it shows): text cells that a spreadsheet would run as a formula are neutralised,
    as in every export (georisk.outputs.export)."""
    return text.neutralise(rows)


def rows_csv(rows: pd.DataFrame) -> bytes:
    """An import's listed rows (Report.issues_frame(), or a version's rows) as the CSV a person
    downloads and opens: formula-safe, UTF-8. The one writer of listed rows, for the version's
    rows.csv and the Data page's download (import_rows.csv) alike."""
    return text.csv_text(rows).encode("utf-8")


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


class FolderStore:
    def __init__(
        self, data_dir: Path | str, keep: int = KEEP_VERSIONS, lock_timeout: float = LOCK_TIMEOUT
    ) -> None:
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / IMPORTS
        self.keep = keep
        self.lock_timeout = lock_timeout

    # -- reading (no lock: every change is an atomic rename)

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
            if path.name.startswith("."):
                continue  # the lock, or a version still being written
            try:
                data = json.loads((path / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a stray folder, or one pruned while we read
            if not (path / PARQUET).is_file() or not isinstance(data, dict):
                continue
            found.append(
                Version(
                    path.name,
                    str(data.get("created", "")),
                    str(data.get("kind", "")),
                    str(data.get("file", "")),
                    str(data.get("summary", "")),
                    int(data.get("imported", 0)),
                    path.name == in_use,
                )
            )
        return found

    def report(self, version: str) -> tuple[Report, pd.DataFrame]:
        """A version's report and its listed rows (as rows.csv holds them: formula-safe)."""
        path = self._path(version)
        try:
            report = Report.from_dict(json.loads((path / "report.json").read_text(encoding="utf-8")))
            rows = pd.read_csv(path / "rows.csv", dtype=str, keep_default_na=False)
        except (OSError, ValueError) as err:
            raise KeyError(f"import version {version} cannot be read: {err}") from err
        rows = rows.astype(object).where(rows != "", None)
        rows["row"] = pd.to_numeric(rows["row"])
        return report, rows

    # -- changing (each under the lock, all or nothing)

    def commit(self, incidents: pd.DataFrame, report: Report, force: bool = False) -> Version:
        """Keep the import as a new version and put it in use; refuse an incomplete import
        (ImportRefused) unless forced. Raises StoreBusy or StoreError and changes nothing when
        it cannot complete."""
        reasons = refusals(report)
        if reasons and not force:
            raise ImportRefused(reasons)
        if reasons:
            report.notes.append("committed although " + "; ".join(reasons))
        with self._locked():
            version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{report.kind}-{uuid.uuid4().hex[:6]}"
            staging = self.folder / f".{version}.{uuid.uuid4().hex}{PARTIAL}"
            try:
                staging.mkdir()
                self._write_version(staging, version, incidents, report)
                os.rename(staging, self.folder / version)
            except Exception as err:
                shutil.rmtree(staging, ignore_errors=True)
                raise StoreError(f"the import could not be stored, nothing changed: {err}") from err
            try:
                self._switch(version)
            except Exception as err:
                shutil.rmtree(self.folder / version, ignore_errors=True)
                raise StoreError(f"the import could not be put in use, nothing changed: {err}") from err
            self._prune()
            return Version(
                version, report.created, report.kind, report.file, report.summary(), report.imported, True
            )

    def restore(self, version: str) -> None:
        """Put a kept version in use."""
        with self._locked():
            self._path(version)  # KeyError for a version that is not kept
            self._switch(version)

    def use_curated(self) -> None:
        """Go back to the curated incidents.csv (every version stays kept)."""
        with self._locked():
            (self.data_dir / PARQUET).unlink(missing_ok=True)

    # -- the steps, called with the lock held

    @contextlib.contextmanager
    def _locked(self):
        """Hold the writers' lock (flock on imports/.lock), waiting up to lock_timeout seconds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            if not _THREAD_LOCK.acquire(timeout=self.lock_timeout):
                raise StoreBusy(self._busy())
            try:
                yield
            finally:
                _THREAD_LOCK.release()
            return
        with open(self.folder / LOCK, "a") as handle:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreBusy(self._busy()) from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _busy(self) -> str:
        return (
            f"another import, restore or switch is changing {self.data_dir.name} (it has held "
            f"{self.folder / LOCK} for over {self.lock_timeout:.0f} s): nothing changed; try again"
        )

    def _write_version(self, folder: Path, version: str, incidents: pd.DataFrame, report: Report) -> None:
        """The version's three files: its incidents (their metadata name the version), its report
        and its listed rows."""
        table = pa.Table.from_pandas(incidents, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), VERSION_KEY: version.encode()}
        )
        pq.write_table(table, folder / PARQUET)
        document = {**report.to_dict(), "version": version, "csv_safety": text.NEUTRALISED}
        (folder / "report.json").write_text(
            json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        (folder / "rows.csv").write_bytes(rows_csv(report.issues_frame()))

    def _switch(self, version: str) -> None:
        """Make a version's incidents the ones in use: one atomic os.replace, the last step."""
        source = self.folder / version / PARQUET
        staging = self.data_dir / f".{PARQUET}.{uuid.uuid4().hex}{PARTIAL}"
        try:
            try:
                os.link(source, staging)  # a second name for the same bytes: instant, no copy
            except OSError:  # a file system without hard links
                shutil.copy2(source, staging)
            os.replace(staging, self.data_dir / PARQUET)
        finally:
            staging.unlink(missing_ok=True)

    def _path(self, version: str) -> Path:
        path = self.folder / str(version)
        # A version id is a folder name we made; refuse anything else (a path from a user).
        if path.parent != self.folder or path.name.startswith(".") or not (path / PARQUET).is_file():
            raise KeyError(f"no such import version: {version}")
        return path

    def _prune(self) -> None:
        """Remove versions past the kept number (never the one in use), and the staging that a
        writer which died left behind (with the lock held, no other writer is staging)."""
        in_use = self.in_use()
        for old in self.versions()[self.keep :]:
            if old.id != in_use:
                shutil.rmtree(self.folder / old.id, ignore_errors=True)
        for stale in [*self.folder.glob(f".*{PARTIAL}"), *self.data_dir.glob(f".{PARQUET}.*{PARTIAL}")]:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
