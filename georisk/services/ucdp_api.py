"""UCDP's API (ucdpapi.pcr.uu.se): the Georeferenced Event Dataset by release, read completely or
not at all.

Contract (docs/services.md has the sources):
- GET {base}/api/gedevents/{version}?pagesize=N&page=P (N at most 1000, P from 0) with filters
  Country (Gleditsch-Ward code, Pakistan 770), StartDate and EndDate (YYYY-MM-DD), and the
  header x-ucdp-access-token (required: UCDP introduced tokens in 2025-26). The answer:
  {TotalCount, TotalPages, PreviousPageUrl, NextPageUrl, Result: [events]}; date_start and
  date_end come as "YYYY-MM-DDT00:00:00".
- Versions: the yearly release YY.1 (e.g. 25.1, published in 2025) covers 1989 to the end of the
  year before; the monthly candidate releases YY.0.M (e.g. 25.0.10) hold the provisional events
  of month M of 20YY. A version that does not exist answers 404.

The pull reads the yearly release for the window and the candidate release for the dates after
the yearly release's last day. `covers` gives, per release, the dates it is complete for: the
yearly release to its last day, a candidate release only for its own month (a candidate is
provisional and its span is not stated by the API, so it is claimed for no more than its month).
Rows from a candidate release carry "_release" (e.g. "25.0.10"), which the CSV leaves out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from georisk.services.credentials import UcdpCredentials
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
)

EVENTS_PATH = "/api/gedevents/"
MAX_PAGE = 1000
TOKEN_HEADER = "x-ucdp-access-token"
FIRST_DAY = date(1989, 1, 1)  # the GED starts in 1989
# How far back the newest release is looked for when none is configured.
YEARS_TRIED = 3
MONTHS_TRIED = 4
_YEARLY = re.compile(r"^(\d{2})\.1$")
_CANDIDATE = re.compile(r"^(\d{2})\.0\.(\d{1,2})$")
# The columns of the GED's CSV download, in its order.
EXPORT_COLUMNS = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "iso3",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
)
_API_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?$")


def export_cell(column: str, value: str) -> str:
    """The download writes dates as "YYYY-MM-DD HH:MM:SS.000" and flags as 1/0; the API as
    "YYYY-MM-DDTHH:MM:SS" and true/false."""
    match = _API_DATE.match(value)
    if match:
        return f"{match.group(1)} {match.group(2)}.000"
    if value in ("true", "false"):
        return "1" if value == "true" else "0"
    return value


EXPORTS["ucdp"] = (EXPORT_COLUMNS, export_cell)


def yearly_last_day(version: str) -> date:
    """The last day a yearly release YY.1 covers: 31 December of the year before 20YY."""
    match = _YEARLY.match(version)
    if not match:
        raise ValueError(f"{version!r} is not a yearly GED release (YY.1, e.g. 25.1)")
    return date(2000 + int(match.group(1)) - 1, 12, 31)


def candidate_month(version: str) -> tuple[date, date]:
    """The month a candidate release YY.0.M is for: its first and last day."""
    match = _CANDIDATE.match(version)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{version!r} is not a candidate GED release (YY.0.M, e.g. 25.0.10)")
    first = date(2000 + int(match.group(1)), int(match.group(2)), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _page(http: Http, url: str, params: dict, token: str, what: str) -> dict:
    try:
        answer = http.get_json(url, params, {TOKEN_HEADER: token}, what)
    except Unauthorized:
        raise ServiceError(
            "UCDP refused the access token (HTTP 401): check UCDP_TOKEN "
            "(tokens are given by the API's maintainer)",
            status=401,
        ) from None
    result = answer.get("Result")
    if not isinstance(result, list) or not all(isinstance(row, dict) for row in result):
        raise ServiceError(f"UCDP's answer to {what} held no list of events")
    for name in ("TotalCount", "TotalPages"):
        if not isinstance(answer.get(name), int) or answer[name] < 0:
            raise ServiceError(f"UCDP's answer to {what} has no {name}")
    return answer


def _release(
    http: Http,
    base_url: str,
    version: str,
    token: str,
    country_id: int,
    first: date,
    last: date,
    page_size: int,
    progress: Callable[[str], None] | None,
) -> list[dict[str, str]]:
    """Every event of one release in the window, checked against the release's own counts."""
    url = base_url + EVENTS_PATH + version
    params = {"Country": country_id, "StartDate": first.isoformat(), "EndDate": last.isoformat()}
    rows: dict[str, dict[str, str]] = {}
    total = pages = None
    previous: list[str] | None = None
    page = 0
    while True:
        what = f"GED {version} page {page}"
        answer = _page(http, url, {"pagesize": page_size, "page": page, **params}, token, what)
        if total is None:
            total, pages = answer["TotalCount"], answer["TotalPages"]
            if pages != -(-total // page_size):
                raise ServiceError(
                    f"UCDP's GED {version} says {total} events in {pages} pages of {page_size}"
                )
        elif (answer["TotalCount"], answer["TotalPages"]) != (total, pages):
            raise ServiceError(f"UCDP's GED {version} changed its counts while it was read: pull again")
        result = [{str(k): cell(v) for k, v in row.items()} for row in answer["Result"]]
        ids = [row.get("id", "") for row in result]
        if any(not i for i in ids):
            raise ServiceError(f"UCDP's answer to {what} has events without id")
        expected = min(page_size, total - page * page_size) if page < pages else 0
        if result and previous is not None and ids == previous:
            raise ServiceError(f"UCDP sent {what} with the same events as page {page - 1}")
        if len(result) != expected:
            raise ServiceError(f"UCDP sent {what} with {len(result)} events where {expected} were due")
        for row in result:
            rows[row["id"]] = row
        if progress:
            progress(f"UCDP GED {version}: page {page + 1} of {pages}, {len(rows)} of {total} events")
        previous = ids
        page += 1
        if page >= pages:
            break
    if len(rows) != total:
        raise ServiceError(f"UCDP's GED {version} said {total} events but {len(rows)} distinct ones came")
    return list(rows.values())


def _exists(http: Http, base_url: str, version: str, token: str, country_id: int) -> bool:
    try:
        _page(
            http,
            base_url + EVENTS_PATH + version,
            {"pagesize": 1, "page": 0, "Country": country_id},
            token,
            f"GED {version}",
        )
    except ServiceError as err:
        if err.status == 404:
            return False
        raise
    return True


def newest_yearly(http: Http, base_url: str, token: str, country_id: int, end: date) -> str | None:
    """The newest yearly release that exists, looked for from the one that would cover `end`.
    UCDP publishes no list of versions through the API, so releases are tried (404: not out)."""
    for year in range(end.year + 1, end.year + 1 - YEARS_TRIED, -1):
        version = f"{year % 100:02d}.1"
        if _exists(http, base_url, version, token, country_id):
            return version
    return None


def newest_candidate(
    http: Http, base_url: str, token: str, country_id: int, after: date, end: date
) -> str | None:
    """The newest candidate release for a month from `after` to `end`, tried month by month."""
    month = date(end.year, end.month, 1)
    for _ in range(MONTHS_TRIED):
        if month < date(after.year, after.month, 1):
            break
        version = f"{month.year % 100:02d}.0.{month.month}"
        if _exists(http, base_url, version, token, country_id):
            return version
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    return None


def pull_ucdp(
    credentials: UcdpCredentials,
    base_url: str,
    country_id: int,
    start: date,
    end: date,
    yearly: str | None,
    candidate: str | None,
    budget: Budget,
    page_size: int = MAX_PAGE,
    progress: Callable[[str], None] | None = None,
    *,
    policy: RetryPolicy | None = None,
) -> Pull:
    """The GED events of `country_id` dated start..end: from the yearly release up to its last
    day, and from the candidate release after it. A version given as None is looked for (the
    newest that answers); pass both to avoid the probing requests. Raises ServiceError rather
    than return an incomplete pull."""
    if end < start:
        raise ValueError("the window ends before it starts")
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size is between 1 and {MAX_PAGE} (UCDP's largest page)")
    base_url = base_url.rstrip("/")
    stats = Stats()
    http = Http("UCDP", budget, policy, stats)
    token = credentials.token
    if yearly is None:
        yearly = newest_yearly(http, base_url, token, country_id, end)
        stats.notes.append(f"newest yearly release found: {yearly or 'none'}")
    rows: list[dict[str, str]] = []
    covers: list[tuple[str, date, date]] = []
    after = start
    if yearly is not None:
        last = yearly_last_day(yearly)
        first, upto = max(start, FIRST_DAY), min(end, last)
        if first <= upto:
            rows += _release(http, base_url, yearly, token, country_id, first, upto, page_size, progress)
            covers.append((yearly, first, upto))
        after = max(start, last + timedelta(days=1))
    if after <= end:
        if candidate is None:
            candidate = newest_candidate(http, base_url, token, country_id, after, end)
            stats.notes.append(f"newest candidate release found: {candidate or 'none'}")
        if candidate is not None:
            month_first, month_last = candidate_month(candidate)
            found = _release(http, base_url, candidate, token, country_id, after, end, page_size, progress)
            for row in found:
                row["_release"] = candidate
            rows += found
            first, upto = max(after, month_first), min(end, month_last)
            if first <= upto:
                covers.append((candidate, first, upto))
    return Pull(
        feed="ucdp",
        rows=rows,
        withdrawn=[],
        covers=covers,
        cursor={"yearly": yearly, "candidate": candidate},
        requests=stats.requests,
        retries=stats.retries,
        notes=stats.notes,
    )
