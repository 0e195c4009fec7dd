"""JSON over HTTP for the conflict-data services, careful about time, faults and secrets.

Every request of a pull runs inside one `Budget` (a deadline for the whole pull): its timeout is
never longer than the time left, and no retry waits past it. Transient faults are retried with
exponential back-off and jitter: timeouts, refused or dropped connections (also a connection
that breaks in the middle of the body), HTTP 5xx, HTTP 429 (after the server's Retry-After) and
a body that is not complete JSON. Other 4xx answers are the caller's mistake and are not retried;
401 is handed back as `Unauthorized` so that the caller can renew its token once.

Secrets (passwords, tokens) never appear in an exception, a log line or a repr: everything that
leaves this module goes through `redact()`, which masks the values registered with
`register_secret()` and anything shaped like a credential (an Authorization value, a token or
password in a query string, form or JSON body).
"""

from __future__ import annotations

import csv
import email.utils
import http.client
import io
import json
import logging
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

log = logging.getLogger("georisk.services")

USER_AGENT = "georisk (conflict-data client; +https://github.com/)"
MASK = "[redacted]"
# Cut long service messages: they are shown to people, and a hostile server could send megabytes.
MESSAGE_LIMIT = 300

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
# Shapes of credentials wherever they appear: `Bearer x`, `token=x` in a query or form,
# `"access_token": "x"` in JSON. The key names are those the two services and OAuth use.
_KEYS = r"(?:access_token|refresh_token|password|token|key|x-ucdp-access-token|authorization)"
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"),
    re.compile(r"(?i)(\b" + _KEYS + r"=)[^&\s\"',;]+"),
    re.compile(r"(?i)(\"" + _KEYS + r"\"\s*:\s*\")[^\"]*"),
    re.compile(r"(?i)('" + _KEYS + r"'\s*:\s*')[^']*"),
    re.compile(r"(?i)(\b" + _KEYS + r"\s*:\s*)(?!\[redacted\])[^\s\"',;]+"),
)


def register_secret(value: str | None) -> None:
    """Mask `value` in everything this package says from now on (credentials and tokens call
    this as they are made). Very short values are not registered: masking every "a" would make
    messages unreadable, and such a secret would not be secret anyway."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)
            quoted = urllib.parse.quote(value, safe="")
            if quoted != value:
                _secrets.add(quoted)  # as it would appear inside a URL or form
            plus = urllib.parse.quote_plus(value, safe="")
            if plus != value:
                _secrets.add(plus)


def redact(text: object) -> str:
    """`text` with every registered secret and every credential-shaped value masked."""
    out = str(text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
    for secret in known:
        if secret in out:
            out = out.replace(secret, MASK)
    for pattern in _PATTERNS:
        out = pattern.sub(lambda m: m.group(1) + MASK, out)
    return out


def _short(text: object) -> str:
    shown = redact(text).replace("\n", " ").strip()
    return shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 1] + "…"


class ServiceError(Exception):
    """A pull that could not be completed, with a plain reason meant for people (no secret)."""

    def __init__(self, reason: str, status: int | None = None):
        self.reason = _short(reason)
        self.status = status
        super().__init__(self.reason)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reason!r})"


class Unauthorized(ServiceError):
    """HTTP 401: the token was refused (expired or revoked); the caller may renew it once."""


class Budget:
    """A deadline for a whole pull. Each request's timeout and each wait is cut to what is left,
    and a wait that would end past the deadline fails at once instead of sleeping in vain."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        if seconds <= 0:
            raise ValueError("a budget needs a positive number of seconds")
        self.seconds = float(seconds)
        self._clock = clock
        self._deadline = clock() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self._deadline - self._clock())

    def check(self, doing: str) -> None:
        if self.remaining() <= 0:
            raise ServiceError(f"the time allowed for the pull ({self.seconds:g} s) ran out while {doing}")

    def wait(self, seconds: float, doing: str) -> None:
        if seconds >= self.remaining():
            raise ServiceError(
                f"a wait of {seconds:.3g} s before {doing} would outlast the pull's time "
                f"({self.remaining():.3g} s left of {self.seconds:g} s)"
            )
        time.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return f"Budget({self.seconds:g} s, {self.remaining():.3g} s left)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `timeout` is per request (cut to the budget); `attempts` counts the first
    try; back-off doubles from `backoff` up to `backoff_cap`, each wait randomised between half
    and all of it so that many clients do not retry in step; a Retry-After longer than
    `max_retry_after` fails the pull rather than waiting."""

    attempts: int = 5
    timeout: float = 60.0
    backoff: float = 1.0
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int) -> float:
        full = min(self.backoff_cap, self.backoff * (2 ** (attempt - 1)))
        return full * (0.5 + random.random() / 2)


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    notes: list[str] = field(default_factory=list)


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Http:
    """One pull's HTTP: shares its budget, retry policy and counters over all its requests."""

    def __init__(
        self, service: str, budget: Budget, policy: RetryPolicy | None = None, stats: Stats | None = None
    ):
        self.service = service
        self.budget = budget
        self.policy = policy or RetryPolicy()
        self.stats = stats or Stats()
        # No redirects to other hosts with our headers, and no cookies: a plain opener.
        self._opener = urllib.request.build_opener(_NoRedirect)

    def get_json(
        self, url: str, params: dict | None = None, headers: dict | None = None, what: str = ""
    ) -> dict:
        if params:
            url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params, safe="|,:")
        return self._request("GET", url, None, headers or {}, what or "a request")

    def post_form(self, url: str, form: dict, headers: dict | None = None, what: str = "") -> dict:
        body = urllib.parse.urlencode(form).encode("ascii")
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self._request("POST", url, body, hdrs, what or "a request")

    def _request(self, method: str, url: str, body: bytes | None, headers: dict, what: str) -> dict:
        attempt = 0
        while True:
            attempt += 1
            self.budget.check(what)
            try:
                return self._once(method, url, body, headers, what)
            except _Retryable as fault:
                if attempt >= self.policy.attempts:
                    raise ServiceError(
                        f"{self.service}: {what} failed {attempt} times; the last time: {fault.reason}"
                    ) from None
                if fault.wait is not None:
                    if fault.wait > self.policy.max_retry_after:
                        raise ServiceError(
                            f"{self.service} asked to wait {fault.wait:.0f} s before {what} "
                            f"(more than the {self.policy.max_retry_after:g} s this client waits)",
                            status=429,
                        ) from None
                    wait = fault.wait
                else:
                    wait = self.policy.delay(attempt)
                self.stats.retries += 1
                note = f"{what}: {fault.reason}; retried after {wait:.2g} s"
                self.stats.notes.append(_short(note))
                log.warning(
                    "%s %s (attempt %d of %d)", self.service, _short(note), attempt, self.policy.attempts
                )
                self.budget.wait(wait, what)

    def _once(self, method: str, url: str, body: bytes | None, headers: dict, what: str) -> dict:
        timeout = min(self.policy.timeout, self.budget.remaining())
        if timeout <= 0:
            self.budget.check(what)
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        for name, value in headers.items():
            request.add_header(name, value)
        self.stats.requests += 1
        try:
            with self._opener.open(request, timeout=timeout) as response:
                status = response.status
                raw = response.read()
        except urllib.error.HTTPError as err:
            status = err.code
            try:
                raw = err.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            retry_after = err.headers.get("Retry-After") if err.headers else None
            err.close()
            return self._refused(status, raw, retry_after, what)
        except TimeoutError as err:
            raise _Retryable(f"no answer within {timeout:.3g} s") from err
        except http.client.IncompleteRead as err:
            raise _Retryable("the connection broke in the middle of the answer") from err
        except (http.client.HTTPException, ConnectionError) as err:
            raise _Retryable(f"the connection failed ({type(err).__name__})") from err
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise _Retryable(f"no answer within {timeout:.3g} s") from err
            raise _Retryable(f"the service could not be reached ({_short(err.reason)})") from err
        except OSError as err:
            raise _Retryable(f"the connection failed ({type(err).__name__})") from err
        if not 200 <= status < 300:
            return self._refused(status, raw, None, what)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            shape = "empty" if not raw.strip() else "not complete JSON"
            raise _Retryable(f"the answer was {shape} ({len(raw)} bytes)") from err
        if not isinstance(data, dict):
            raise _Retryable("the answer was JSON but not an object")
        return data

    def _refused(self, status: int, raw: bytes, retry_after: str | None, what: str) -> dict:
        message = _message(raw)
        if status == 429:
            wait = retry_after_seconds(retry_after)
            raise _Retryable("HTTP 429 (too many requests)", wait if wait is not None else None)
        if status >= 500:
            raise _Retryable(f"HTTP {status}")
        if status == 401:
            raise Unauthorized(f"{self.service} refused the token for {what} (HTTP 401){message}", status=401)
        raise ServiceError(f"{self.service} refused {what} (HTTP {status}){message}", status=status)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would resend our Authorization header to wherever it points: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _message(raw: bytes) -> str:
    """The service's own explanation of a refusal, shortened and redacted, or ''."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return ""
    parts = []
    if isinstance(data, dict):
        for key in ("error_description", "message", "messages", "error"):
            if data.get(key):
                parts.append(str(data[key]))
                break
    return f": {_short(' '.join(parts))}" if parts else ""


# Each client registers how its service's CSV export looks: (columns in order, cell formatter).
EXPORTS: dict[str, tuple[tuple[str, ...], Callable[[str, str], str]]] = {}


@dataclass
class Pull:
    """What one pull of a service brought: every event with the service's own field names, the
    ids the service has withdrawn, the date ranges the pull is complete for (an event we hold
    there that the pull lacks has been dropped by the service; [] for an incremental pull), the
    cursor the next incremental pull starts from, and how it went."""

    feed: str
    rows: list[dict[str, str]]
    withdrawn: list[str]
    covers: list[tuple[str, date, date]]
    cursor: dict
    requests: int
    retries: int
    notes: list[str]

    def csv_bytes(self) -> bytes:
        """The rows as the service's CSV export gives them (its column names and order, its date
        format), so that the project's file importers read them unchanged. Fields this client
        added (their names start with "_") are left out."""
        if self.feed not in EXPORTS:
            raise ValueError(f"no CSV export is known for the feed {self.feed!r}")
        export_columns, export_cell = EXPORTS[self.feed]
        seen: dict[str, None] = {}
        for row in self.rows:
            for name in row:
                if not name.startswith("_"):
                    seen.setdefault(name, None)
        columns = [c for c in export_columns if c in seen] + [c for c in seen if c not in export_columns]
        # A pull with nothing new (an incremental refresh that brings only deletions, or nothing)
        # is the export's header alone: an empty export, not an unreadable file.
        columns = columns or list(export_columns)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in self.rows:
            writer.writerow([export_cell(c, row.get(c, "")) for c in columns])
        return out.getvalue().encode("utf-8")

    def __repr__(self) -> str:
        return (
            f"Pull({self.feed}: {len(self.rows)} rows, {len(self.withdrawn)} withdrawn, "
            f"covers {[(label, str(a), str(b)) for label, a, b in self.covers]}, "
            f"{self.requests} requests, {self.retries} retries)"
        )


def cell(value: object) -> str:
    """A JSON value as the text of a cell: null is empty, booleans as the services write them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
