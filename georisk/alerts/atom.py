"""The alerts as an Atom 1.0 feed (RFC 4287), so that an analyst can follow them in any feed reader
and a tool can poll them without an account. The document is built with ElementTree, which
escapes every text and attribute: a rule name or an incident summary holding markup arrives in
the reader as the characters it holds. Characters that XML 1.0 cannot carry (control characters)
are dropped, and other invisible ones made visible (georisk.text.visible), so the feed is always
well-formed and reads as the data says.

`facts()` and `clean()` are shared with the email digest, so the feed and the mail say the same.
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree as ET

from georisk.alerts.records import Alert
from georisk.text import visible

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200  # a feed reader wants the recent alerts; the Alerts page has them all
MAX_TEXT = 2000  # one value of an entry: hostile data may be megabytes long
MAX_TITLE = 300
AUTHOR = "Georisk"
# Not allowed in XML 1.0 (C0 controls but tab and line breaks, surrogates, U+FFFE/U+FFFF), and
# the C1 controls and DEL, which it allows but which only ever disguise text.
_NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value: object, limit: int = MAX_TEXT) -> str:
    """Data text fit for XML, an email header or body: control characters removed, invisible
    format characters shown as markers, cut to `limit` characters."""
    text = visible(_NOT_TEXT.sub("", "" if value is None else str(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def heading(alert: Alert) -> str:
    """The alert's one-line title, saying when it was withdrawn or revised."""
    prefix = "Withdrawn: " if alert.state == "withdrawn" else "Updated: " if alert.change else ""
    return clean(prefix + alert.title, MAX_TITLE)


def link(alert: Alert, fallback: str, keys: tuple[str, ...] = ("map",)) -> str:
    """The alert's first link into the dashboard among `keys`, else `fallback`; only a web
    address counts, so that no `javascript:` link can reach a reader or a mail client."""
    for key in keys:
        target = alert.links.get(key) or ""
        if target.lower().startswith(("https://", "http://")):
            return clean(target)
    return clean(fallback)


def _count(n: int | None) -> str:
    return "unknown" if n is None else str(n)


def facts(alert: Alert) -> list[tuple[str, str]]:
    """(label, value) pairs saying what the alert is about; empty values left out."""
    place = ", ".join(p for p in (alert.location, alert.province) if p)
    actor = alert.group or ""
    if alert.actor_family and alert.actor_family != alert.group:
        actor = f"{actor} ({alert.actor_family})" if actor else alert.actor_family
    casualties = ""
    if alert.killed is not None or alert.wounded is not None:
        casualties = f"{_count(alert.killed)} killed, {_count(alert.wounded)} wounded"
    distance = "" if alert.distance_km is None else f"{alert.distance_km:.1f} km from the site"
    pairs = [
        ("Date", alert.event_date or alert.raised),
        ("Place", place),
        ("Actor", actor),
        ("Killed / wounded", casualties),
        ("Site", alert.site_name or alert.site_id or ""),
        ("Distance", distance),
        ("Why", alert.why),
        ("Change", alert.change or ""),
        ("Source", alert.source or ""),
        ("Note", alert.note or ""),
        ("State", alert.state),
    ]
    return [(label, clean(value)) for label, value in pairs if value]


def _timestamp(value: str | None, fallback: str) -> str:
    """An RFC 3339 UTC time, as Atom requires, from the ISO 8601 the store keeps."""
    try:
        when = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def feed_xml(
    alerts: list[Alert],
    *,
    title: str,
    feed_id: str,
    self_url: str,
    dashboard_url: str,
    updated: str | None = None,
    subtitle: str = "",
) -> bytes:
    """The alerts, newest first and at most MAX_ENTRIES, as a UTF-8 Atom document. `feed_id` is a
    stable IRI for the feed (each entry's id is derived from it); `updated` defaults to the newest
    alert's last change (or now, for an empty feed)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = sorted(alerts, key=lambda a: (_timestamp(a.updated, ""), a.id), reverse=True)[:MAX_ENTRIES]
    if updated is None:
        updated = _timestamp(newest[0].updated, now) if newest else now
    # Plain names under a default namespace declared on the root: the reader sees bare Atom tags.
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", clean(feed_id))
    _add(feed, "title", clean(title, MAX_TITLE), type="text")
    if subtitle:
        _add(feed, "subtitle", clean(subtitle), type="text")
    _add(feed, "updated", _timestamp(updated, now))
    _add(_add(feed, "author"), "name", AUTHOR)
    _add(feed, "link", rel="self", type="application/atom+xml", href=clean(self_url))
    _add(feed, "link", rel="alternate", type="text/html", href=clean(dashboard_url))
    _add(feed, "generator", "georisk")
    for alert in newest:
        entry = _add(feed, "entry")
        _add(entry, "id", clean(f"{feed_id}:alert:{alert.id}"))
        _add(entry, "title", heading(alert), type="text")
        changed = _timestamp(alert.updated, now)
        _add(entry, "updated", changed)
        _add(entry, "published", _timestamp(alert.raised, changed))
        _add(entry, "link", rel="alternate", type="text/html", href=link(alert, dashboard_url))
        _add(entry, "category", term=clean(alert.state), label=clean(alert.state))
        lines = [clean(alert.rule_name, MAX_TITLE)] + [f"{label}: {value}" for label, value in facts(alert)]
        _add(entry, "summary", "\n".join(lines), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
