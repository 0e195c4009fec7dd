"""Who may change the data: viewers and analysts (DESIGN.md §7, docs/deploy.md "Who may change
the data").

Everyone who opens a link is a viewer. Data-changing actions (importing a feed, "Use this
feed", restoring a version, going back to the curated incidents; later refresh-now and alert
rules) need an analyst. The decision is `decide`, a plain function of its inputs, so that every
deployment mode is unit-tested without Streamlit; georisk.app.roles gathers the inputs.

The rules, in order:
1. `GEORISK_READ_ONLY=1` (the container image sets it): viewer-only, whoever asks. It is the
   operator's "this is a hosted instance for viewers", kept from before roles existed.
2. Sign-in configured (an `[auth]` section in the secrets): an analyst is a signed-in user whose
   email is in `GEORISK_ANALYSTS` (comma- or space-separated). An empty list means nobody.
3. No sign-in: only a local run is an analyst, that is a server bound to the loopback address
   (`--server.address 127.0.0.1` or `localhost`) and reached directly, not through a proxy.
   An unset address binds every interface, so anyone on the network could open it: viewer.

The upload gate at the bottom refuses Streamlit's own upload endpoint to every session that
is not an analyst's (dashboard.py installs it): a viewer can send that endpoint a file without
any uploader on the page.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

VIEWER = "viewer"
ANALYST = "analyst"
READ_ONLY_ENV = "GEORISK_READ_ONLY"
ANALYSTS_ENV = "GEORISK_ANALYSTS"
# A reverse proxy names the client it forwards in one of these. Their presence only ever lowers
# the role, so a client cannot gain anything by sending them; a proxy adds them to each request.
FORWARDED_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")

HOW_TO_ENABLE = (
    "To let analysts import and restore feeds here, configure sign-in (an [auth] section in the "
    f"secrets) and list their emails in {ANALYSTS_ENV}, or run the app on your own machine bound to "
    "the loopback address (`streamlit run dashboard.py --server.address 127.0.0.1`). See docs/deploy.md."
)


@dataclass(frozen=True)
class Access:
    """A session's role and why: the reason is shown on the Data page."""

    role: str
    reason: str

    @property
    def analyst(self) -> bool:
        return self.role == ANALYST


def is_true(value: str | None) -> bool:
    """A yes of an environment variable: 1, true, yes or on (any case)."""
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def analysts_from(value: str | None) -> frozenset[str]:
    """The allow-list from GEORISK_ANALYSTS: emails separated by commas, semicolons or spaces."""
    return frozenset(_email(part) for part in re.split(r"[\s,;]+", value or "") if part.strip())


def _email(value: str) -> str:
    # Providers differ in case; an email's domain is case-insensitive and nobody's allow-list
    # relies on two mailboxes that differ only in case.
    return value.strip().casefold()


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach. None or "" means every interface."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name or a unix:// socket (a proxy's socket): not known to be local
        return False


def forwarded(headers: Mapping[str, str] | Iterable[str]) -> bool:
    """True when a reverse proxy passed this request on (it names the client it forwards)."""
    names = {str(name).lower() for name in headers}
    return any(name in names for name in FORWARDED_HEADERS)


def decide(
    *,
    address: str | None,
    sign_in: bool,
    email: str | None,
    analysts: Iterable[str],
    env: Mapping[str, str],
    proxied: bool = False,
) -> Access:
    """The role of one session.

    address: streamlit's server.address (None: unset, every interface); sign_in: an [auth]
    section is configured; email: the signed-in user's, or None; analysts: the allow-list;
    env: the environment (GEORISK_READ_ONLY); proxied: the session came through a reverse proxy.
    """
    if is_true(env.get(READ_ONLY_ENV)):
        return Access(VIEWER, f"This instance is viewer-only ({READ_ONLY_ENV} is set).")
    if sign_in:
        allowed = {_email(a) for a in analysts}
        if not allowed:
            return Access(VIEWER, f"Sign-in is on, but no analyst is listed in {ANALYSTS_ENV}.")
        if not email:
            return Access(VIEWER, "You are not signed in.")
        if _email(email) in allowed:
            return Access(ANALYST, f"Signed in as {email}, an analyst ({ANALYSTS_ENV}).")
        return Access(VIEWER, f"Signed in as {email}, who is not on the analysts' list ({ANALYSTS_ENV}).")
    if not is_loopback(address):
        where = f"address {address}" if address else "every network interface (server.address is not set)"
        return Access(VIEWER, f"This server listens on {where} and has no sign-in: everyone is a viewer.")
    if proxied:
        return Access(
            VIEWER, "This server is reached through a proxy and has no sign-in: everyone is a viewer."
        )
    return Access(ANALYST, f"A local run (the server listens only on {address}): you are an analyst.")


# ---------------------------------------------------------------------------------------------
# The upload gate: Streamlit's upload endpoint, /_stcore/upload_file/{session_id}/{file_id},
# accepts a file for any live session whose XSRF cookie the client holds, whether or not the page
# shows an uploader; the file stays in the process's memory. So a PUT is accepted only for a
# session whose latest run decided it is an analyst's. Unknown sessions are refused.

UPLOAD_ROUTE = "/_stcore/upload_file/"
_analyst_sessions: set[str] = set()
_lock = threading.Lock()


def remember(session_id: str | None, access: Access) -> None:
    """Record a session's role at each of its runs (a signed-out analyst loses it at once)."""
    if not session_id:
        return
    with _lock:
        if access.analyst:
            _analyst_sessions.add(session_id)
        else:
            _analyst_sessions.discard(session_id)


def may_upload(session_id: str, env: Mapping[str, str]) -> bool:
    """Whether the upload endpoint takes a file for this session: only an analyst's."""
    if is_true(env.get(READ_ONLY_ENV)):  # checked again: viewer-only needs no session lookup
        return False
    with _lock:
        return session_id in _analyst_sessions


def upload_session(path: str) -> str | None:
    """The session id of an upload URL's path, or None for any other path. Found anywhere in the
    path, so that a server.baseUrlPath prefix (or a doubled slash) does not let a PUT past."""
    _, found, rest = path.partition(UPLOAD_ROUTE)
    return rest.split("/", 1)[0] if found else None


class UploadGate:
    """ASGI middleware: 403 for a file sent to the upload endpoint by anyone but an analyst,
    before Streamlit reads a byte of its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "PUT":
            session_id = upload_session(scope.get("path", ""))
            if session_id is not None and not may_upload(session_id, os.environ):
                body = b"Uploads need an analyst (docs/deploy.md)."
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
