"""Alerts as a signed JSON webhook, for a chat bridge or a ticketing system to act on.

The receiver checks that a delivery comes from us with an HMAC-SHA256 of the body under a shared
secret (`X-Georisk-Signature: t=<unix time>,v1=<hex>`, the time signed too so that a captured
delivery cannot be replayed later; `verify` is the receiver's side). The URL is typed by an
analyst and the server sits inside the operator's network, so each attempt first checks the
address (georisk.alerts.addresses) and then connects to that very address, whatever the name
resolves to a moment later (DNS rebinding); TLS still verifies the certificate for the name.
Redirects are never followed: they would take the delivery to an address nobody checked.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from georisk.alerts import addresses
from georisk.alerts.records import Alert
from georisk.alerts.rules import Rule
from georisk.services.http import (
    MESSAGE_LIMIT,
    USER_AGENT,
    Budget,
    RetryPolicy,
    redact,
    register_secret,
    retry_after_seconds,
)

EVENTS = ("raised", "updated", "withdrawn", "digest")
SIGNATURE = "X-Georisk-Signature"
DELIVERY = "X-Georisk-Delivery"
EVENT = "X-Georisk-Event"
MAX_RESPONSE = 64 * 1024  # a receiver's answer is only read for its message
# A webhook should answer within seconds; a few quick retries cover a restart of the receiver.
DEFAULT_POLICY = RetryPolicy(attempts=4, backoff=1.0, backoff_cap=10.0, max_retry_after=60.0)


def payload(alerts: list[Alert], *, event: str, rule: Rule, delivery_id: str, sent_at: str) -> bytes:
    """The JSON body of one delivery: the alerts as the Alerts page has them, and the rule that
    raised them. Every data value is a JSON string, never markup."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}: one of {', '.join(EVENTS)}")
    document = {
        "delivery_id": delivery_id,
        "event": event,
        "rule": {"id": rule.id, "name": rule.name, "description": rule.words()},
        "sent_at": sent_at,
        "alerts": [alert.to_dict() for alert in alerts],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """Whether `header` signs `body` under `secret` within `tolerance` seconds of `now`: what a
    receiver checks before it trusts a delivery. More than one v1 may be given (a secret being
    rotated); any one that matches will do."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    # Compare every candidate in constant time, so that timing tells an attacker nothing.
    return any(hmac.compare_digest(expected.encode(), v.encode()) for v in fields.get("v1", []))


@dataclass(frozen=True)
class Sent:
    """How a delivery went; `detail` is short and redacted, fit for the Alerts page and the log."""

    ok: bool
    status: int | None
    attempts: int
    detail: str


class _Transient(Exception):
    def __init__(self, reason: str, status: int | None = None, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


def _short(text: str) -> str:
    shown = " ".join(redact(text).split())
    return shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 1] + "…"


def _connection(url: str, ip: addresses.Address, timeout: float, context: ssl.SSLContext | None):
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context or ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    # The connection keeps the name (for the Host header and the certificate check) but its
    # socket goes to the address that was checked, not to what the name resolves to now.
    def pinned(address: tuple, timeout: float, source_address: tuple | None = None) -> socket.socket:
        return socket.create_connection((str(ip), address[1]), timeout, source_address)

    conn._create_connection = pinned
    return conn, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _attempt(url: str, body: bytes, headers: dict, ip, timeout: float, context) -> tuple[int, str]:
    """One POST: (status, what to say about it); _Transient for what a retry may cure."""
    conn, target = _connection(url, ip, timeout, context)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read(MAX_RESPONSE)
        status, retry_after = response.status, response.getheader("Retry-After")
    except ssl.SSLCertVerificationError as err:
        return 0, f"the receiver's certificate was refused ({err.verify_message})"
    except TimeoutError:
        raise _Transient(f"no answer within {timeout:.3g} s") from None
    except (OSError, http.client.HTTPException) as err:
        raise _Transient(f"the connection failed ({type(err).__name__})") from None
    finally:
        conn.close()
    said = raw.decode("utf-8", "replace").strip()
    message = f"HTTP {status}" + (f": {said[:200]}" if said else "")
    if status == 429 or status >= 500:
        raise _Transient(message, status, retry_after_seconds(retry_after))
    if 300 <= status < 400:
        return status, f"HTTP {status}: redirects are not followed; give the rule the final URL"
    return status, message


def send(
    url: str,
    body: bytes,
    *,
    secret: str,
    delivery_id: str,
    event: str,
    timeout: float = 10,
    policy: RetryPolicy | None = None,
    budget_seconds: float = 60,
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
    context: ssl.SSLContext | None = None,
) -> Sent:
    """POST a payload to a webhook, signed, retrying what may pass (timeouts, dropped connections,
    5xx, 429 after its Retry-After) with the policy's back-off, within `budget_seconds` in all.
    `timeout` bounds each attempt (the policy's own timeout is not used); `context` is the TLS
    context (default: the system's certificate authorities)."""
    register_secret(secret)  # a receiver that echoes what it got must not show it in our log
    policy = policy or DEFAULT_POLICY
    budget = Budget(budget_seconds)
    attempts = 0
    while True:
        try:
            _host, _port, ip = addresses.checked_target(url, environ)
        except addresses.AddressRefused as err:
            return Sent(False, None, attempts, _short(f"not sent: {err}"))
        per_attempt = min(timeout, budget.remaining())
        if per_attempt <= 0:
            return Sent(False, None, attempts, _short(f"the {budget_seconds:g} s allowed ran out"))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            # A new time for each attempt, so that a late retry is not refused as a replay.
            SIGNATURE: sign(secret, int(time.time()), body),
            DELIVERY: delivery_id,
            EVENT: event,
        }
        attempts += 1
        try:
            status, said = _attempt(url, body, headers, ip, per_attempt, context)
        except _Transient as fault:
            wait = fault.wait if fault.wait is not None else policy.delay(attempts)
            why = None
            if attempts >= policy.attempts:
                why = f"gave up after {attempts} attempts; the last: {fault.reason}"
            elif fault.wait is not None and fault.wait > policy.max_retry_after:
                why = f"{fault.reason}; the receiver asked to wait {fault.wait:.0f} s, too long"
            elif wait >= budget.remaining():
                why = f"{fault.reason}; a wait of {wait:.3g} s would outlast the {budget_seconds:g} s allowed"
            if why:
                return Sent(False, fault.status, attempts, _short(why))
            sleep(wait)
            continue
        if 200 <= status < 300:
            return Sent(True, status, attempts, _short(f"delivered ({said})"))
        return Sent(False, status or None, attempts, _short(f"refused: {said}"))
