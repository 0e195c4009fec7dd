"""Local stand-ins for the conflict-data services, for tests: threaded HTTP servers on 127.0.0.1
(a free port) that follow the contracts of docs/services.md and fail on request.

    with AcledServer(events=rows) as server:
        server.inject("503", at=2)            # the 2nd request answers 503
        pull_acled(..., base_url=server.url, ...)

Faults (one or more, at chosen request numbers, counted from 1 over the whole server):
timeout (answer after `seconds`), 500, 503, 429 (with `retry_after`, seconds or an HTTP date),
drop (the connection closes in the middle of the body), malformed (not JSON), truncated (JSON cut
short, with a matching Content-Length), repeat (the previous page again), missing (a page cut
short), expired (401, and every access token given so far expires), refuse (400).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = (
    "timeout",
    "500",
    "503",
    "429",
    "drop",
    "malformed",
    "truncated",
    "repeat",
    "missing",
    "expired",
    "refuse",
)


@dataclass
class Fault:
    kind: str
    seconds: float = 1.0
    retry_after: str = "0"


@dataclass
class Seen:
    """One request as the server saw it (the body is kept only for forms, secrets and all: it
    never leaves the test)."""

    number: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]


class Reply:
    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.headers = headers or {}


class FakeService:
    """The server, the request log and the faults; subclasses answer the requests."""

    def __init__(self):
        self.seen: list[Seen] = []
        self._faults: dict[int, Fault] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.delay = 0.0  # seconds before each answer

    # -- what tests use ---------------------------------------------------------------------
    def inject(
        self, kind: str, at: int | Iterable[int], *, seconds: float = 1.0, retry_after: str = "0"
    ) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: the faults are {', '.join(FAULTS)}")
        for number in [at] if isinstance(at, int) else at:
            self._faults[number] = Fault(kind, seconds, retry_after)

    @property
    def requests(self) -> int:
        return len(self.seen)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first (use it as a context manager)"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                service._serve(self, "GET")

            def do_POST(self):  # noqa: N802 - http.server's name
                service._serve(self, "POST")

            def log_message(self, format, *args):  # noqa: A002 - quiet in tests
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- what subclasses implement ----------------------------------------------------------
    def answer(self, request: Seen, fault: Fault | None) -> Reply:
        raise NotImplementedError

    # -- the machinery ----------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"))) if body else {}
        with self._lock:
            number = len(self.seen) + 1
            request = Seen(
                number, method, parsed.path, query, {k.lower(): v for k, v in handler.headers.items()}, form
            )
            self.seen.append(request)
            fault = self._faults.get(number)
        if self.delay:  # a slow service, so that tests can start two pulls that overlap
            self._stop.wait(self.delay)
        try:
            self._reply(handler, request, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault): nothing to answer

    def _reply(self, handler: BaseHTTPRequestHandler, request: Seen, fault: Fault | None) -> None:
        kind = fault.kind if fault else None
        if kind == "timeout":
            # Answer, but only after the client's timeout; stop waiting when the server stops.
            self._stop.wait(fault.seconds)
        if kind in ("500", "503"):
            reply = Reply(int(kind), {"status": int(kind), "success": False, "error": "Service unavailable"})
        elif kind == "429":
            reply = Reply(429, {"error": "Too many requests"}, {"Retry-After": fault.retry_after})
        elif kind == "refuse":
            reply = Reply(400, {"error": "invalid_request", "message": "The request was refused."})
        elif kind == "malformed":
            reply = Reply(200, b"<html>Bad gateway</html>")
        else:
            reply = self.answer(request, fault)
        body = reply.body
        if kind == "truncated":
            body = body[: max(1, len(body) // 2)]
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if kind == "drop":
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)  # SHUT_RDWR: the client sees the body end early
            return
        handler.wfile.write(body)


def paged(rows: list, page: int, size: int) -> list:
    """Page `page` (from 0) of `rows`."""
    return rows[page * size : (page + 1) * size]
