"""Security headers set by the app itself, and its operator's endpoint kept private (issue 18).

One instance hosted without nginx must send the same headers as deploy/nginx.conf, so this module
holds them (the policy is one string, here) and tests/unit/test_security_headers.py checks that the
recipe's add_header lines say the same. Behind nginx the proxy hides the app's copies and sends its
own (proxy_hide_header), so each header still arrives once.

`SecurityHeaders` is an ASGI middleware (dashboard.py installs it first, so it wraps everything
Streamlit serves: pages, static files, our own routes, errors, the upload gate's 403 and the
websocket handshake):

- every HTTP response gets HEADERS, replacing any copy an inner app set (Streamlit sets
  X-Content-Type-Options on some routes, the Atom feed sets it too); over TLS also HSTS;
- the websocket handshake's response gets them too, through the headers of the ASGI
  "websocket.accept" message (or of a "websocket.http.response.start" refusal);
- an exception before a response started gets a plain 500 with the headers (the exception is
  raised on, for Starlette's error middleware and the server log);
- `/_stcore/metrics` (Streamlit's counters: sessions, timings) answers 403 unless the client
  reaches this server directly from the loopback address (the operator's own machine, not
  through a proxy: access.py's notion) or the operator sets GEORISK_METRICS_ALLOW=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from georisk.app import access

# The inline script hash is Streamlit's own `window.prerenderReady = false` (index.html,
# streamlit 1.67.0; tests/browser/test_nginx.py checks it). Streamlit's frontend compiles
# WebAssembly ('wasm-unsafe-eval', not the wider 'unsafe-eval'); MapLibre runs its workers from
# blob: URLs. Chromium reports no violation on any page under this policy (tests/browser).
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'sha256-THxz9J9+wf7rhwR2YkXJoSZ13UCmYyC+3lNDv2+8ugA=' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    )
)

# Sent on every response, in this order.
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # A shared link carries the whole view; it is not passed on to other sites.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Only over TLS: a browser ignores it on plain http, and a plain-http instance must not claim it.
# uvicorn takes the scheme from X-Forwarded-Proto only from the proxies it trusts
# (FORWARDED_ALLOW_IPS, loopback by default), so scope["scheme"] is what the client used.
HSTS = ("Strict-Transport-Security", "max-age=31536000")
TLS_SCHEMES = ("https", "wss")

METRICS_ROUTE = "/_stcore/metrics"
METRICS_ALLOW_ENV = "GEORISK_METRICS_ALLOW"
METRICS_REFUSED = b"Metrics are for the operator: read them on the server itself (docs/deploy.md).\n"
SERVER_ERROR = b"Internal server error\n"


REPORT_ONLY_ENV = "GEORISK_CSP_REPORT_ONLY"


def headers_for(scope: Scope, environ: Mapping[str, str] = os.environ) -> list[tuple[bytes, bytes]]:
    """The security headers of a response to this request, as ASGI header pairs. With
    GEORISK_CSP_REPORT_ONLY=1 (a developer's local run: tools that inject a script into the
    page, such as an accessibility audit) the policy is sent as Content-Security-Policy-Report-Only:
    the browser reports what it would block and blocks nothing."""
    pairs = list(HEADERS.items())
    if access.is_true(environ.get(REPORT_ONLY_ENV)):
        pairs = [
            ("Content-Security-Policy-Report-Only" if k == "Content-Security-Policy" else k, v)
            for k, v in pairs
        ]
    if scope.get("scheme") in TLS_SCHEMES:
        pairs.append(HSTS)
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


def with_headers(existing: list | tuple | None, ours: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`existing` headers without any copy of ours, then ours: each of ours exactly once."""
    names = {name for name, _ in ours}
    kept = [(bytes(name), bytes(value)) for name, value in existing or () if bytes(name).lower() not in names]
    return kept + ours


def is_metrics(path: str) -> bool:
    """True for Streamlit's metrics endpoint, under any server.baseUrlPath, with doubled or a
    trailing slash (Starlette redirects that one to the endpoint)."""
    return re.sub(r"/{2,}", "/", path or "").rstrip("/").endswith(METRICS_ROUTE)


def direct_loopback(scope: Scope) -> bool:
    """A client on this machine reaching the server itself, not through a proxy (a proxy names
    the client it forwards: access.forwarded)."""
    client = scope.get("client")
    if not client or not access.is_loopback(str(client[0])):
        return False
    names = [bytes(name).decode("latin-1") for name, _ in scope.get("headers") or ()]
    return not access.forwarded(names)


def may_read_metrics(scope: Scope, env: Mapping[str, str]) -> bool:
    return access.is_true(env.get(METRICS_ALLOW_ENV)) or direct_loopback(scope)


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, the metrics kept private."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:  # lifespan
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        ours = headers_for(scope)
        if is_metrics(scope.get("path", "")) and not may_read_metrics(scope, os.environ):
            await _plain(send, 403, METRICS_REFUSED, ours)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": with_headers(message.get("headers"), ours)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:  # Starlette's error middleware sees the response started and logs
                await _plain(send_with_headers, 500, SERVER_ERROR, [])
            raise

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        ours = headers_for(scope)
        answered = False
        refusal = "websocket.http.response" in (scope.get("extensions") or {})

        async def send_with_headers(message: Message) -> None:
            nonlocal answered
            kind = message["type"]
            if kind in ("websocket.accept", "websocket.http.response.start"):
                answered = True
                message = {**message, "headers": with_headers(message.get("headers"), ours)}
            elif kind == "websocket.close" and not answered and refusal:
                # Closed before accepting: the server would answer a bare 403. Say it ourselves,
                # with the headers (the ASGI websocket denial response extension).
                answered = True
                await _plain(send, 403, b"", ours, prefix="websocket.")
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _plain(send: Send, status: int, body: bytes, headers: list, prefix: str = "") -> None:
    await send(
        {
            "type": f"{prefix}http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": f"{prefix}http.response.body", "body": body})
