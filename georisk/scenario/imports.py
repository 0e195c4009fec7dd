"""The folder store of earlier releases (DATA/imports/<version>/, DATA/incidents.parquet) as the
dataset reads it where it has not been moved into the store yet (a read-only folder): which
version the incidents in use hold, and the credit of that version's report. georisk.store.location
moves such a folder into the store the first time the store is opened for it."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PARQUET = "incidents.parquet"
IMPORTS = "imports"
REPORT = "report.json"
VERSION_KEY = b"georisk_version"


def version_of(parquet: Path) -> str | None:
    """The version an incidents Parquet file holds (None: not a committed import)."""
    try:
        metadata = pq.read_schema(parquet).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    value = metadata.get(VERSION_KEY)
    return value.decode("utf-8") if value else None


def report_credit(data_dir: Path, version: str) -> dict[str, str] | None:
    """The fields of a version's report that credit it (kind, file, created, citation, licence),
    or None when the report is missing or unreadable."""
    if not version or "/" in version or version.startswith("."):
        return None
    try:
        data = json.loads((Path(data_dir) / IMPORTS / version / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {key: str(data.get(key) or "") for key in ("kind", "file", "created", "citation", "licence")}
