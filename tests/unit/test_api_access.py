"""The access layer of the JSON API and the MCP server: the tokens in the store (kept as hashes,
revoked, their last use), the guard in front of /api and /mcp (tokens when required, a bad token
refused even on an open run, the rate limit, CORS), and the command line that makes them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from georisk.api import access
from georisk.api.access import ApiGuard
from georisk.store import tables as t
from georisk.store.database import Store
from georisk.store.tokens import TokenBook, TokenError, digest
from tests.conftest import georisk_cli, georisk_command
from tests.sessions import drive as in_thread  # Playwright may hold this thread's event loop

# -- the tokens in the store


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class WallClock:
    def __init__(self) -> None:
        self.now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def book(store_url) -> TokenBook:
    store = Store(store_url)
    store.upgrade()
    return TokenBook(store, clock=WallClock())


def every_cell(book: TokenBook) -> str:
    with book.engine.connect() as conn:
        rows = conn.execute(sa.select(t.api_tokens)).all()
    return "\n".join(repr(cell) for row in rows for cell in row)


def test_a_token_is_kept_as_its_hash_and_checked(book: TokenBook):
    secret, info = book.create("grafana", actor="ops@example.org")
    assert secret.startswith("grk_") and len(secret) == 4 + 43
    assert info.name == "grafana" and info.prefix == secret[:8] and info.active
    assert info.created_by == "ops@example.org" and info.last_used is None
    assert not hasattr(info, "hash") and secret not in repr(info)
    cells = every_cell(book)
    assert secret not in cells and secret[8:] not in cells and secret[12:30] not in cells
    assert digest(secret) in cells
    assert book.check(secret) == replace(info, last_used="2027-03-01T09:00:00+00:00")
    assert book.check(secret[:-1]) is None
    assert book.check(secret + "x") is None
    assert book.check("") is None and book.check("grk_") is None
    assert book.check(digest(secret)) is None, "the hash is no token"
    assert book.check("grk_" + "a" * 1000) is None
    other, _ = book.create("notebook")
    assert book.check(other).name == "notebook"


def test_last_use_is_written_at_most_once_a_minute(book: TokenBook):
    secret, _ = book.create("grafana")
    clock = book.clock
    assert book.check(secret).last_used == "2027-03-01T09:00:00+00:00"
    clock.now += dt.timedelta(seconds=30)
    assert book.check(secret).last_used == "2027-03-01T09:00:00+00:00"
    assert book.list()[0].last_used == "2027-03-01T09:00:00+00:00"
    clock.now += dt.timedelta(seconds=31)
    assert book.check(secret).last_used == "2027-03-01T09:01:01+00:00"
    assert book.list()[0].last_used == "2027-03-01T09:01:01+00:00"


def test_revoked_tokens_stop_working_and_stay_listed(book: TokenBook):
    first, one = book.create("grafana")
    second, two = book.create("notebook")
    with pytest.raises(TokenError, match="in force"):
        book.create("grafana")
    revoked = book.revoke("grafana", actor="ana")
    assert (
        revoked.id == one.id
        and revoked.revoked == "2027-03-01T09:00:00+00:00"
        and revoked.revoked_by == "ana"
    )
    assert book.check(first) is None and book.check(second) is not None
    with pytest.raises(TokenError, match="no token in force"):
        book.revoke("grafana")
    # The name is free again; the revoked token keeps its row.
    third, three = book.create("grafana")
    assert [(i.name, i.active) for i in book.list()] == [
        ("grafana", False),
        ("notebook", True),
        ("grafana", True),
    ]
    assert [i.id for i in book.list(include_revoked=False)] == [two.id, three.id]
    # By prefix, as the list shows it, and by the secret itself (a leaked one).
    assert book.revoke(two.prefix).id == two.id
    assert book.revoke(third).id == three.id
    assert book.check(second) is None and book.check(third) is None
    assert book.list(include_revoked=False) == []
    with pytest.raises(TokenError, match="no token in force"):
        book.revoke("nobody")


@pytest.mark.parametrize("name", ["", "   ", "grk_abcd", "x" * 101, "tab\there", "rtl\u202eevil"])
def test_a_token_name_must_be_plain(book: TokenBook, name: str):
    with pytest.raises(TokenError):
        book.create(name)
    assert book.list() == []


# -- the guard


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return ", ".join(values) if values else None

    def json(self):
        return json.loads(self.body)


def call(
    app, path: str = "/api/v1/ping", method: str = "GET", headers=(), client=("203.0.113.5", 5000)
) -> Answer:
    """One HTTP request through an ASGI app, without a server."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": client,
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    in_thread(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    found: dict[str, list[str]] = {}
    for key, value in start["headers"]:
        found.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return Answer(start["status"], found, b"".join(m.get("body", b"") for m in sent[1:]))


def ping(request: Request) -> JSONResponse:
    token = request.state.api_token
    assert request.scope["georisk.token"] is token
    return JSONResponse({"token": token.name if token else None}, headers={"ETag": '"1"', "Vary": "Accept"})


def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("a page", headers={"X-Scope-Keys": ",".join(sorted(request.scope))})


INNER = Starlette(
    routes=[
        Route("/api/v1/ping", ping),
        Route("/mcp", ping, methods=["GET", "POST"]),
        Route("/apis", page),
        Route("/", page),
        Route("/_stcore/health", page),
    ]
)


@pytest.fixture
def guard(tmp_path: Path):
    """A guard over a small app, with an environment, secrets files and a store of the test's
    own, and a clock that only moves when the test moves it."""

    class Rig:
        def __init__(self) -> None:
            self.environ: dict[str, str] = {}
            self.secrets = tmp_path / ".streamlit" / "secrets.toml"
            self.clock = Clock()
            self.store_url = f"sqlite:///{tmp_path / 'state' / 'georisk.sqlite'}"
            self.book: TokenBook | None = None  # no store yet
            self.app = ApiGuard(
                INNER,
                environ=self.environ,
                secrets_files=[self.secrets],
                book=lambda: self.book,
                clock=self.clock,
            )

        def tokens(self) -> TokenBook:
            if self.book is None:
                (tmp_path / "state").mkdir(exist_ok=True)
                store = Store(self.store_url)
                store.upgrade()
                self.book = TokenBook(store)
            return self.book

        def call(self, *args, **kwargs) -> Answer:
            return call(self.app, *args, **kwargs)

    yield Rig()
    from georisk.store import database

    engine = database._ENGINES.pop(f"sqlite:///{tmp_path / 'state' / 'georisk.sqlite'}", None)
    if engine is not None:
        engine.dispose()


def bearer(secret: str) -> tuple[tuple[str, str]]:
    return (("Authorization", f"Bearer {secret}"),)


def assert_refused(answer: Answer, status: int = 401, secret: str | None = None) -> dict:
    assert answer.status == status, answer.body
    assert answer.header("content-type") == "application/problem+json"
    document = answer.json()
    assert set(document) == {"type", "title", "status", "detail"} and document["status"] == status
    assert document["detail"]
    if status == 401:
        assert answer.header("www-authenticate").startswith("Bearer")
    if secret:
        assert secret not in answer.body.decode() and secret[4:] not in answer.body.decode()
        assert not any(secret in v for values in answer.headers.values() for v in values)
    return document


def test_a_local_run_is_open_but_a_bad_token_is_refused(guard):
    answer = guard.call()
    assert answer.status == 200 and answer.json() == {"token": None}
    assert guard.call("/mcp", method="POST").json() == {"token": None}
    # A token sent is checked even here: without a store no token can be good.
    bogus = "grk_" + "b" * 43
    assert (
        "no token has been created"
        in assert_refused(guard.call(headers=bearer(bogus)), secret=bogus)["detail"]
    )
    secret, _ = guard.tokens().create("notebook")
    assert guard.call(headers=bearer(secret)).json() == {"token": "notebook"}
    assert_refused(guard.call(headers=bearer(bogus)), secret=bogus)
    assert_refused(guard.call(headers=(("Authorization", f"Basic {secret}"),)), secret=secret)
    assert_refused(guard.call(headers=(("Authorization", "Bearer "),)))


@pytest.mark.parametrize(
    "setting",
    [
        ("env", "GEORISK_HOSTED", "1"),
        ("env", "GEORISK_READ_ONLY", "1"),
        ("env", "GEORISK_API_TOKENS", "required"),
        ("secrets", "[auth]\nredirect_uri = 'https://x.example.org/oauth2callback'\n", None),
        ("secrets", 'GEORISK_READ_ONLY = "1"\n', None),
        ("secrets", "this is = not [toml\n", None),
    ],
    ids=["hosted", "read-only", "required", "sign-in", "read-only-secret", "unreadable-secrets"],
)
def test_tokens_are_required_off_a_local_run(guard, setting):
    where, key, value = setting
    if where == "env":
        guard.environ[key] = value
    else:
        guard.secrets.parent.mkdir()
        guard.secrets.write_text(key, encoding="utf-8")
    # No store: no token exists, and the answer says how to make one.
    document = assert_refused(guard.call())
    assert "none has been created" in document["detail"] and "api token create" in document["detail"]
    book = guard.tokens()
    document = assert_refused(guard.call())
    assert "none has been created" in document["detail"], "a store without tokens has none either"
    secret, _ = book.create("grafana")
    document = assert_refused(guard.call())
    assert "Bearer" in document["detail"] and "none has been created" not in document["detail"]
    assert guard.call(headers=bearer(secret)).json() == {"token": "grafana"}
    assert guard.call(headers=(("authorization", f"bearer  {secret} "),)).status == 200
    assert guard.call("/mcp", method="POST", headers=bearer(secret)).json() == {"token": "grafana"}
    wrong = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    assert_refused(guard.call(headers=bearer(wrong)), secret=wrong)
    assert_refused(guard.call(headers=bearer(secret) * 2), secret=secret)
    book.revoke("grafana")
    document = assert_refused(guard.call(headers=bearer(secret)), secret=secret)
    assert 'error="invalid_token"' in guard.call(headers=bearer(secret)).header("www-authenticate")
    assert "revoked" in document["detail"]


def test_other_paths_pass_untouched(guard):
    guard.environ["GEORISK_API_TOKENS"] = "required"
    guard.environ["GEORISK_API_CORS_ORIGINS"] = "https://notebook.example.org"
    for path in ("/", "/apis", "/_stcore/health"):
        answer = guard.call(path, headers=(("Origin", "https://notebook.example.org"),))
        assert answer.status == 200 and answer.body == b"a page", path
        assert "access-control-allow-origin" not in answer.headers
        assert "georisk.token" not in answer.header("x-scope-keys")
    # A doubled slash is the same API path: guarded all the same.
    assert guard.call("//api/v1/ping").status == 401


def test_the_rate_limit_answers_429_with_retry_after(guard):
    guard.environ["GEORISK_API_RATE"] = "3"
    secret, _ = guard.tokens().create("grafana")
    other, _ = guard.tokens().create("notebook")
    for _ in range(3):
        assert guard.call(headers=bearer(secret)).status == 200
    refused = guard.call(headers=bearer(secret))
    document = assert_refused(refused, status=429, secret=secret)
    assert refused.header("retry-after") == "20", "one request every 20 s at 3 a minute"
    assert "3 a minute" in document["detail"]
    # Another token (and an open run's client address) has an allowance of its own.
    assert guard.call(headers=bearer(other)).status == 200
    assert guard.call().status == 200
    guard.clock.now += 19.5
    assert guard.call(headers=bearer(secret)).header("retry-after") == "1", "never less than 1 s"
    guard.clock.now += 0.5
    assert guard.call(headers=bearer(secret)).status == 200
    assert guard.call(headers=bearer(secret)).status == 429
    # Open: per client address.
    for _ in range(3):
        assert guard.call(client=("198.51.100.7", 1)).status == 200
    assert guard.call(client=("198.51.100.7", 1)).status == 429
    assert guard.call(client=("198.51.100.8", 1)).status == 200


def test_bad_tokens_use_up_the_clients_allowance(guard):
    guard.environ["GEORISK_API_RATE"] = "2"
    guard.environ["GEORISK_API_TOKENS"] = "required"
    secret, _ = guard.tokens().create("grafana")
    bogus = "grk_" + "c" * 43
    assert guard.call(headers=bearer(bogus)).status == 401
    assert guard.call(headers=bearer(bogus)).status == 401
    assert_refused(guard.call(headers=bearer(bogus)), status=429, secret=bogus)
    assert guard.call(headers=bearer(secret)).status == 200, "a good token is not held back by them"


def test_cors_is_closed_unless_the_origin_is_listed(guard):
    asked = (("Origin", "https://notebook.example.org"),)
    preflight = (
        *asked,
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    )
    answer = guard.call(headers=asked)
    assert answer.status == 200 and not [h for h in answer.headers if h.startswith("access-control-")]
    assert_refused(guard.call(method="OPTIONS", headers=preflight), status=403)

    guard.environ["GEORISK_API_CORS_ORIGINS"] = "https://notebook.example.org, https://other.example.org"
    answer = guard.call(headers=asked)
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] == ["https://notebook.example.org"]
    assert answer.header("vary") == "Accept, Origin"
    assert "ETag" in answer.header("access-control-expose-headers")
    answer = guard.call(method="OPTIONS", headers=preflight)
    assert answer.status == 204 and answer.body == b""
    assert answer.header("access-control-allow-origin") == "https://notebook.example.org"
    assert answer.header("access-control-allow-methods") == "GET"
    assert answer.header("access-control-allow-headers") == "Authorization, If-None-Match, Accept"
    assert answer.header("access-control-max-age") == "600"
    assert answer.header("vary") == "Origin"
    # The guard's own refusals can be read by the allowed page too.
    guard.environ["GEORISK_API_TOKENS"] = "required"
    answer = guard.call(headers=asked)
    assert (
        answer.status == 401
        and answer.header("access-control-allow-origin") == "https://notebook.example.org"
    )
    assert guard.call(method="OPTIONS", headers=preflight).status == 204, "a preflight carries no token"

    for origin in ("https://evil.example.org", "https://notebook.example.org.evil.example", "null", "*"):
        guard.environ.pop("GEORISK_API_TOKENS")
        answer = guard.call(headers=(("Origin", origin),))
        assert answer.status == 200 and not [h for h in answer.headers if h.startswith("access-control-")], (
            origin
        )
        answer = guard.call(
            method="OPTIONS", headers=(("Origin", origin), ("Access-Control-Request-Method", "GET"))
        )
        assert answer.status == 403 and "access-control-allow-origin" not in answer.headers, origin
        guard.environ["GEORISK_API_TOKENS"] = "required"


def test_the_default_store_is_the_data_folders(tmp_path: Path, monkeypatch):
    """Without a book given, the guard reads the tokens of the data folder the app serves."""
    from georisk.store import location

    monkeypatch.setenv("GEORISK_DATA", str(tmp_path))
    monkeypatch.delenv("GEORISK_STORE", raising=False)
    monkeypatch.delenv("GEORISK_STATE", raising=False)
    monkeypatch.setattr("sys.argv", ["streamlit"])
    location.forget()
    app = ApiGuard(INNER, environ={"GEORISK_API_TOKENS": "required"}, secrets_files=[])
    try:
        assert "none has been created" in assert_refused(call(app))["detail"]
        assert not (tmp_path / "state").exists(), "checking a token makes no store"
        store = location.open_store(tmp_path, create=True)
        secret, _ = TokenBook(store).create("grafana")
        assert call(app, headers=bearer(secret)).json() == {"token": "grafana"}
    finally:
        location.forget()
        from georisk.store import database

        engine = database._ENGINES.pop(location.store_url(tmp_path), None)
        if engine is not None:
            engine.dispose()


def test_required_reads_the_secrets_without_streamlit(tmp_path: Path):
    secrets = tmp_path / "secrets.toml"
    assert access.tokens_required({}, [secrets]) is None
    secrets.write_text('[connections.x]\nurl = "y"\n', encoding="utf-8")
    assert access.tokens_required({}, [secrets]) is None
    secrets.write_text('[auth]\nclient_id = "x"\n', encoding="utf-8")
    assert access.tokens_required({}, [secrets]) == "sign-in is configured"
    assert access.tokens_required({"GEORISK_API_TOKENS": "required"}, []) is not None
    assert access.tokens_required({"GEORISK_HOSTED": "0", "GEORISK_API_TOKENS": "optional"}, []) is None


# -- the command line


@pytest.fixture
def own_store(monkeypatch):
    """The data folder's own SQLite store, whatever the environment says; forgotten after."""
    from georisk.store import location

    monkeypatch.delenv("GEORISK_STORE", raising=False)
    monkeypatch.delenv("GEORISK_STATE", raising=False)
    location.forget()
    yield
    location.forget()


def test_the_command_line_makes_lists_and_revokes_tokens(data_copy: Path, own_store):
    made = georisk_command("api", "token", "create", "grafana", "--data", str(data_copy))
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("grk_") and len(secret) == 47 and "\n" not in secret
    assert "not shown again" in made.stderr and secret not in made.stderr
    listed = georisk_cli("api", "token", "list", "--data", str(data_copy))
    assert listed.returncode == 0 and secret[:8] in listed.stdout and "grafana" in listed.stdout
    assert "in force" in listed.stdout and secret not in listed.stdout
    # The store keeps only the hash: the secret is nowhere in its file.
    assert secret.encode() not in (data_copy / "state" / "georisk.sqlite").read_bytes()
    again = georisk_cli("api", "token", "create", "grafana", "--data", str(data_copy))
    assert again.returncode == 2 and "in force" in again.stderr
    revoked = georisk_cli("api", "token", "revoke", "grafana", "--data", str(data_copy))
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in georisk_cli("api", "token", "list", "--data", str(data_copy)).stdout
    assert georisk_cli("api", "token", "list", "--active", "--data", str(data_copy)).stdout.startswith(
        "no API tokens"
    )
    missing = georisk_cli("api", "token", "revoke", "grafana", "--data", str(data_copy))
    assert missing.returncode == 2 and "no token in force" in missing.stderr


def test_listing_a_folder_without_a_store_makes_none(data_copy: Path, own_store):
    listed = georisk_cli("api", "token", "list", "--data", str(data_copy))
    assert listed.returncode == 0 and "no API tokens" in listed.stdout
    assert georisk_cli("api", "token", "revoke", "x", "--data", str(data_copy)).returncode == 1
    assert not (data_copy / "state").exists()
