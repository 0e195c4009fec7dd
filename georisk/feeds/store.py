"""Committing an import to the store (georisk.store), and what may be committed.

Nothing replaces the incidents in use unless the import is complete: an import that keeps no row,
or rejects more than MAX_DEFECT_SHARE of the rows in its scope for a defect, is refused unless
forced (DESIGN.md §6); the refusal is recorded as a run. A file import is the whole of its feed:
the store merges it by (feed, event id), so its new and changed events become new revisions and
the feed's events that the file no longer has are withdrawn (kept, not deleted).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from georisk import text
from georisk.feeds.core import Report
from georisk.store.database import Batch, Run, Store, StoreBusy, StoreError
from georisk.store.location import open_store

__all__ = ["ImportRefused", "Run", "Store", "StoreBusy", "StoreError", "commit_import", "refusals"]

# An import whose defective rows exceed this share of the rows in its scope replaces nothing
# unless forced: it is more likely a misread file than a feed with a few bad rows.
MAX_DEFECT_SHARE = 0.10


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


def store_for(data_dir: Path | str) -> Store:
    """The data folder's store, made if it does not exist yet (StoreError when it cannot be)."""
    store = open_store(data_dir, create=True)
    assert store is not None  # create=True makes it or raises
    return store


def batch_of(incidents: pd.DataFrame, report: Report, kind: str = "import", **fields) -> Batch:
    """The store's batch for an import's incidents and report (the listed rows go with it)."""
    return Batch(
        kind,
        report.kind,
        report.file,
        incidents,
        {**report.to_dict(), "csv_safety": text.NEUTRALISED},
        rows_csv(report.issues_frame()),
        **fields,
    )


def commit_import(
    data_dir: Path | str, incidents: pd.DataFrame, report: Report, force: bool = False, actor: str = ""
) -> Run:
    """Merge a file import into the store as the whole of its feed; refuse an incomplete import
    (ImportRefused, recorded as a refused run) unless forced. Raises StoreBusy or StoreError and
    changes nothing when it cannot complete."""
    started = time.time()
    store = store_for(data_dir)
    reasons = refusals(report)
    if reasons and not force:
        store.record_failure(
            "import",
            report.kind,
            report.file,
            "refused: " + "; ".join(reasons),
            started,
            actor,
            report.read,
            outcome="refused",
            report=report.to_dict(),
        )
        raise ImportRefused(reasons)
    if reasons:
        report.notes.append("committed although " + "; ".join(reasons))
    return store.commit(batch_of(incidents, report, replace=True, actor=actor, started=started))


def report_of(store: Store, run_id: str) -> tuple[Report, pd.DataFrame]:
    """A run's import report and its listed rows (formula-safe, as they were stored)."""
    import io

    data, rows = store.report(run_id)
    report = Report.from_dict(data) if data.get("kind") else Report("restore", "", "")
    if not rows:
        return report, Report("", "", "").issues_frame()
    frame = pd.read_csv(io.BytesIO(rows), dtype=str, keep_default_na=False)
    frame = frame.astype(object).where(frame != "", None)
    frame["row"] = pd.to_numeric(frame["row"])
    return report, frame
