"""Who may read the JSON API (/api/...) and the MCP server (/mcp): `ApiGuard`, a plain ASGI
middleware in front of them. Every other path passes through untouched.

Tokens are required when the server is not a local run: sign-in is configured (an `[auth]`
section in .streamlit/secrets.toml), or GEORISK_HOSTED=1, GEORISK_READ_ONLY=1 or
GEORISK_API_TOKENS=required is set (in the environment, or as a top-level secret). A request then
needs `Authorization: Bearer <token>` with a token in force (georisk.store.tokens); without one it
gets 401 with `WWW-Authenticate: Bearer`. On a local run the API is open, but a token that is sent
must still be good: a bad one is refused rather than ignored.

Every answer of the guard is an RFC 9457 problem (application/problem+json) and never repeats
the token it was sent. The token checked is left for the endpoints in scope["state"]["api_token"]
(request.state.api_token) and scope["georisk.token"]: a TokenInfo, or None on an open run.

Each token (or, without one, each client address) may make GEORISK_API_RATE requests a minute
(default 120, in a burst as large): past that, 429 with Retry-After. The buckets live in this
process: behind several processes the limit is per process.

CORS is closed unless GEORISK_API_CORS_ORIGINS lists the exact origins allowed (comma-separated,
e.g. `https://notebook.example.org`): a request from one of them gets Access-Control-Allow-Origin
and Vary: Origin, and its preflight is answered here with 204. Any other origin gets no CORS
header at all (and a preflight from it 403).
"""

from __future__ import annotations

import http
import json
import logging
import math
import os
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import anyio.to_thread

from georisk.limits import RateLimit
from georisk.scenario.dataset import data_dir_from
from georisk.store.location import open_store
from georisk.store.tokens import TokenBook, TokenInfo

HOSTED_ENV = "GEORISK_HOSTED"
READ_ONLY_ENV = "GEORISK_READ_ONLY"
TOKENS_ENV = "GEORISK_API_TOKENS"  # "required": tokens even on a local run
RATE_ENV = "GEORISK_API_RATE"  # requests per minute per token (or client address)
CORS_ENV = "GEORISK_API_CORS_ORIGINS"
DEFAULT_RATE = 120.0
GUARDED = ("/api", "/mcp")
STATE_KEY = "api_token"  # scope["state"][STATE_KEY]: the TokenInfo, or None
SCOPE_KEY = "georisk.token"
CREATE_COMMAND = "python -m georisk api token create NAME"

# Where Streamlit reads its secrets (its default `secrets.files`): the user's, then the project's
# (relative to the working folder, which is where `streamlit run` was started).
SECRETS_FILES = (Path("~/.streamlit/secrets.toml"), Path(".streamlit/secrets.toml"))

PREFLIGHT_HEADERS = (
    (b"access-control-allow-methods", b"GET"),
    (b"access-control-allow-headers", b"Authorization, If-None-Match, Accept"),
    (b"access-control-max-age", b"600"),
)
EXPOSED_HEADERS = b"ETag, Retry-After"
log = logging.getLogger(__name__)


def is_true(value: object) -> bool:
    return str(value if value is not None else "").strip().lower() in ("1", "true", "yes", "on")


# -- when tokens are required


_SECRETS_CACHE: dict[Path, tuple[tuple[int, int], dict | None]] = {}
_SECRETS_LOCK = threading.Lock()


def read_secrets(path: Path) -> dict | None:
    """A secrets file's TOML (None: there is none), read again only when it changes. One that
    cannot be read or parsed counts as configuring everything (raises ValueError): an API that
    cannot tell whether sign-in is on stays closed."""
    path = path.expanduser()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ValueError(f"{path} cannot be read: {err}") from err
    mark = (stat.st_mtime_ns, stat.st_size)
    with _SECRETS_LOCK:
        hit = _SECRETS_CACHE.get(path)
        if hit and hit[0] == mark:
            return hit[1]
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path} cannot be read: {err}") from err
    with _SECRETS_LOCK:
        _SECRETS_CACHE[path] = (mark, document)
    return document


def tokens_required(environ: Mapping[str, str], secrets_files: Iterable[Path] = SECRETS_FILES) -> str | None:
    """Why this server requires API tokens, or None on a local run (the API is open)."""
    settings: dict[str, object] = {}
    for path in secrets_files:
        try:
            document = read_secrets(Path(path))
        except ValueError as err:
            log.warning("%s: API tokens are required", err)
            return f"{path} cannot be read"
        if document is None:
            continue
        if "auth" in document:
            return "sign-in is configured"
        # Top-level secrets are copied into the environment by Streamlit once a page has read
        # them, which may not have happened yet: they are read here directly.
        settings.update({k: v for k, v in document.items() if k in (HOSTED_ENV, READ_ONLY_ENV, TOKENS_ENV)})
    settings.update({k: environ[k] for k in (HOSTED_ENV, READ_ONLY_ENV, TOKENS_ENV) if k in environ})
    if is_true(settings.get(HOSTED_ENV)):
        return f"{HOSTED_ENV} is set"
    if is_true(settings.get(READ_ONLY_ENV)):
        return f"{READ_ONLY_ENV} is set"
    tokens = str(settings.get(TOKENS_ENV) or "").strip().lower()
    if tokens == "required" or is_true(tokens):
        return f"{TOKENS_ENV}=required"
    return None


def rate_from(environ: Mapping[str, str]) -> float:
    """GEORISK_API_RATE as requests per minute (the default when unset or not a positive number)."""
    value = (environ.get(RATE_ENV) or "").strip()
    if not value:
        return DEFAULT_RATE
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not math.isfinite(rate) or rate <= 0:
        log.warning("%s=%r is not a positive number: %g a minute it is", RATE_ENV, value, DEFAULT_RATE)
        return DEFAULT_RATE
    return rate


def origins_from(environ: Mapping[str, str]) -> frozenset[str]:
    """The origins GEORISK_API_CORS_ORIGINS allows, exactly as browsers send them (no trailing
    slash); `*` is not a wildcard here."""
    return frozenset(o.strip().rstrip("/") for o in (environ.get(CORS_ENV) or "").split(",") if o.strip())


def guarded(path: str) -> bool:
    """Whether the guard acts on this path: /api, /mcp and everything under them."""
    path = "/" + path.lstrip("/")  # a doubled slash is the same path to the router
    return any(path == p or path.startswith(p + "/") for p in GUARDED)


# -- answers


def problem(status: int, detail: str, title: str | None = None, type_: str = "about:blank") -> bytes:
    """An RFC 9457 problem document."""
    return json.dumps(
        {
            "type": type_,
            "title": title or http.HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
        },
        ensure_ascii=False,
    ).encode("utf-8")


class Denied(Exception):
    def __init__(self, status: int, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = list(headers)


def _bearer(error: str | None = None) -> tuple[bytes, bytes]:
    value = 'Bearer realm="georisk"' + (f', error="{error}"' if error else "")
    return (b"www-authenticate", value.encode())


def default_book() -> TokenBook | None:
    """The tokens of the app's data folder (`--data DIR` after `streamlit run dashboard.py --`,
    else GEORISK_DATA, else the bundled one): None when it has no store, so no token."""
    store = open_store(data_dir_from(sys.argv), create=False)
    return TokenBook(store) if store is not None else None


class ApiGuard:
    """ASGI middleware: tokens, rate limits and CORS for /api/... and /mcp (module docstring).

    `environ`, `secrets_files`, `book` (a function giving the TokenBook to check against, or
    None when no store exists) and `clock` (of the rate limit) are for tests."""

    def __init__(
        self,
        app,
        *,
        environ: Mapping[str, str] | None = None,
        secrets_files: Iterable[Path] | None = None,
        book: Callable[[], TokenBook | None] = default_book,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.environ = os.environ if environ is None else environ
        self.secrets_files = tuple(SECRETS_FILES if secrets_files is None else secrets_files)
        self.book = book
        self.clock = clock
        self._limits: dict[float, RateLimit] = {}
        self._lock = threading.Lock()

    def limit(self) -> RateLimit:
        rate = rate_from(self.environ)
        with self._lock:
            if rate not in self._limits:
                self._limits.clear()  # a new rate starts every bucket full
                self._limits[rate] = RateLimit(rate, max(1, int(rate)), clock=self.clock)
            return self._limits[rate]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or not guarded(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers: dict[str, list[str]] = {}
        for key, value in scope.get("headers", ()):
            headers.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        origin = (headers.get("origin") or [""])[0]
        allowed = origin if origin and origin in origins_from(self.environ) else None
        cors = (
            [
                (b"access-control-allow-origin", allowed.encode("latin-1")),
                (b"access-control-expose-headers", EXPOSED_HEADERS),
            ]
            if allowed
            else []
        )
        if (
            scope["type"] == "http"
            and scope.get("method") == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            # A preflight carries no credentials: it is answered here, before any token is asked for.
            if allowed:
                await _answer(send, 204, [*cors, (b"vary", b"Origin"), *PREFLIGHT_HEADERS], b"")
            else:
                body = problem(403, "This origin may not call this API from a browser.")
                await _answer(send, 403, _problem_headers(body), body)
            return
        try:
            token = await self.admit(scope, headers)
        except Denied as denied:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = problem(denied.status, denied.detail)
            extra = [(b"vary", b"Origin")] if allowed else []
            await _answer(
                send, denied.status, [*_problem_headers(body), *denied.headers, *cors, *extra], body
            )
            return
        state = dict(scope.get("state") or {})
        state[STATE_KEY] = token
        inner = {**scope, "state": state, SCOPE_KEY: token}
        if not allowed:
            await self.app(inner, receive, send)
            return

        async def send_with_cors(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_cors(message.get("headers", ()), cors)}
            await send(message)

        await self.app(inner, receive, send_with_cors)

    async def admit(self, scope, headers: Mapping[str, list[str]]) -> TokenInfo | None:
        """The token of a request that may go on (None: an open run, no token sent); Denied
        otherwise, with the answer to give."""
        client = scope.get("client")
        client_key = ("client", client[0] if client else "unknown")
        sent = headers.get("authorization", [])
        secret = None
        if len(sent) > 1:
            self.take(client_key)
            raise Denied(401, "Send one Authorization header.", [_bearer("invalid_request")])
        if sent:
            scheme, _, credentials = sent[0].strip().partition(" ")
            if scheme.lower() != "bearer" or not credentials.strip():
                self.take(client_key)
                raise Denied(
                    401, "The Authorization header must be `Bearer <token>`.", [_bearer("invalid_request")]
                )
            secret = credentials.strip()
        if secret is None:
            self.take(client_key)
            reason = tokens_required(self.environ, self.secrets_files)
            if reason is None:
                return None
            book = await self._book()
            if book is None or not await anyio.to_thread.run_sync(_any_in_force, book):
                raise Denied(401, _none_made(reason), [_bearer()])
            raise Denied(
                401,
                f"This API needs a token ({reason}): send `Authorization: Bearer <token>`. "
                "The server's operator makes tokens.",
                [_bearer()],
            )
        book = await self._book()
        if book is None:
            self.take(client_key)
            raise Denied(
                401,
                f"This token is not valid: no token has been created on this server (`{CREATE_COMMAND}`).",
                [_bearer("invalid_token")],
            )
        try:
            token = await anyio.to_thread.run_sync(book.check, secret)
        except Exception as err:  # noqa: BLE001 - any driver error: no token can be checked
            log.error("API tokens cannot be checked: %s", type(err).__name__)
            raise Denied(
                503, "The tokens cannot be checked just now: try again shortly.", [(b"retry-after", b"30")]
            ) from None
        if token is None:
            self.take(client_key)
            raise Denied(
                401,
                "This token is not valid: it is unknown, mistyped or revoked.",
                [_bearer("invalid_token")],
            )
        self.take(("token", token.id))
        return token

    def take(self, key) -> None:
        wait = self.limit().take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise Denied(
                429,
                f"Too many requests: at most {rate_from(self.environ):g} a minute. Try again in {seconds} s.",
                [(b"retry-after", str(seconds).encode())],
            )

    async def _book(self) -> TokenBook | None:
        try:
            return await anyio.to_thread.run_sync(self.book)
        except Exception as err:  # noqa: BLE001 - a store that cannot be opened
            log.error("the store of the API tokens cannot be opened: %s", err)
            raise Denied(
                503, "The tokens cannot be checked just now: try again shortly.", [(b"retry-after", b"30")]
            ) from None


def with_cors(headers: Iterable[tuple[bytes, bytes]], cors: list[tuple[bytes, bytes]]) -> list:
    """An endpoint's headers with the guard's CORS headers in place of any of its own, and
    Origin among those its answer varies by."""
    kept, vary = [], []
    for key, value in headers:
        if key.lower() == b"vary":
            vary.append(value)
        elif not key.lower().startswith(b"access-control-"):
            kept.append((key, value))
    if not any(v.strip().lower() == b"origin" for value in vary for v in value.split(b",")):
        vary.append(b"Origin")
    return [*kept, *cors, (b"vary", b", ".join(vary))]


def _any_in_force(book: TokenBook) -> bool:
    return bool(book.list(include_revoked=False))


def _none_made(reason: str) -> str:
    return (
        f"This API needs a token ({reason}), and none has been created on this server: its "
        f"operator makes one with `{CREATE_COMMAND}`."
    )


def _problem_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]


async def _answer(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    if status != 204 and not any(k == b"content-length" for k, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
