"""A stand-in for UCDP's API: /api/gedevents/<version> for the versions it is given (yearly YY.1
and candidate YY.0.M), the x-ucdp-access-token header, pagesize (1000 at most) and page (from
0), the filters Country, StartDate and EndDate, and the envelope TotalCount, TotalPages,
PreviousPageUrl, NextPageUrl, Result.

`ged_rows(path)` turns a GED CSV download into events as the API gives them (numbers as numbers,
dates as YYYY-MM-DDT00:00:00, empty cells as null): tests feed it the real Pakistan extract from
../shared/external, never a copy.
"""

from __future__ import annotations

import csv
import threading
import urllib.parse
from pathlib import Path

from tests.fakes import FakeService, Fault, Reply, Seen, paged

DEFAULT_TOKEN = "ucdp-test-token-7f3a"
_INTS = {
    "id",
    "year",
    "type_of_violence",
    "conflict_new_id",
    "dyad_new_id",
    "side_a_new_id",
    "side_b_new_id",
    "number_of_sources",
    "where_prec",
    "priogrid_gid",
    "country_id",
    "event_clarity",
    "date_prec",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
}
_FLOATS = {"latitude", "longitude"}


def _api_value(column: str, text: str):
    if text == "":
        return None
    if column in _INTS:
        return int(float(text))
    if column in _FLOATS:
        return float(text)
    if column in ("date_start", "date_end"):
        return text[:10] + "T" + (text[11:19] or "00:00:00")
    if column == "active_year":
        return text.strip().lower() in ("1", "true")
    return text


def ged_rows(path: Path) -> list[dict]:
    """The events of a GED CSV download (its second line may be an HXL tag row, skipped)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f))
    if records and all(v == "" or v.startswith("#") for v in records[0].values()):
        records = records[1:]
    return [{k: _api_value(k, v) for k, v in r.items()} for r in records]


class UcdpServer(FakeService):
    def __init__(self, versions: dict[str, list[dict]] | None = None, token: str = DEFAULT_TOKEN):
        super().__init__()
        self.token = token
        self.versions: dict[str, list[dict]] = {v: list(rows) for v, rows in (versions or {}).items()}
        self._data_lock = threading.Lock()

    def set_version(self, version: str, rows: list[dict]) -> None:
        with self._data_lock:
            self.versions[version] = list(rows)

    def answer(self, request: Seen, fault: Fault | None) -> Reply:
        prefix = "/api/gedevents/"
        if request.method != "GET" or not request.path.startswith(prefix):
            return Reply(404, {"message": "Not found"})
        if request.headers.get("x-ucdp-access-token") != self.token:
            return Reply(401, {"message": "API token required. Add header: x-ucdp-access-token"})
        version = request.path[len(prefix) :]
        with self._data_lock:
            rows = self.versions.get(version)
        if rows is None:
            return Reply(404, {"message": f"Version {version} not found"})
        query = request.query
        size = int(query.get("pagesize", 100))
        page = int(query.get("page", 0))
        if not 1 <= size <= 1000:
            return Reply(400, {"message": "pagesize must be between 1 and 1000"})
        if query.get("Country"):
            wanted = {int(c) for c in query["Country"].split(",")}
            rows = [r for r in rows if r.get("country_id") in wanted]
        if query.get("StartDate"):
            rows = [r for r in rows if r["date_start"][:10] >= query["StartDate"]]
        if query.get("EndDate"):
            rows = [r for r in rows if r["date_start"][:10] <= query["EndDate"]]
        pages = -(-len(rows) // size)
        shown = page - 1 if fault and fault.kind == "repeat" and page > 0 else page
        result = paged(rows, shown, size)
        if fault and fault.kind == "missing":
            result = result[: len(result) // 2]

        def link(number: int) -> str:
            if not 0 <= number < pages:
                return ""
            return f"{self.url}{request.path}?" + urllib.parse.urlencode({**query, "page": number})

        return Reply(
            200,
            {
                "TotalCount": len(rows),
                "TotalPages": pages,
                "PreviousPageUrl": link(page - 1),
                "NextPageUrl": link(page + 1),
                "Result": result,
            },
        )
