"""Delivering alerts: the outbox an evaluation fills, the digests due at their time, and the sender
that empties the outbox.

    python -m georisk alerts send      send what is due (digests included); run by a timer

An immediate rule's alert changes are queued by the evaluation that made them, in the same
transaction; a digest rule's alerts are queued at its time (daily or weekly, in its time zone) by
`queue_digests`. `send_due` then tries the queued deliveries, each destination on its own: one
that fails is retried later with back-off (RETRY_AFTER, then doubled) and given up after
MAX_ATTEMPTS, and never holds up the other destinations or the refresh that raised the alerts.
Every attempt's outcome is recorded in the deliveries table (the Alerts page lists them).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import zoneinfo
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from georisk.alerts import links, mail, webhook
from georisk.alerts.records import Alert
from georisk.alerts.rules import WEEKDAYS, Rule, rule_from_dict
from georisk.services.http import redact
from georisk.store.alerts import AlertBook, Delivery, Outbox, StoredRule

log = logging.getLogger(__name__)
RETRY_AFTER = 60.0  # seconds before a failed delivery's second try; doubled each time
MAX_RETRY_WAIT = 6 * 3600.0
MAX_ATTEMPTS = 8
SEND_BUDGET = 120.0  # seconds one send_due call may take, across deliveries
WORKERS = 4  # destinations served at once


def outbox_for(rule: Rule, key: tuple[str, str], action: str) -> list[Outbox]:
    """The deliveries an immediate rule makes for one alert's change (a digest rule's wait for
    its time)."""
    if rule.cadence != "immediate":
        return []
    items = [Outbox(rule.id, "webhook", links.masked(rule.webhook), action, (key,))] if rule.webhook else []
    return items + [Outbox(rule.id, "email", address, action, (key,)) for address in rule.email]


def alert_of(row: Mapping, rule_name: str | None = None) -> Alert:
    """The record every channel renders, from a stored alert (AlertBook.alerts)."""
    details = dict(row["details"])
    fields = Alert.__dataclass_fields__
    shown = {key: details.get(key) for key in fields if key in details}
    shown.pop("id", None)
    shown.pop("state", None)
    return Alert(
        **{
            **shown,
            "id": row["id"],
            "rule_id": row["rule_id"],
            "rule_name": rule_name or details.get("rule_name") or row["rule_id"],
            "kind": row["kind"],
            "state": row["state"],
            "raised": row["raised"],
            "updated": row["updated"],
            "title": details.get("title") or "Alert",
            "why": details.get("why") or "",
            "site_id": row["site_id"],
            "province": row["province"],
            "distance_km": row["distance_km"],
            "feed": row["feed"],
            "event_id": row["event_id"],
            "revision": row["revision"],
            "event_date": row["event_date"],
            "note": row.get("note"),
            "by": row.get("by"),
            "links": details.get("links") or {},
        }
    )


# -- digests


def last_due(rule: Rule, at: dt.datetime) -> dt.datetime:
    """The latest time at or before `at` when the rule's digest was due (UTC)."""
    zone = zoneinfo.ZoneInfo(rule.timezone)
    local = at.astimezone(zone)
    hour, minute = (int(part) for part in rule.at.split(":"))
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if rule.cadence == "weekly":
        due -= dt.timedelta(days=(due.weekday() - WEEKDAYS.index(rule.weekday)) % 7)
        if due > local:
            due -= dt.timedelta(days=7)
    elif due > local:
        due -= dt.timedelta(days=1)
    return due.astimezone(dt.UTC)


def queue_digests(book: AlertBook, at: dt.datetime | None = None) -> int:
    """Queue the digests that have come due since each digest rule's last one: its alerts raised
    or changed since then, once per channel. A digest with no alert is not sent."""
    at = at or dt.datetime.now(dt.UTC)
    queued = 0
    for stored in book.rules():
        rule = rule_from_dict(stored.definition)
        if rule.cadence == "immediate" or not rule.enabled or not (rule.webhook or rule.email):
            continue
        due = last_due(rule, at)
        last = book.watched(rule.id).get("digest:last") or stored.created
        if dt.datetime.fromisoformat(last) >= due:
            continue
        alerts = [
            a["id"]
            for a in book.alerts(rule_id=rule.id, limit=1000)
            if last < a["updated"] <= due.isoformat()
        ]
        items = [
            Outbox(rule.id, "email", address, "digest", alert_ids=tuple(alerts)) for address in rule.email
        ]
        if rule.webhook:
            items.append(
                Outbox(rule.id, "webhook", links.masked(rule.webhook), "digest", alert_ids=tuple(alerts))
            )
        if alerts:
            queued += book.enqueue(items)
        book.remember(rule.id, {"digest:last": due.isoformat(timespec="seconds")})
    return queued


# -- sending


def _wait(attempts: int) -> float:
    return min(RETRY_AFTER * 2 ** (attempts - 1), MAX_RETRY_WAIT)


def _send_one(
    book: AlertBook, delivery: Delivery, stored: StoredRule, environ: Mapping[str, str], secrets_file: Path
) -> str:
    """Send one delivery; its outcome (raises on failure, with a message fit to record)."""
    rule = rule_from_dict(stored.definition)
    alerts = [
        alert_of(row, rule.name) for row in book.alerts(ids=delivery.alert_ids, limit=len(delivery.alert_ids))
    ]
    if not alerts:
        return "nothing to send: the alerts are gone"
    if delivery.channel == "webhook":
        if not rule.webhook:
            raise RuntimeError("the rule no longer has a webhook")
        body = webhook.payload(
            alerts,
            event=delivery.event,
            rule=rule,
            delivery_id=delivery.id,
            sent_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        sent = webhook.send(
            rule.webhook,
            body,
            secret=stored.webhook_secret,
            delivery_id=delivery.id,
            event=delivery.event,
            environ=environ,
        )
        if not sent.ok:
            raise RuntimeError(sent.detail)
        return sent.detail
    if delivery.channel == "email":
        settings = mail.smtp_settings(environ, secrets_file)
        if settings is None:
            raise RuntimeError(
                "no SMTP server is configured (GEORISK_SMTP_HOST or [smtp] in the secrets file)"
            )
        heading = "Digest" if delivery.event == "digest" else f"Alert {delivery.event}"
        message = mail.message(
            alerts,
            rule_names=rule.name,
            sender=settings.sender,
            recipients=[delivery.target],
            dashboard_url=links.public_url(environ),
            heading=f"{heading}: {rule.name}",
        )
        return mail.send_mail(message, settings)
    raise RuntimeError(f"unknown channel {delivery.channel!r}")


def _attempt(
    book: AlertBook,
    delivery: Delivery,
    stored: StoredRule | None,
    environ: Mapping[str, str],
    secrets_file: Path,
) -> bool:
    """One attempt at one claimed delivery, recorded; whether its destination may take the next
    (False: it failed)."""
    attempts = delivery.attempts + 1
    if stored is None or stored.deleted:  # not the destination's fault: it may take the next
        book.settle(delivery.id, "failed", attempts, "not sent: the rule was deleted")
        return True
    try:
        outcome = _send_one(book, delivery, stored, environ, secrets_file)
    except Exception as err:  # noqa: BLE001 - any failure of one channel is recorded, not raised
        reason = redact(f"{type(err).__name__}: {err}")[:500]
        if attempts >= MAX_ATTEMPTS:
            book.settle(delivery.id, "failed", attempts, f"gave up after {attempts} attempts: {reason}")
        else:
            book.settle(delivery.id, "pending", attempts, reason, time.time() + _wait(attempts))
        log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.channel, reason)
        return False
    book.settle(delivery.id, "sent", attempts, outcome)
    return True


def send_due(
    book: AlertBook,
    environ: Mapping[str, str] = os.environ,
    secrets_file: Path = Path(".streamlit/secrets.toml"),
    budget: float = SEND_BUDGET,
    at: float | None = None,
) -> list[Delivery]:
    """Try every delivery that is due; the deliveries tried, as they ended.

    Deliveries go out per destination (a channel and its target), the destinations side by side
    (WORKERS at a time), so that a receiver that hangs holds up only its own deliveries. Within a
    destination they go in order, and the first failure ends that destination's turn: the rest
    wait for the next send, untouched, instead of each waiting out the same dead receiver."""
    deadline = time.monotonic() + budget
    rules = {rule.id: rule for rule in book.rules(include_deleted=True)}
    queues: dict[tuple[str, str], list[Delivery]] = {}
    for delivery in book.due(at):
        queues.setdefault((delivery.channel, delivery.target), []).append(delivery)

    def destination(queue: list[Delivery]) -> list[str]:
        tried = []
        for delivery in queue:
            if time.monotonic() > deadline or not book.claim(delivery):
                continue
            tried.append(delivery.id)
            if not _attempt(book, delivery, rules.get(delivery.rule_id), environ, secrets_file):
                break
        return tried

    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="georisk-deliver") as pool:
        done = [delivery_id for ids in pool.map(destination, queues.values()) for delivery_id in ids]
    return [book.delivery(delivery_id) for delivery_id in done]
