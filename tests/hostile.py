"""Hostile text planted in a copy of the scenario: every text field a page shows gets markup that
would run, fetch or format if it were not shown as text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import read_rows, write_rows

TRACKER = "http://127.0.0.1:9/tracker.png"
PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "[click](javascript:alert(3))",
    f"![pixel]({TRACKER})",
    '<b id="hostile">bold</b>',
    ":red[colour] **strong** $x^2$",
)
HOSTILE = " ".join(PAYLOADS)

CSV_FIELDS = {
    "events.csv": ("title", "summary", "actors", "location", "source", "notes"),
    "incidents.csv": ("location", "group", "summary", "source", "notes", "district"),
    "judgments.csv": ("statement", "horizon", "source"),
    "indicators.csv": ("label", "source", "notes"),
}


def plant(data_dir: Path, rows: int = 3) -> None:
    """Write the payloads into the first rows of every table and into the sites and catalogue."""
    for name, fields in CSV_FIELDS.items():
        path = data_dir / name
        table = read_rows(path)
        for row in table[:rows]:
            for field in fields:
                row[field] = f"{row[field][:20]} {HOSTILE}"
        write_rows(path, table)
    sites = json.loads((data_dir / "sites.geojson").read_text(encoding="utf-8"))
    for feature in sites["features"]:
        for field in ("name", "description", "status_note", "source"):
            feature["properties"][field] = f"{feature['properties'][field][:24]} {HOSTILE}"
    (data_dir / "sites.geojson").write_text(json.dumps(sites), encoding="utf-8")
    catalog = json.loads((data_dir / "catalog.json").read_text(encoding="utf-8"))
    catalog["scenario"]["title"] = f"Scenario {HOSTILE}"
    for entry in catalog["files"].values():
        entry["source"] = f"{entry['source'][:20]} {HOSTILE}"
    (data_dir / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
