"""A stand-in for ACLED's API: the OAuth token exchange (password and refresh grants, tokens that
expire), /api/acled/read with the filters the client uses, paging, and /api/deleted/read.

Events are rows with ACLED's export columns; `add`, `revise` (a new timestamp, as ACLED does) and
`delete` change them between pulls.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

from tests.fakes import FakeService, Fault, Reply, Seen

DEFAULT_EMAIL = "analyst@example.org"
DEFAULT_PASSWORD = "correct-horse-battery-staple"


def _iso(value: str) -> str:
    """ACLED's API writes event_date as YYYY-MM-DD; older exports (and our generator) wrote
    "4 January 2016"."""
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return value


def api_row(row: dict) -> dict[str, str]:
    """A row as the API gives it: every value a string, the date in ISO form, the country named."""
    out = {str(k): ("" if v is None else str(v)) for k, v in row.items()}
    out["event_date"] = _iso(out.get("event_date", ""))
    out.setdefault("country", "Pakistan")
    out.setdefault("iso", "586")
    out.setdefault("region", "Southern Asia")
    return out


class AcledServer(FakeService):
    def __init__(
        self,
        events=(),
        email: str = DEFAULT_EMAIL,
        password: str = DEFAULT_PASSWORD,
        token_lifetime: float = 86400,
        refresh_lifetime: float = 14 * 86400,
    ):
        super().__init__()
        self.email, self.password = email, password
        self.token_lifetime, self.refresh_lifetime = token_lifetime, refresh_lifetime
        self.events: dict[str, dict[str, str]] = {}
        self.deletions: list[dict[str, str]] = []
        self._access: dict[str, float] = {}
        self._refresh: dict[str, float] = {}
        self.logins = self.refreshes = 0
        self._data_lock = threading.Lock()
        self.now = 1_700_000_000
        self._query_cache: tuple | None = None
        self.cache_queries = False
        self.add(events)

    # -- changing the data between pulls ---------------------------------------------------
    def _tick(self) -> int:
        self.now += 1
        return self.now

    def add(self, rows) -> None:
        with self._data_lock:
            for row in rows:
                made = api_row(row)
                if not made.get("timestamp"):
                    made["timestamp"] = str(self._tick())
                self.now = max(self.now, int(made["timestamp"]))
                self.events[made["event_id_cnty"]] = made

    def revise(self, event_id: str, **changes) -> None:
        with self._data_lock:
            row = self.events[event_id]
            row.update({k: str(v) for k, v in changes.items()})
            row["timestamp"] = str(self._tick())

    def delete(self, event_id: str) -> None:
        with self._data_lock:
            del self.events[event_id]
            self.deletions.append({"event_id_cnty": event_id, "deleted_timestamp": str(self._tick())})

    def expire_tokens(self) -> None:
        with self._data_lock:
            self._access.clear()

    # -- the endpoints ---------------------------------------------------------------------
    def answer(self, request: Seen, fault: Fault | None) -> Reply:
        if request.path == "/oauth/token" and request.method == "POST":
            return self._token(request.form)
        if request.path in ("/api/acled/read", "/api/deleted/read"):
            if fault and fault.kind == "expired":
                self.expire_tokens()
            if not self._authorised(request.headers.get("authorization", "")):
                return Reply(
                    401,
                    {"status": 401, "success": False, "message": "Access denied: token invalid or expired"},
                )
            if request.path == "/api/acled/read":
                return self._read(request.query, fault)
            return self._deleted(request.query, fault)
        return Reply(404, {"status": 404, "success": False, "message": "Not found"})

    def _issue(self) -> Reply:
        access, refresh = "acc-" + secrets.token_hex(12), "ref-" + secrets.token_hex(12)
        now = time.monotonic()
        self._access[access] = now + self.token_lifetime
        self._refresh[refresh] = now + self.refresh_lifetime
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "access_token": access,
                "refresh_token": refresh,
            },
        )

    def _token(self, form: dict[str, str]) -> Reply:
        refused = Reply(
            400, {"error": "invalid_grant", "error_description": "The user credentials were incorrect."}
        )
        if form.get("client_id") != "acled":
            return Reply(
                400, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        with self._data_lock:
            if form.get("grant_type") == "password":
                if form.get("username") != self.email or form.get("password") != self.password:
                    return refused
                self.logins += 1
                return self._issue()
            if form.get("grant_type") == "refresh_token":
                until = self._refresh.pop(form.get("refresh_token", ""), 0)
                if until <= time.monotonic():
                    return Reply(
                        400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
                    )
                self.refreshes += 1
                return self._issue()
        return Reply(400, {"error": "unsupported_grant_type"})

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        with self._data_lock:
            return self._access.get(header[len("Bearer ") :], 0) > time.monotonic()

    def _page(self, rows: list[dict[str, str]], query: dict[str, str], fault: Fault | None) -> Reply:
        limit = int(query.get("limit", 5000))
        page = int(query.get("page", 1))
        if fault and fault.kind == "repeat" and page > 1:
            page -= 1
        chosen = rows[(page - 1) * limit : page * limit]
        if fault and fault.kind == "missing":
            chosen = chosen[: len(chosen) // 2]
        return Reply(
            200,
            {
                "status": 200,
                "success": True,
                "last_update": 0,
                "count": len(chosen),
                "messages": [],
                "data": chosen,
                "filename": "acled_export",
            },
        )

    def _read(self, query: dict[str, str], fault: Fault | None) -> Reply:
        # With cache_queries (benchmarks/store.py), the filtered, ordered events of a query are
        # kept until the data changes through add/revise/delete, so that paging through a million
        # events does not filter them again for each page. Tests that change events directly
        # leave it off.
        if not self.cache_queries:
            return self._page(self._select(query), query, fault)
        key = (self.now, len(self.events), tuple(sorted((k, v) for k, v in query.items() if k != "page")))
        cached = self._query_cache
        if cached is None or cached[0] != key:
            cached = self._query_cache = (key, self._select(query))
        return self._page(cached[1], query, fault)

    def _select(self, query: dict[str, str]) -> list[dict[str, str]]:
        with self._data_lock:
            rows = [dict(r) for r in self.events.values()]
        if query.get("country"):
            rows = [r for r in rows if r.get("country") == query["country"]]
        if query.get("event_date"):
            if query.get("event_date_where", "=") != "BETWEEN":
                return Reply(
                    400, {"status": 400, "success": False, "messages": ["only BETWEEN is served here"]}
                )
            first, last = query["event_date"].split("|")
            rows = [r for r in rows if first <= r["event_date"] <= last]
        if query.get("timestamp"):
            since = int(query["timestamp"])
            rows = [r for r in rows if int(r["timestamp"]) >= since]
        for name in ("latitude", "longitude"):
            if query.get(name):
                low, high = (float(x) for x in query[name].split("|"))
                rows = [r for r in rows if low <= float(r[name]) <= high]
        # ACLED lists the newest events first.
        rows.sort(key=lambda r: (r["event_date"], r["event_id_cnty"]), reverse=True)
        return rows

    def _deleted(self, query: dict[str, str], fault: Fault | None) -> Reply:
        with self._data_lock:
            rows = [dict(r) for r in self.deletions]
        if query.get("deleted_timestamp"):
            since = int(query["deleted_timestamp"])
            rows = [r for r in rows if int(r["deleted_timestamp"]) >= since]
        return self._page(rows, query, fault)
