"""The data catalogue: what each file is, where it comes from, and what it must contain."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update(data_dir: Path, catalog_name: str = "catalog.json") -> Path:
    """Refresh the measured fields (rows, columns, geometry types, SHA-256) of every catalogued file.

    Descriptions, sources and licences are written by hand; only what can be measured is
    recomputed, so the catalogue test catches a file that changed without this step.
    """
    path = Path(data_dir) / catalog_name
    catalog = json.loads(path.read_text(encoding="utf-8"))
    for filename, entry in catalog["files"].items():
        entry.update(measure(Path(data_dir) / filename))
    path.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def measure(path: Path) -> dict:
    """The measurable facts of a curated file, as the catalogue records them."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".geojson":
        features = json.loads(text)["features"]
        columns = sorted({key for f in features for key in (f.get("properties") or {})})
        types = sorted({f["geometry"]["type"] for f in features if f.get("geometry")})
        return {"rows": len(features), "columns": columns, "geometry_types": types, "sha256": sha256(path)}
    records = list(csv.reader(io.StringIO(text, newline="")))
    return {"rows": len(records) - 1, "columns": records[0], "sha256": sha256(path)}
