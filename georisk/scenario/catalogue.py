"""The data catalogue: what each file is, where it comes from, and what it must contain.

`read_catalog` is the one reader of catalog.json: it checks the type of every field the code uses
and hands on only checked values, so that a string where an object belongs, a list where a number
belongs or a deeply nested document is a problem of the catalogue, never a traceback elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path

from georisk.problems import ERROR, WARNING, Problem
from georisk.scenario.reading import csv_records, load_json
from georisk.scenario.schema import (
    EARLIEST_DATE,
    INDEX_WEIGHT_RANGE,
    LATEST_DATE,
    SCHEMA_VERSION,
    TABLES,
    DateWindow,
    window_keys,
)

CATALOG = "catalog.json"
# A catalogue is a page of text; anything larger is not one.
MAX_CATALOG_BYTES = 1024 * 1024


# --- reading and checking --------------------------------------------------------------------------


def _kind(value: object) -> str:
    """A JSON value's type in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _expected(what: str, value: object) -> ValueError:
    return ValueError(f"is {_kind(value)}, expected {what}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _expected("text", value)
    return value


def _version(value: object) -> str:
    # "1.1" is meant; a bare number 1.1 says the same.
    if _is_number(value):
        return str(value)
    return _text(value)


def _positive(value: object) -> float:
    if not _is_number(value):
        raise _expected("a positive number", value)
    if value <= 0:
        raise ValueError(f"is {value}, expected a positive number")
    return float(value)


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _expected("a whole number, 0 or more", value)
    return value


def _texts(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _expected("a list of texts", value)
    return list(value)


def _weights(value: object) -> dict[str, float]:
    if not isinstance(value, dict):
        raise _expected("an object of indicator: weight", value)
    low, high = INDEX_WEIGHT_RANGE
    bad = [k for k, v in value.items() if not _is_number(v) or not low <= v <= high]
    if bad:
        raise ValueError(f"weights must be numbers from {low:g} to {high:g}; not so for {', '.join(bad[:5])}")
    return {k: float(v) for k, v in value.items()}


def _iso(value: object) -> date:
    if not isinstance(value, str):
        raise _expected("an ISO date YYYY-MM-DD", value)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO date YYYY-MM-DD") from None
    if len(value) != 10 or not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{value} is not an ISO date from {EARLIEST_DATE} to {LATEST_DATE}")
    return day


def _windows(value: object) -> dict[str, DateWindow]:
    """`{"incidents": ["1989-01-01", "2026-12-31"], "threat_levels.period_end": [...]}`: per
    table, or per table.column, its first and last plausible date."""
    if not isinstance(value, dict):
        raise _expected('an object of "table" or "table.column": [first date, last date]', value)
    keys = window_keys()
    tables = {key.split(".")[0] for key in keys}
    windows = {}
    for key, pair in value.items():
        if key not in keys and key not in tables:
            raise ValueError(f"{key[:40]!r} is not a table or table.column with dates ({', '.join(keys)})")
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{key}: is {_kind(pair)}, expected a list of two dates [first, last]")
        start, end = _iso(pair[0]), _iso(pair[1])
        if end < start:
            raise ValueError(f"{key}: the last date {end} is before the first {start}")
        windows[key] = DateWindow(start, end)
    return windows


Reader = Callable[[object], object]

SCENARIO_FIELDS: dict[str, Reader] = {
    "title": _text,
    "country": _text,
    "summary": _text,
    "licence": _text,
    "partner_country": _text,
    "district_km": _positive,
    "district_km_note": _text,
    "cooperation_index_weights": _weights,
    "cooperation_index_note": _text,
    "date_windows": _windows,
}
FILE_FIELDS: dict[str, Reader] = {
    "table": _text,
    "description": _text,
    "source": _text,
    "licence": _text,
    "rows": _count,
    "columns": _texts,
    "geometry_types": _texts,
    "sha256": _text,
}


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)[:200]


def _section(value: object, fields: dict[str, Reader], where: str, problems: list[Problem]) -> dict:
    """The checked fields of one object of the catalogue; each bad one is reported and left out."""
    if not isinstance(value, dict):
        problems.append(Problem(CATALOG, None, where, f"is {_kind(value)}, expected an object: ignored"))
        return {}
    checked = {}
    for key, item in value.items():
        field = f"{where}.{key}" if where else key
        read = fields.get(key)
        if read is None:
            problems.append(Problem(CATALOG, None, field, "unknown field, ignored", severity=WARNING))
            continue
        try:
            checked[key] = read(item)
        except ValueError as err:
            problems.append(Problem(CATALOG, None, field, f"{err}: ignored", _shown(item)))
    return checked


def check_catalog(document: object) -> tuple[dict, list[Problem]]:
    """The catalogue with only checked values (see the module's docstring), and its problems."""
    if not isinstance(document, dict):
        return {}, [Problem(CATALOG, None, None, "the catalogue is not a JSON object")]
    problems: list[Problem] = []
    catalog: dict = {}
    top = {"schema_version": _version}
    catalog.update(_section({k: v for k, v in document.items() if k in top}, top, "", problems))
    for key in sorted(set(document) - {"schema_version", "scenario", "files"}):
        problems.append(Problem(CATALOG, None, key, "unknown field, ignored", severity=WARNING))
    if "scenario" in document:
        catalog["scenario"] = _section(document["scenario"], SCENARIO_FIELDS, "scenario", problems)
    if "files" in document:
        files = document["files"]
        catalog["files"] = {}
        if not isinstance(files, dict):
            problems.append(
                Problem(CATALOG, None, "files", f"is {_kind(files)}, expected an object: ignored")
            )
            files = {}
        known = {spec.filename for spec in TABLES}
        for name, entry in files.items():
            if name not in known:
                reason = "not a file of the scenario, ignored"
                problems.append(Problem(CATALOG, None, f"files.{name}", reason, severity=WARNING))
                continue
            catalog["files"][name] = _section(entry, FILE_FIELDS, f"files.{name}", problems)
    return catalog, problems + schema_version_problems(catalog)


def read_catalog(data_dir: Path) -> tuple[dict, list[Problem]]:
    """The folder's catalogue, checked (an absent catalogue is an empty one)."""
    path = Path(data_dir) / CATALOG
    if not path.is_file():
        return {}, []
    try:
        if path.stat().st_size > MAX_CATALOG_BYTES:
            raise ValueError(f"larger than {MAX_CATALOG_BYTES // 1024} KB: not a catalogue")
        document = load_json(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return {}, [Problem(CATALOG, None, None, f"unreadable catalogue: {err}")]
    return check_catalog(document)


def schema_version_problems(catalog: dict) -> list[Problem]:
    """The catalogue names the schema its files follow; this code reads SCHEMA_VERSION. A missing
    version is a warning, another major version an error, another minor version a warning."""
    given = catalog.get("schema_version")
    if given is None:
        return [
            Problem(
                CATALOG,
                None,
                "schema_version",
                f"no schema_version: the files are read as schema {SCHEMA_VERSION}",
                severity=WARNING,
            )
        ]
    if given == SCHEMA_VERSION:
        return []
    same_major = given.split(".")[0] == SCHEMA_VERSION.split(".")[0]
    reason = f"the catalogue says schema version {given}, this code reads {SCHEMA_VERSION}" + (
        ": the files should load, but check data/README.md for what changed"
        if same_major
        else ": files of another major version may not load as meant; convert them or use the matching "
        "version of the dashboard"
    )
    return [Problem(CATALOG, None, "schema_version", reason, given, WARNING if same_major else ERROR)]


# --- measuring -------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update(data_dir: Path, catalog_name: str = CATALOG) -> Path:
    """Refresh the measured fields (rows, columns, geometry types, SHA-256) of every catalogued file.

    Descriptions, sources and licences are written by hand; only what can be measured is
    recomputed, so the catalogue test catches a file that changed without this step. A catalogue
    that cannot be read, or whose `files` is not an object of objects, raises ValueError.
    """
    path = Path(data_dir) / catalog_name
    catalog = load_json(path.read_text(encoding="utf-8"))
    files = catalog.get("files") if isinstance(catalog, dict) else None
    if not isinstance(files, dict) or not all(isinstance(e, dict) for e in files.values()):
        raise ValueError(f"{path}: 'files' is not an object of file entries")
    for filename, entry in files.items():
        entry.update(measure(Path(data_dir) / filename))
    path.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def measure(path: Path) -> dict:
    """The measurable facts of a curated file, as the catalogue records them."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".geojson":
        document = load_json(text)
        features = document.get("features") if isinstance(document, dict) else None
        features = [f for f in features if isinstance(f, dict)] if isinstance(features, list) else []
        properties = [f.get("properties") for f in features]
        columns = sorted({key for p in properties if isinstance(p, dict) for key in p})
        geometries = [f.get("geometry") for f in features]
        types = sorted({str(g.get("type")) for g in geometries if isinstance(g, dict)})
        return {"rows": len(features), "columns": columns, "geometry_types": types, "sha256": sha256(path)}
    records = list(csv_records(text))
    return {"rows": len(records) - 1, "columns": records[0].cells, "sha256": sha256(path)}
