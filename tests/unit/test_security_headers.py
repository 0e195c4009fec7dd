"""The app's own security headers and private metrics (georisk/app/security.py), driven with tiny
ASGI apps; and the nginx recipe saying the same as the app, hiding the app's copies."""

from __future__ import annotations

import re

import pytest

from georisk.app import security
from georisk.app.security import HEADERS, HSTS, SecurityHeaders
from tests.conftest import ROOT
from tests.sessions import drive as in_thread  # Playwright may hold this thread's event loop

RECIPE = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
ALL = {**HEADERS, HSTS[0]: HSTS[1]}


def scope_of(
    path: str = "/",
    kind: str = "http",
    scheme: str = "http",
    client: tuple[str, int] | None = ("203.0.113.9", 50000),
    headers: list[tuple[bytes, bytes]] | None = None,
    extensions: dict | None = None,
) -> dict:
    scope = {"type": kind, "path": path, "scheme": scheme, "client": client, "headers": headers or []}
    if kind == "http":
        scope["method"] = "GET"
    if extensions is not None:
        scope["extensions"] = extensions
    return scope


def drive(app, scope: dict) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    in_thread(SecurityHeaders(app)(scope, receive, send))
    return sent


def named(message: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in message.get("headers", []):
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def page(status: int = 200, headers: list | None = None):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": headers or []})
        await send({"type": "http.response.body", "body": b"hello"})

    return app


def once_each(message: dict, expected: dict[str, str]) -> None:
    found = named(message)
    for name, value in expected.items():
        assert found.get(name.lower()) == [value], (name, found.get(name.lower()))


@pytest.mark.parametrize("status", [200, 404, 403, 304])
def test_every_http_response_gets_each_header_once(status):
    start, body = drive(page(status, [(b"content-type", b"text/html")]), scope_of())
    assert start["status"] == status and body["body"] == b"hello"
    once_each(start, HEADERS)
    assert "strict-transport-security" not in named(start)  # plain http: no HSTS
    assert named(start)["content-type"] == ["text/html"]  # the app's own headers stay


def test_hsts_only_over_tls():
    start, _ = drive(page(), scope_of(scheme="https"))
    once_each(start, ALL)


def test_a_copy_set_by_the_app_is_replaced_not_doubled():
    """Streamlit sets nosniff on some routes and the Atom feed sets it too; an inner policy is ours."""
    inner = [(b"X-Content-Type-Options", b"nosniff"), (b"content-security-policy", b"default-src *")]
    start, _ = drive(page(headers=inner), scope_of(scheme="https"))
    once_each(start, ALL)
    assert len(start["headers"]) == len(ALL)


def test_an_exception_before_the_response_gets_a_500_with_the_headers():
    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    with pytest.raises(RuntimeError):  # raised on, for the server's log
        in_thread(SecurityHeaders(broken)(scope_of(), receive, send))
    assert sent[0]["status"] == 500
    once_each(sent[0], HEADERS)


def test_an_exception_after_the_response_started_sends_nothing_more():
    async def half(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("boom")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    with pytest.raises(RuntimeError):
        in_thread(SecurityHeaders(half)(scope_of(), receive, send))
    assert [m["type"] for m in sent] == ["http.response.start"]


def socket_app(*messages):
    async def app(scope, receive, send):
        for message in messages:
            await send(message)

    return app


def test_the_websocket_handshake_gets_the_headers():
    accept = {"type": "websocket.accept", "subprotocol": "streamlit", "headers": [(b"x-mine", b"1")]}
    (sent,) = drive(socket_app(accept), scope_of("/_stcore/stream", kind="websocket", scheme="wss"))
    assert sent["type"] == "websocket.accept" and sent["subprotocol"] == "streamlit"
    once_each(sent, ALL)
    assert named(sent)["x-mine"] == ["1"]
    (plain,) = drive(socket_app({"type": "websocket.accept"}), scope_of("/_stcore/stream", kind="websocket"))
    once_each(plain, HEADERS)
    assert "strict-transport-security" not in named(plain)


def test_a_websocket_refused_before_accepting_is_answered_with_the_headers():
    """With the ASGI denial-response extension (uvicorn has it) a close before accept becomes a
    403 response that carries the headers; without it, the close goes on unchanged."""
    scope = scope_of("/_stcore/stream", kind="websocket", extensions={"websocket.http.response": {}})
    start, body = drive(socket_app({"type": "websocket.close", "code": 1008}), scope)
    assert start["type"] == "websocket.http.response.start" and start["status"] == 403
    once_each(start, HEADERS)
    assert body["type"] == "websocket.http.response.body"
    (close,) = drive(socket_app({"type": "websocket.close", "code": 1008}), scope_of(kind="websocket"))
    assert close == {"type": "websocket.close", "code": 1008}
    denial = {"type": "websocket.http.response.start", "status": 400, "headers": []}
    start, *_ = drive(socket_app(denial, {"type": "websocket.http.response.body", "body": b""}), scope)
    assert start["status"] == 400
    once_each(start, HEADERS)


def test_a_close_after_accepting_goes_on_unchanged():
    scope = scope_of("/_stcore/stream", kind="websocket", extensions={"websocket.http.response": {}})
    sent = drive(socket_app({"type": "websocket.accept"}, {"type": "websocket.close", "code": 1000}), scope)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]


def test_lifespan_passes_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    in_thread(SecurityHeaders(app)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


# --- metrics -----------------------------------------------------------------------------------

METRICS = page(200, [(b"content-type", b"application/openmetrics-text")])


@pytest.mark.parametrize(
    "path",
    [
        "/_stcore/metrics",
        "//_stcore/metrics",
        "/_stcore//metrics",
        "/_stcore/metrics/",
        "/base/_stcore/metrics",
    ],
)
def test_metrics_are_refused_from_outside(path, monkeypatch):
    monkeypatch.delenv(security.METRICS_ALLOW_ENV, raising=False)
    start, body = drive(METRICS, scope_of(path))
    assert start["status"] == 403
    assert named(start)["content-type"] == ["text/plain; charset=utf-8"]
    assert b"operator" in body["body"]
    once_each(start, HEADERS)


@pytest.mark.parametrize("client", [("127.0.0.1", 1), ("::1", 1), ("127.0.0.2", 1)])
def test_metrics_are_served_to_a_loopback_client_reaching_the_server_directly(client, monkeypatch):
    monkeypatch.delenv(security.METRICS_ALLOW_ENV, raising=False)
    start, _ = drive(METRICS, scope_of("/_stcore/metrics", client=client))
    assert start["status"] == 200
    once_each(start, HEADERS)


@pytest.mark.parametrize("header", [b"x-forwarded-for", b"forwarded", b"x-real-ip", b"X-Forwarded-Host"])
def test_metrics_are_refused_to_a_loopback_client_that_is_a_proxy(header, monkeypatch):
    """uvicorn puts the forwarded client in scope["client"] (from a loopback proxy); the header stays."""
    monkeypatch.delenv(security.METRICS_ALLOW_ENV, raising=False)
    scope = scope_of("/_stcore/metrics", client=("127.0.0.1", 1), headers=[(header, b"127.0.0.1")])
    assert drive(METRICS, scope)[0]["status"] == 403


@pytest.mark.parametrize("client", [None, ("unix-socket", 0), ("10.0.0.5", 1)])
def test_metrics_are_refused_when_the_client_is_unknown_or_remote(client, monkeypatch):
    monkeypatch.delenv(security.METRICS_ALLOW_ENV, raising=False)
    assert drive(METRICS, scope_of("/_stcore/metrics", client=client))[0]["status"] == 403


def test_the_operator_may_allow_metrics(monkeypatch):
    monkeypatch.setenv(security.METRICS_ALLOW_ENV, "1")
    scope = scope_of("/_stcore/metrics", headers=[(b"x-forwarded-for", b"198.51.100.1")])
    assert drive(METRICS, scope)[0]["status"] == 200
    monkeypatch.setenv(security.METRICS_ALLOW_ENV, "0")
    assert drive(METRICS, scope)[0]["status"] == 403


def test_other_paths_are_not_metrics():
    for path in ("/", "/_stcore/health", "/_stcore/metricsx", "/alerts/feed/_stcore/metrics.atom"):
        assert not security.is_metrics(path), path


# --- one source of truth: the nginx recipe -----------------------------------------------------


def recipe_headers() -> dict[str, str]:
    found = re.findall(r'^\s*add_header (\S+) "([^"]*)" always;', RECIPE, flags=re.MULTILINE)
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), names
    return {name: value for name, value in found if name != "Set-Cookie"}


def test_the_recipe_sends_the_apps_headers_word_for_word():
    assert recipe_headers() == ALL
    assert recipe_headers()["Content-Security-Policy"] == security.CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in security.CONTENT_SECURITY_POLICY


def test_the_recipe_hides_every_header_the_app_sets():
    """Otherwise a response through nginx carries two copies: the app's and nginx's."""
    hidden = set(re.findall(r"^\s*proxy_hide_header (\S+);", RECIPE, flags=re.MULTILINE))
    assert {name for name in ALL} <= hidden, set(ALL) - hidden


def test_a_developer_may_have_the_policy_only_reported():
    from georisk.app.security import headers_for

    names = [name for name, _ in headers_for({"scheme": "http"}, {"GEORISK_CSP_REPORT_ONLY": "1"})]
    assert b"content-security-policy-report-only" in names and b"content-security-policy" not in names
    assert b"content-security-policy" in [name for name, _ in headers_for({"scheme": "http"}, {})]
