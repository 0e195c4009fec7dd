"""Alerts as an email digest, for the people who read mail rather than dashboards. The message has
a plain text part and an HTML part in which every data value is escaped (no remote image, no
script, nothing a mail client would fetch or run); header values lose their line breaks, so a
rule name holding "\\r\\nBcc: ..." cannot add a recipient. The SMTP password comes from the
environment or .streamlit/secrets.toml, never shows in a repr, and is masked in every message
(georisk.services.http.redact); it is never sent without TLS.
"""

from __future__ import annotations

import email.utils
import html
import os
import smtplib
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from georisk.alerts import atom
from georisk.alerts.atom import clean, facts, link
from georisk.alerts.records import Alert
from georisk.services.http import MESSAGE_LIMIT, redact, register_secret

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
MAX_SUBJECT = 150


class MailError(Exception):
    """A digest that could not be sent; the message is redacted and meant for people."""

    def __init__(self, reason: str) -> None:
        shown = " ".join(redact(reason).split())
        self.reason = shown if len(shown) <= MESSAGE_LIMIT else shown[: MESSAGE_LIMIT - 1] + "…"
        super().__init__(self.reason)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    timeout: float = 20

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(f"SMTP security {self.security!r}: one of {', '.join(SECURITIES)}")
        register_secret(self.password)


def smtp_settings(
    environ: Mapping[str, str] = os.environ, secrets_file: Path = Path(".streamlit/secrets.toml")
) -> SmtpSettings | None:
    """The SMTP server to send digests through: GEORISK_SMTP_* variables when GEORISK_SMTP_HOST
    is set, else the `[smtp]` table of the secrets file; None when neither names a host.
    ValueError names a setting that is wrong."""
    if environ.get("GEORISK_SMTP_HOST"):
        names = {"host": "HOST", "port": "PORT", "from": "FROM", "username": "USER"}
        names |= {"password": "PASSWORD", "security": "SECURITY"}
        table = {key: environ.get(f"GEORISK_SMTP_{name}", "") for key, name in names.items()}
        where = "GEORISK_SMTP_"
    elif secrets_file.is_file():
        try:
            table = tomllib.loads(secrets_file.read_text(encoding="utf-8")).get("smtp", {})
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{secrets_file} is not valid TOML: {err}") from None
        where = f"{secrets_file} [smtp] "
    else:
        return None
    if not isinstance(table, dict) or not str(table.get("host") or "").strip():
        return None
    security = str(table.get("security") or "starttls").strip().lower()
    if security not in SECURITIES:
        raise ValueError(f"{where}security {security!r}: one of {', '.join(SECURITIES)}")
    try:
        port = int(table.get("port") or DEFAULT_PORTS[security])
    except (TypeError, ValueError):
        raise ValueError(f"{where}port {table.get('port')!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"{where}port {port} is not from 1 to 65535")
    sender = str(table.get("from") or "").strip()
    if not sender:
        raise ValueError(f"{where}from: the digest needs a sender address")
    return SmtpSettings(
        host=str(table["host"]).strip(),
        port=port,
        sender=sender,
        username=str(table.get("username") or ""),
        password=str(table.get("password") or ""),
        security=security,  # type: ignore[arg-type]
    )


def _header(value: str) -> str:
    """A header value on one line: line breaks and controls out, so no header can be added."""
    return " ".join(clean(value, MAX_SUBJECT).split())


def _plain(alerts: list[Alert], heading_text: str, dashboard_url: str) -> str:
    lines = [clean(heading_text), ""]
    for alert in alerts:
        lines += [atom.heading(alert), f"Rule: {clean(alert.rule_name)}"]
        lines += [f"{label}: {value}" for label, value in facts(alert)]
        lines += [f"Open: {link(alert, dashboard_url, ('map', 'site'))}", ""]
    lines.append(f"The dashboard: {clean(dashboard_url)}")
    return "\n".join(lines) + "\n"


def _html(alerts: list[Alert], heading_text: str, dashboard_url: str) -> str:
    def e(value: str) -> str:
        return html.escape(value, quote=True)

    parts = [
        '<!doctype html><html><head><meta charset="utf-8"></head>',
        '<body style="font-family:sans-serif">',
        f"<h1>{e(clean(heading_text))}</h1>",
    ]
    for alert in alerts:
        target = e(link(alert, dashboard_url, ("map", "site")))
        parts.append(f'<h2><a href="{target}">{e(atom.heading(alert))}</a></h2>')
        parts.append(f"<p>Rule: {e(clean(alert.rule_name))}</p><table>")
        parts += [f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts(alert)]
        parts.append("</table>")
    parts.append(f'<p><a href="{e(clean(dashboard_url))}">Open the dashboard</a></p></body></html>')
    return "\n".join(parts)


def message(
    alerts: list[Alert],
    *,
    rule_names: str,
    sender: str,
    recipients: list[str],
    dashboard_url: str,
    heading: str,
) -> EmailMessage:
    """The digest of `alerts` as a multipart/alternative message (plain text and HTML)."""
    if not alerts:
        raise ValueError("an empty digest is not sent")
    if not recipients:
        raise ValueError("a digest needs at least one recipient")
    count = f"{len(alerts)} alert" + ("" if len(alerts) == 1 else "s")
    msg = EmailMessage()
    msg["Subject"] = _header(f"Georisk: {count} — {rule_names}")
    msg["From"] = _header(sender)
    msg["To"] = ", ".join(_header(address) for address in recipients)
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain="georisk")
    msg.set_content(_plain(alerts, heading, dashboard_url))
    msg.add_alternative(_html(alerts, heading, dashboard_url), subtype="html")
    return msg


def send_mail(msg: EmailMessage, settings: SmtpSettings, *, context: ssl.SSLContext | None = None) -> str:
    """Send `msg` through the server; a short outcome, or MailError saying why not. `context` is
    the TLS context (default: the system's certificate authorities)."""
    where = f"{settings.host}:{settings.port}"
    if settings.username and settings.security == "none":
        raise MailError(f"not sent to {where}: a password is never sent without TLS (use starttls or ssl)")
    context = context or ssl.create_default_context()
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            smtp.ehlo()
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(f"{where} does not offer STARTTLS; the digest is not sent in the clear")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as err:
        raise MailError(f"{where} refused the login for {settings.username!r}: {_said(err)}") from None
    except smtplib.SMTPRecipientsRefused as err:
        raise MailError(f"{where} refused every recipient ({len(err.recipients)})") from None
    except smtplib.SMTPResponseException as err:
        raise MailError(f"{where} refused the digest: {_said(err)}") from None
    except (smtplib.SMTPException, OSError) as err:
        raise MailError(f"could not send through {where}: {type(err).__name__}: {err}") from None
    addressed = email.utils.getaddresses([v for name in ("To", "Cc", "Bcc") for v in msg.get_all(name, [])])
    accepted = len(addressed) - len(refused)
    outcome = f"accepted by {where} for {accepted} recipients"
    return outcome + (f"; refused {', '.join(refused)}" if refused else "")


def _said(err: smtplib.SMTPResponseException) -> str:
    said = err.smtp_error
    return f"{err.smtp_code} {said.decode('utf-8', 'replace') if isinstance(said, bytes) else said}"
