"""ACLED's API (acleddata.com, the 2025 API with OAuth), read completely or not at all.

Contract (docs/services.md has the sources):
- Token: POST {base}/oauth/token, form username, password, grant_type=password, client_id=acled;
  the answer holds access_token (about 24 hours), refresh_token (about 14 days) and expires_in.
  A refresh is the same POST with grant_type=refresh_token and refresh_token.
- Events: GET {base}/api/acled/read?_format=json with filters (country, event_date with
  event_date_where=BETWEEN, timestamp with timestamp_where=>=, latitude/longitude with
  _where=BETWEEN), limit (5000 at most a page) and page (from 1), the header
  `Authorization: Bearer <token>`. The answer: {status, success, count, data: [rows], ...}; the rows
  have the columns of ACLED's CSV export. A revised event keeps its event_id_cnty and gets a new
  timestamp.
- Deletions: GET {base}/api/deleted/read?_format=json&deleted_timestamp=T&deleted_timestamp_where=>=;
  rows {event_id_cnty, deleted_timestamp}.

ACLED says nothing of how many rows a query has, so paging stops at the first page shorter than
the limit, and the page after it is asked for once more: if it still holds events, a page was cut
short and the pull fails rather than return a partial batch.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from georisk.services.credentials import AcledCredentials
from georisk.services.http import (
    EXPORTS,
    Budget,
    Http,
    Pull,
    RetryPolicy,
    ServiceError,
    Stats,
    Unauthorized,
    cell,
    register_secret,
)

TOKEN_PATH = "/oauth/token"
READ_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
CLIENT_ID = "acled"
MAX_PAGE = 5000
# Documented lifetimes, used when the token answer does not give its own.
ACCESS_LIFETIME = 24 * 3600
REFRESH_LIFETIME = 14 * 24 * 3600
LABEL = "acled"
# The columns of ACLED's CSV export, in its order (the API's JSON rows use the same names).
EXPORT_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)


def export_cell(column: str, value: str) -> str:
    """The API already writes each cell as the export does (event_date as YYYY-MM-DD)."""
    return value


EXPORTS["acled"] = (EXPORT_COLUMNS, export_cell)


@dataclass
class _Token:
    access: str
    access_until: float
    refresh: str | None
    refresh_until: float


# Tokens are kept for the process (a day long each), so that consecutive pulls do not log in
# again; keyed by service, account and a digest of the password (a changed password logs in anew).
_tokens: dict[tuple[str, str, str], _Token] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every kept token (tests; or after the account's password changed)."""
    with _tokens_lock:
        _tokens.clear()


def _key(credentials: AcledCredentials, base_url: str) -> tuple[str, str, str]:
    digest = hashlib.sha256(credentials.password.encode("utf-8")).hexdigest()[:16]
    return (base_url, credentials.email, digest)


class _Auth:
    def __init__(self, http: Http, credentials: AcledCredentials, base_url: str):
        self.http, self.credentials, self.base_url = http, credentials, base_url
        self.key = _key(credentials, base_url)

    def bearer(self, renew: bool = False) -> str:
        """A valid access token: the kept one while it lasts, else refreshed, else a new login."""
        with _tokens_lock:
            kept = _tokens.get(self.key)
        now = time.monotonic()
        if kept and not renew and kept.access_until > now:
            return kept.access
        if kept and kept.refresh and kept.refresh_until > now:
            try:
                token = self._exchange(
                    {"grant_type": "refresh_token", "refresh_token": kept.refresh, "client_id": CLIENT_ID},
                    "refreshing the ACLED token",
                )
                self.http.stats.notes.append("the ACLED token was refreshed")
                return token
            except ServiceError as err:
                if err.status not in (400, 401, 403):
                    raise
                self.http.stats.notes.append("ACLED refused the refresh token; logged in again")
        token = self._login()
        return token

    def _login(self) -> str:
        form = {
            "username": self.credentials.email,
            "password": self.credentials.password,
            "grant_type": "password",
            "client_id": CLIENT_ID,
        }
        try:
            return self._exchange(form, "logging in to ACLED")
        except ServiceError as err:
            if err.status in (400, 401, 403):
                raise ServiceError(
                    f"ACLED refused the credentials of {self.credentials!r} (HTTP {err.status}): check the "
                    "email and password, and that the account has API access",
                    status=err.status,
                ) from None
            raise

    def _exchange(self, form: dict, what: str) -> str:
        answer = self.http.post_form(self.base_url + TOKEN_PATH, form, what=what)
        access = answer.get("access_token")
        if not isinstance(access, str) or not access:
            raise ServiceError(f"ACLED's answer to {what} held no access token")
        register_secret(access)
        refresh = answer.get("refresh_token") if isinstance(answer.get("refresh_token"), str) else None
        register_secret(refresh)
        lifetime = _seconds(answer.get("expires_in"), ACCESS_LIFETIME)
        refresh_lifetime = _seconds(answer.get("refresh_expires_in"), REFRESH_LIFETIME)
        now = time.monotonic()
        # Renew a little before the end, so that a token does not expire between check and use.
        margin = min(60.0, lifetime / 10)
        token = _Token(access, now + lifetime - margin, refresh, now + refresh_lifetime - margin)
        with _tokens_lock:
            _tokens[self.key] = token
        return access


def _seconds(value: object, default: float) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


def _get(http: Http, auth: _Auth, url: str, params: dict, what: str) -> dict:
    """A GET with the bearer token; on a 401 the token is renewed once and the GET repeated."""
    try:
        return http.get_json(url, params, {"Authorization": "Bearer " + auth.bearer()}, what)
    except Unauthorized:
        http.stats.notes.append(f"ACLED refused the token for {what}; renewed it")
        token = auth.bearer(renew=True)
        try:
            return http.get_json(url, params, {"Authorization": "Bearer " + token}, what)
        except Unauthorized:
            raise ServiceError(f"ACLED refused a renewed token for {what}", status=401) from None


def _pages(
    http: Http,
    auth: _Auth,
    url: str,
    params: dict,
    page_size: int,
    what: str,
    progress: Callable[[str], None] | None,
) -> dict[str, dict[str, str]]:
    """Every row of a paged query, by event_id_cnty (a later copy replaces an earlier one)."""
    rows: dict[str, dict[str, str]] = {}
    previous: set[str] | None = None
    page = 1
    while True:
        data = _page(http, auth, url, {**params, "limit": page_size, "page": page}, f"{what} page {page}")
        ids = [row["event_id_cnty"] for row in data]
        if data and previous is not None and set(ids) == previous:
            raise ServiceError(f"ACLED sent {what} page {page} with the same events as page {page - 1}")
        for row in data:
            rows.pop(row["event_id_cnty"], None)
            rows[row["event_id_cnty"]] = row
        if progress:
            progress(f"ACLED {what}: page {page}, {len(data)} rows ({len(rows)} in all)")
        if len(data) < page_size:
            if data:
                # A short page ends the query, unless a page was cut short: then the next one is
                # not empty. One request more buys the certainty that nothing was left out.
                after = _page(
                    http,
                    auth,
                    url,
                    {**params, "limit": page_size, "page": page + 1},
                    f"{what} page {page + 1}",
                )
                if after:
                    raise ServiceError(
                        f"ACLED sent {what} page {page} with {len(data)} of {page_size} rows, yet page "
                        f"{page + 1} still held {len(after)}: a page came incomplete"
                    )
            return rows
        previous = set(ids)
        page += 1


def _page(http: Http, auth: _Auth, url: str, params: dict, what: str) -> list[dict[str, str]]:
    answer = _get(http, auth, url, params, what)
    if answer.get("success") is False or (
        isinstance(answer.get("status"), int) and not 200 <= answer["status"] < 300
    ):
        raise ServiceError(
            f"ACLED could not answer {what}: {answer.get('messages') or answer.get('error') or ''}"
        )
    data = answer.get("data")
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ServiceError(f"ACLED's answer to {what} held no list of rows")
    count = answer.get("count")
    if count is not None and str(count).isdigit() and int(count) != len(data):
        raise ServiceError(f"ACLED's answer to {what} said {count} rows but held {len(data)}")
    rows = [{str(k): cell(v) for k, v in row.items()} for row in data]
    if any(not row.get("event_id_cnty") for row in rows):
        raise ServiceError(f"ACLED's answer to {what} has rows without event_id_cnty")
    return rows


def _filters(
    country: str | None, bbox: tuple[float, float, float, float] | None, start: date, end: date
) -> dict:
    params: dict = {"_format": "json"}
    if country:
        params["country"] = country
    params["event_date"] = f"{start.isoformat()}|{end.isoformat()}"
    params["event_date_where"] = "BETWEEN"
    if bbox is not None:
        west, south, east, north = bbox
        if not (west <= east and south <= north):
            raise ValueError("bbox is (west, south, east, north) with west <= east and south <= north")
        params["latitude"] = f"{south}|{north}"
        params["latitude_where"] = "BETWEEN"
        params["longitude"] = f"{west}|{east}"
        params["longitude_where"] = "BETWEEN"
    return params


def _int(value: object) -> int | None:
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def pull_acled(
    credentials: AcledCredentials,
    base_url: str,
    country: str | None,
    bbox: tuple[float, float, float, float] | None,
    start: date,
    end: date,
    cursor: dict | None,
    budget: Budget,
    page_size: int = MAX_PAGE,
    progress: Callable[[str], None] | None = None,
    *,
    policy: RetryPolicy | None = None,
) -> Pull:
    """ACLED's events dated start..end in `country` and/or `bbox` (west, south, east, north).

    Without a cursor (or with one made for another country, box or an earlier start) the whole
    window is read and `covers` says so. With a cursor only the events added or revised since
    (ACLED's timestamp at least the cursor's) are read, plus the deletions since, and the dates
    past the cursor's window end, if the window grew, are read whole. Raises ServiceError
    rather than return an incomplete pull."""
    if end < start:
        raise ValueError("the window ends before it starts")
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size is between 1 and {MAX_PAGE}")
    base_url = base_url.rstrip("/")
    stats = Stats()
    http = Http("ACLED", budget, policy, stats)
    auth = _Auth(http, credentials, base_url)
    scope = {"country": country, "bbox": list(bbox) if bbox is not None else None}
    read_url = base_url + READ_PATH

    incremental = False
    if cursor:
        if cursor.get("scope") != scope:
            stats.notes.append("the cursor was made for another country or box: the whole window is read")
        elif not cursor.get("start") or date.fromisoformat(cursor["start"]) > start:
            stats.notes.append("the window starts earlier than the cursor's: the whole window is read")
        elif _int(cursor.get("timestamp")) is None:
            stats.notes.append("the cursor holds no timestamp: the whole window is read")
        else:
            incremental = True

    covers: list[tuple[str, date, date]] = []
    withdrawn: list[str] = []
    if not incremental:
        rows = _pages(
            http, auth, read_url, _filters(country, bbox, start, end), page_size, "events", progress
        )
        covers.append((LABEL, start, end))
        since = None
        deleted_since = None
        deleted_ids: list[str] = []
    else:
        since = _int(cursor["timestamp"])
        deleted_since = _int(cursor.get("deleted_timestamp")) or since
        params = {**_filters(country, bbox, start, end), "timestamp": since, "timestamp_where": ">="}
        rows = _pages(http, auth, read_url, params, page_size, "changed events", progress)
        old_end = date.fromisoformat(cursor.get("end") or end.isoformat())
        if end > old_end:
            first = old_end + timedelta(days=1)
            extra = _pages(
                http, auth, read_url, _filters(country, bbox, first, end), page_size, "new dates", progress
            )
            rows.update(extra)
            covers.append((LABEL, first, end))
        deleted = _pages(
            http,
            auth,
            base_url + DELETED_PATH,
            {"_format": "json", "deleted_timestamp": deleted_since, "deleted_timestamp_where": ">="},
            page_size,
            "deletions",
            progress,
        )
        # Deletions at the cursor's own second were reported by the last pull: not again.
        reported = (
            set(cursor.get("deleted_ids") or [])
            if deleted_since == _int(cursor.get("deleted_timestamp"))
            else set()
        )
        for event_id, row in deleted.items():
            when = _int(row.get("deleted_timestamp")) or 0
            if event_id in reported and when == deleted_since:
                continue
            held = rows.get(event_id)
            # An event revised after its deletion is back; otherwise the deletion wins.
            if held is not None and (_int(held.get("timestamp")) or 0) > when:
                continue
            rows.pop(event_id, None)
            withdrawn.append(event_id)
        newest_deletion = max(
            [deleted_since] + [_int(r.get("deleted_timestamp")) or 0 for r in deleted.values()]
        )
        # Deletions are read from the newest second seen (>=), so that one made later in that same
        # second is not missed; the ids already seen at that second are kept to be skipped.
        deleted_ids = sorted(
            {i for i, r in deleted.items() if (_int(r.get("deleted_timestamp")) or 0) == newest_deletion}
            | (reported if newest_deletion == deleted_since else set())
        )
        deleted_since = newest_deletion

    stamps = [t for t in (_int(row.get("timestamp")) for row in rows.values()) if t is not None]
    newest = max(stamps + ([since] if since is not None else []), default=None)
    if newest is None:
        # Nothing read yet: start from a day before now, so that nothing is missed for clock skew.
        newest = int(time.time()) - 24 * 3600
    next_cursor = {
        "timestamp": newest,
        # Deletions made after this pull are later than every timestamp it read.
        "deleted_timestamp": deleted_since if deleted_since is not None else newest,
        "deleted_ids": deleted_ids,
        "scope": scope,
        "start": min(start, date.fromisoformat(cursor["start"])).isoformat()
        if incremental
        else start.isoformat(),
        "end": end.isoformat(),
    }
    return Pull(
        feed="acled",
        rows=list(rows.values()),
        withdrawn=withdrawn,
        covers=covers,
        cursor=next_cursor,
        requests=stats.requests,
        retries=stats.retries,
        notes=stats.notes,
    )
