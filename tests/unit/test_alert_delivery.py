"""Delivering alerts: the Atom feed parses as valid Atom, the webhook is signed, retried, pinned to
the address it checked and refused for private ones, and the email digest arrives over SMTP
(plain, and STARTTLS with a certificate made here). Everything runs against local stand-ins on
127.0.0.1; hostile data text always comes back as the same characters, never as markup."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from georisk.alerts import atom, mail, webhook
from georisk.alerts.records import Alert
from georisk.alerts.rules import Rule, Tier
from georisk.services.http import RetryPolicy, redact

HOSTILE = "<script>alert(1)</script> ]]> &amp; & \x00\x07 \"q\" 'a' 🚨 café"
SHOWN = HOSTILE.replace("\x00", "").replace("\x07", "")
DASHBOARD = "https://dash.example/"
ALLOW = {"GEORISK_WEBHOOK_ALLOW": "127.0.0.1/32"}
SECRET = "webhook-secret-123"
RULE = Rule(id="near-dam", name="Near the dam", tiers=(Tier(10.0),))


def alert(number: int = 1, **changes) -> Alert:
    fields = dict(
        id=number,
        rule_id="near-dam",
        rule_name="Near the dam",
        kind="incident",
        state="open",
        raised=f"2024-05-{number % 28 + 1:02d}T08:00:00Z",
        updated=f"2024-05-{number % 28 + 1:02d}T09:30:00+00:00",
        title=f"Attack in Town {number}",
        why="any incident within 10 km of site Dam",
        site_id="dam",
        site_name="Dam",
        province="Khyber",
        distance_km=4.26,
        event_date="2024-04-30",
        location="Town",
        group="Group A",
        actor_family="family-a",
        killed=3,
        source="ACLED",
        links={"map": f"https://dash.example/Map?alert={number}&x=2"},
    )
    return Alert(**(fields | changes))


def hostile_alert() -> Alert:
    return alert(
        7, rule_name=HOSTILE, title=HOSTILE, why=HOSTILE, location=HOSTILE, source=HOSTILE, note=HOSTILE
    )


# -- Atom


def test_the_feed_is_valid_atom_newest_first():
    alerts = [alert(1), alert(3, state="withdrawn"), alert(2, change="killed 2 → 3")]
    xml = atom.feed_xml(
        alerts,
        title="Georisk alerts",
        feed_id="urn:georisk:alerts",
        self_url="https://dash.example/alerts.atom",
        dashboard_url=DASHBOARD,
        subtitle=RULE.words(),
    )
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Georisk alerts"
    assert parsed.feed.id == "urn:georisk:alerts"
    assert parsed.feed.updated == "2024-05-04T09:30:00Z"  # the newest alert's change
    assert parsed.feed.author == "Georisk"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": "https://dash.example/alerts.atom", "alternate": DASHBOARD}
    assert [e.id for e in parsed.entries] == [f"urn:georisk:alerts:alert:{n}" for n in (3, 2, 1)]
    assert [e.title for e in parsed.entries] == [
        "Withdrawn: Attack in Town 3",
        "Updated: Attack in Town 2",
        "Attack in Town 1",
    ]
    first = parsed.entries[0]
    assert first.link == "https://dash.example/Map?alert=3&x=2"
    assert first.updated == "2024-05-04T09:30:00Z" and first.published == "2024-05-04T08:00:00Z"
    assert first.tags[0].term == "withdrawn"
    for expected in ("Date: 2024-04-30", "Place: Town, Khyber", "Actor: Group A (family-a)", "Site: Dam"):
        assert expected in first.summary
    assert "Killed / wounded: 3 killed, unknown wounded" in first.summary
    assert "Distance: 4.3 km from the site" in first.summary
    assert "Change: killed 2 → 3" in parsed.entries[1].summary


def test_the_feed_keeps_the_newest_entries_only_and_an_empty_feed_is_valid():
    xml = atom.feed_xml(
        [alert(n) for n in range(atom.MAX_ENTRIES + 20)],
        title="t",
        feed_id="urn:x",
        self_url="https://d.example/f",
        dashboard_url=DASHBOARD,
    )
    assert len(feedparser.parse(xml).entries) == atom.MAX_ENTRIES
    empty = feedparser.parse(
        atom.feed_xml([], title="t", feed_id="urn:x", self_url="https://d.example/f", dashboard_url=DASHBOARD)
    )
    assert not empty.bozo and empty.entries == [] and empty.feed.updated


def test_hostile_text_in_the_feed_is_text():
    xml = atom.feed_xml(
        [hostile_alert(), alert(8, links={"map": "javascript:alert(1)"})],
        title=HOSTILE,
        feed_id="urn:georisk:alerts",
        self_url="https://dash.example/alerts.atom",
        dashboard_url=DASHBOARD,
        subtitle=HOSTILE,
    )
    assert b"<script" not in xml and b"\x00" not in xml and b"\x07" not in xml
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == SHOWN and parsed.feed.subtitle == SHOWN
    hostile = next(e for e in parsed.entries if e.id.endswith(":7"))
    assert hostile.title == SHOWN
    assert hostile.title_detail.type == "text/plain" and hostile.summary_detail.type == "text/plain"
    assert hostile.summary.startswith(SHOWN + "\n")
    assert f"Why: {SHOWN}" in hostile.summary and f"Note: {SHOWN}" in hostile.summary
    # A link that is not a web address is not handed to the reader.
    assert next(e for e in parsed.entries if e.id.endswith(":8")).link == DASHBOARD


def test_long_text_is_cut_and_format_characters_are_shown():
    assert len(atom.clean("x" * 10_000)) == atom.MAX_TEXT
    assert atom.clean("a\u202eb\x1b[31m") == "a⟨U+202E⟩b[31m"


# -- Webhook


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver that checks each signature and answers from a script of
    (status, headers, delay) steps, then 200."""

    def __init__(self, script: list[tuple[int, dict, float]]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.requests: list[dict] = []
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook?team=ops"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verified = webhook.verify(SECRET, self.headers.get(webhook.SIGNATURE, ""), body)
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body, "ok": verified}
        )
        status, headers, delay = self.server.script.pop(0) if self.server.script else (200, {}, 0.0)
        if delay:
            self.server.released.wait(delay)
        try:
            self.send_response(status if verified else 401)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass  # the sender gave up waiting

    def log_message(self, *args) -> None:
        pass


@contextmanager
def receiver(script=(), wrap: ssl.SSLContext | None = None):
    server = Receiver(list(script))
    if wrap is not None:
        server.socket = wrap.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()


def deliver(url: str, environ=ALLOW, waits: list | None = None, **options) -> webhook.Sent:
    body = webhook.payload(
        [hostile_alert()], event="raised", rule=RULE, delivery_id="d-1", sent_at="2024-05-01T09:00:00Z"
    )
    sleep = waits.append if waits is not None else (lambda seconds: None)
    return webhook.send(
        url, body, secret=SECRET, delivery_id="d-1", event="raised", environ=environ, sleep=sleep, **options
    )


def test_a_signed_delivery_is_accepted():
    with receiver() as server:
        sent = deliver(server.url)
    assert sent == webhook.Sent(True, 200, 1, "delivered (HTTP 200: ok)")
    [request] = server.requests
    assert request["ok"] and request["path"] == "/hook?team=ops"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Georisk-Delivery"] == "d-1" and headers["X-Georisk-Event"] == "raised"
    assert headers["User-Agent"].startswith("georisk")
    document = json.loads(request["body"])
    assert document["delivery_id"] == "d-1" and document["event"] == "raised"
    assert document["rule"] == {"id": "near-dam", "name": "Near the dam", "description": RULE.words()}
    assert document["alerts"][0]["title"] == HOSTILE  # a plain JSON string, as the data holds it
    assert document["alerts"][0]["links"]["map"].startswith("https://dash.example/")


def test_server_errors_are_retried_with_the_same_delivery_id():
    waits: list[float] = []
    with receiver([(500, {}, 0), (503, {}, 0)]) as server:
        sent = deliver(server.url, waits=waits, policy=RetryPolicy(attempts=4, backoff=0.5))
    assert sent.ok and sent.attempts == 3 and sent.status == 200
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0
    assert [r["headers"]["X-Georisk-Delivery"] for r in server.requests] == ["d-1"] * 3
    assert all(r["ok"] for r in server.requests)


def test_too_many_requests_waits_as_told():
    waits: list[float] = []
    with receiver([(429, {"Retry-After": "7"}, 0)]) as server:
        sent = deliver(server.url, waits=waits)
    assert sent.ok and sent.attempts == 2 and waits == [7.0]
    with receiver([(429, {"Retry-After": "3600"}, 0)]) as server:
        sent = deliver(server.url, waits=waits)
    assert not sent.ok and sent.status == 429 and sent.attempts == 1 and "too long" in sent.detail


@pytest.mark.parametrize("status", [400, 404, 410])
def test_other_client_errors_are_not_retried(status: int):
    with receiver([(status, {}, 0)]) as server:
        sent = deliver(server.url)
    assert (sent.ok, sent.status, sent.attempts, len(server.requests)) == (False, status, 1, 1)
    assert sent.detail == f"refused: HTTP {status}: ok"


def test_a_redirect_is_not_followed():
    with receiver() as target, receiver([(302, {"Location": "URL"}, 0)]) as server:
        server.script[0][1]["Location"] = target.url
        sent = deliver(server.url)
    assert (sent.ok, sent.status, sent.attempts) == (False, 302, 1)
    assert "redirects are not followed" in sent.detail
    assert len(server.requests) == 1 and target.requests == []


def test_timeouts_are_retried_within_the_budget():
    started = time.monotonic()
    with receiver([(200, {}, 5.0)] * 20) as server:
        sent = deliver(
            server.url, timeout=0.2, budget_seconds=1.0, policy=RetryPolicy(attempts=20, backoff=0.01)
        )
    elapsed = time.monotonic() - started
    assert not sent.ok and sent.status is None
    assert 2 <= sent.attempts <= 6 and len(server.requests) == sent.attempts
    assert "no answer within" in sent.detail
    assert elapsed < 2.0


def test_a_refused_connection_gives_up_after_the_attempts():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    waits: list[float] = []
    sent = deliver(f"http://127.0.0.1:{port}/", waits=waits, policy=RetryPolicy(attempts=3, backoff=0.01))
    assert (sent.ok, sent.attempts, len(waits)) == (False, 3, 2)
    assert "gave up after 3 attempts" in sent.detail and "ConnectionRefusedError" in sent.detail


def test_loopback_is_refused_unless_allowed():
    with receiver() as server:
        refused = deliver(server.url, environ={})
        allowed = deliver(server.url, environ=ALLOW)
    assert (refused.ok, refused.attempts, refused.status) == (False, 0, None)
    assert "loopback" in refused.detail and "GEORISK_WEBHOOK_ALLOW" in refused.detail
    assert allowed.ok and len(server.requests) == 1


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8080/hook", "loopback"),
        ("http://user:pw-secret@127.0.0.1/hook", "user name or password"),
        ("ftp://example.org/hook", "https://"),
    ],
)
def test_private_addresses_and_credentials_are_refused(url: str, why: str):
    sent = deliver(url, environ=ALLOW)
    assert (sent.ok, sent.attempts) == (False, 0)
    assert why in sent.detail and "pw-secret" not in sent.detail


def test_the_checked_address_is_the_one_connected_to(monkeypatch: pytest.MonkeyPatch):
    """A name that resolves elsewhere by the time of the request (DNS rebinding) is not looked up
    again: the socket goes to the address that passed the check, with the name as Host."""
    with receiver() as server:
        port = server.server_address[1]
        checked = lambda url, environ: ("rebound.invalid", port, ipaddress.ip_address("127.0.0.1"))  # noqa: E731
        monkeypatch.setattr(webhook.addresses, "checked_target", checked)
        sent = deliver(f"http://rebound.invalid:{port}/hook")
    assert sent.ok
    assert server.requests[0]["headers"]["Host"] == f"rebound.invalid:{port}"


def test_https_is_pinned_and_verifies_the_name(monkeypatch: pytest.MonkeyPatch, certificate: Path):
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(certificate, certificate.with_suffix(".key"))
    with receiver(wrap=server_tls) as server:
        port = server.server_address[1]
        checked = lambda url, environ: ("hook.example", port, ipaddress.ip_address("127.0.0.1"))  # noqa: E731
        monkeypatch.setattr(webhook.addresses, "checked_target", checked)
        trusted = deliver(
            f"https://hook.example:{port}/", context=ssl.create_default_context(cafile=certificate)
        )
        untrusted = deliver(f"https://hook.example:{port}/")
    assert trusted.ok and server.requests[0]["headers"]["Host"] == f"hook.example:{port}"
    assert (untrusted.ok, untrusted.attempts) == (False, 1) and "certificate" in untrusted.detail


def test_verify_refuses_tampering_replays_and_wrong_secrets():
    body = b'{"event":"raised"}'
    now = 1_700_000_000
    header = webhook.sign(SECRET, now, body)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    assert webhook.verify(SECRET, header, body, now=now + 10)
    assert not webhook.verify(SECRET, header, body + b" ", now=now)
    assert not webhook.verify(SECRET, header, body, now=now + 301)
    assert not webhook.verify(SECRET, header, body, now=now - 301)
    assert not webhook.verify("another-secret", header, body, now=now)
    for broken in ("", "t=x,v1=00", f"v1={header.split('v1=')[1]}", f"t={now}"):
        assert not webhook.verify(SECRET, broken, body, now=now)
    rotating = f"{header},v1={webhook.sign('old-secret', now, body).split('v1=')[1]}"
    assert webhook.verify(SECRET, rotating, body, now=now)
    assert webhook.verify("old-secret", rotating, body, now=now)


def test_unknown_events_are_refused():
    with pytest.raises(ValueError, match="unknown webhook event"):
        webhook.payload([], event="deleted", rule=RULE, delivery_id="d", sent_at="now")


# -- Email


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for hook.example and 127.0.0.1 (its key beside it, .key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "georisk test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("hook.example"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(**options):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def delivery_env(smtp_port: int) -> dict[str, str]:
    """The settings that send alerts to the local servers: webhooks to loopback allowed, mail to
    the local SMTP server on `smtp_port`, without TLS."""
    return {
        **ALLOW,
        "GEORISK_SMTP_HOST": "127.0.0.1",
        "GEORISK_SMTP_PORT": str(smtp_port),
        "GEORISK_SMTP_FROM": "alerts@example.org",
        "GEORISK_SMTP_SECURITY": "none",
    }


PASSWORD = "smtp-password-XYZ"


def accept_only(login: bytes, password: bytes):
    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        good = auth_data.login == login and auth_data.password == password
        return AuthResult(success=good, handled=False)

    return authenticator


def digest(rule_names: str = "Near the dam") -> email.message.EmailMessage:
    return mail.message(
        [hostile_alert(), alert(2, links={"site": "https://dash.example/Sites?site=dam"})],
        rule_names=rule_names,
        sender="georisk@example.org",
        recipients=["a@example.org", "b@example.org"],
        dashboard_url=DASHBOARD,
        heading="Alerts since yesterday",
    )


def test_the_digest_arrives_with_both_parts_and_hostile_text_escaped():
    with smtp_server() as (inbox, port):
        settings = mail.SmtpSettings("127.0.0.1", port, "georisk@example.org", security="none")
        outcome = mail.send_mail(digest("Near the dam\r\nBcc: x@y.example"), settings)
    assert outcome == f"accepted by 127.0.0.1:{port} for 2 recipients"
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["a@example.org", "b@example.org"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Georisk: 2 alerts — Near the dam Bcc: x@y.example"
    assert received["Bcc"] is None and b"\nBcc:" not in envelope.content
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(("plain",)).get_content()
    page = received.get_body(("html",)).get_content()
    assert SHOWN in plain and "Open: https://dash.example/Map?alert=7&x=2" in plain
    assert "Open: https://dash.example/Sites?site=dam" in plain  # no map link: the site's
    assert html.escape(SHOWN) in page and "<script" not in page and "\x00" not in page
    assert 'href="https://dash.example/Map?alert=7&amp;x=2"' in page
    assert 'href="https://dash.example/Sites?site=dam"' in page
    assert "<img" not in page and "Killed / wounded" in page and "4.3 km from the site" in page


def test_an_empty_digest_is_never_built():
    with pytest.raises(ValueError, match="empty digest"):
        mail.message(
            [], rule_names="r", sender="s@x.org", recipients=["a@x.org"], dashboard_url="", heading=""
        )


def test_starttls_and_login(certificate: Path):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificate, certificate.with_suffix(".key"))
    trust = ssl.create_default_context(cafile=certificate)
    authenticator = accept_only(b"analyst", PASSWORD.encode())
    with smtp_server(tls_context=tls, require_starttls=True, authenticator=authenticator) as (inbox, port):
        good = mail.SmtpSettings("127.0.0.1", port, "georisk@example.org", "analyst", PASSWORD)
        assert mail.send_mail(digest(), good, context=trust).startswith("accepted by")
        wrong = mail.SmtpSettings("127.0.0.1", port, "georisk@example.org", "analyst", "wrong-password-1")
        with pytest.raises(mail.MailError) as refused:
            mail.send_mail(digest(), wrong, context=trust)
        with pytest.raises(mail.MailError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            mail.send_mail(digest(), good)  # the system's authorities do not know this certificate
    assert len(inbox.envelopes) == 1
    assert "refused the login" in str(refused.value) and "535" in str(refused.value)
    assert "wrong-password-1" not in str(refused.value) and "wrong-password-1" not in repr(wrong)


def test_no_password_and_no_digest_in_the_clear():
    with smtp_server() as (inbox, port):
        plain_only = mail.SmtpSettings("127.0.0.1", port, "georisk@example.org")  # STARTTLS by default
        with pytest.raises(mail.MailError, match="does not offer STARTTLS"):
            mail.send_mail(digest(), plain_only)
        with pytest.raises(mail.MailError, match="never sent without TLS") as refused:
            mail.send_mail(digest(), mail.SmtpSettings("127.0.0.1", port, "g@x.org", "me", PASSWORD, "none"))
    assert inbox.envelopes == [] and PASSWORD not in str(refused.value)


def test_smtp_settings_from_the_environment_or_the_secrets_file(tmp_path: Path):
    secrets = tmp_path / "secrets.toml"
    assert mail.smtp_settings({}, secrets) is None
    secrets.write_text(
        '[smtp]\nhost = "mail.example.org"\nfrom = "georisk@example.org"\n'
        'username = "me"\npassword = "file-password-1"\nsecurity = "ssl"\n'
    )
    from_file = mail.smtp_settings({}, secrets)
    assert from_file == mail.SmtpSettings(
        "mail.example.org", 465, "georisk@example.org", "me", "file-password-1", "ssl"
    )
    assert "file-password-1" not in repr(from_file)
    assert redact("login with file-password-1 failed") == "login with [redacted] failed"
    environ = {
        "GEORISK_SMTP_HOST": "relay.example.org",
        "GEORISK_SMTP_PORT": "2525",
        "GEORISK_SMTP_FROM": "alerts@example.org",
        "GEORISK_SMTP_USER": "relay",
        "GEORISK_SMTP_PASSWORD": "env-password-1",
    }
    from_env = mail.smtp_settings(environ, secrets)
    assert (from_env.host, from_env.port, from_env.security, from_env.username) == (
        "relay.example.org",
        2525,
        "starttls",
        "relay",
    )
    assert "env-password-1" not in repr(from_env) and "env-password-1" not in redact("env-password-1")
    for wrong, message in (
        ({"GEORISK_SMTP_PORT": "many"}, "not a number"),
        ({"GEORISK_SMTP_SECURITY": "tls-ish"}, "one of"),
        ({"GEORISK_SMTP_FROM": ""}, "sender"),
    ):
        with pytest.raises(ValueError, match=message):
            mail.smtp_settings(environ | wrong, secrets)
