"""The store's side of watch rules and alerts: the rules with their secrets, the alerts and what was
done to them, the deliveries to make, and which runs the rules have seen. Plain reads and writes;
what a rule matches is decided in georisk.alerts.

Every process behind the load balancer reads and writes the same rows, so an alert acknowledged
in one is acknowledged in all. An evaluation writes its alerts, their actions, the deliveries
they need and the mark that the run was evaluated in one transaction: a crash leaves the run to
be evaluated again, never half evaluated.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from georisk.store import tables as t
from georisk.store.database import Store, now

ACTIONS = ("raised", "updated", "withdrawn", "acknowledged", "closed", "reopened")
# A delivery claimed by a process that then died is tried again after this long.
CLAIM_TIMEOUT = 600.0
ALL_RULES = "*"  # the watch_state / token key of the feed of every rule
SINCE_RUN = "since_run"  # watch_state key: the last run before the rule was made


@dataclass(frozen=True)
class StoredRule:
    definition: dict  # georisk.alerts.rules.Rule.to_dict()
    origin: str
    created: str
    updated: str
    author: str | None
    feed_token: str
    webhook_secret: str
    deleted: bool = False

    @property
    def id(self) -> str:
        return self.definition["id"]

    def __repr__(self) -> str:  # the secrets stay out of logs
        return f"StoredRule({self.id!r}, origin={self.origin!r})"


@dataclass(frozen=True)
class Change:
    """What an evaluation does to one alert: raise it (no alert_id), update it, or withdraw it."""

    action: str  # raised | updated | withdrawn
    rule_id: str
    key: str
    kind: str
    details: dict
    alert_id: int | None = None
    feed: str | None = None
    event_id: str | None = None
    revision: int | None = None
    event_date: str | None = None
    site_id: str | None = None
    province: str | None = None
    distance_km: float | None = None
    note: str | None = None
    state: str | None = None  # an update's state (raised: open; withdrawn: withdrawn)


@dataclass(frozen=True)
class Outbox:
    """A delivery to make for some alerts of one rule."""

    rule_id: str
    channel: str  # webhook | email | apprise
    target: str
    event: str  # raised | updated | withdrawn | digest
    alert_keys: tuple[tuple[str, str], ...] = ()  # (rule_id, key) of alerts of this evaluation
    alert_ids: tuple[int, ...] = ()  # or alerts already stored (digests)


@dataclass(frozen=True)
class Delivery:
    id: str
    rule_id: str
    channel: str
    target: str
    alert_ids: list[int]
    event: str
    created: str
    state: str
    attempts: int
    next_at: float
    last_at: str | None
    outcome: str | None


@dataclass
class Counts:
    raised: int = 0
    updated: int = 0
    withdrawn: int = 0
    deliveries: int = 0
    alert_ids: list[int] = field(default_factory=list)


class AlertBook:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- rules

    def rules(self, include_deleted: bool = False) -> list[StoredRule]:
        query = sa.select(t.rules).order_by(t.rules.c.created, t.rules.c.id)
        if not include_deleted:
            query = query.where(t.rules.c.deleted.is_(False))
        with self.engine.connect() as conn:
            return [_stored_rule(row) for row in conn.execute(query).mappings()]

    def rule(self, rule_id: str) -> StoredRule | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.rules).where(t.rules.c.id == rule_id)).mappings().first()
        return _stored_rule(row) if row else None

    def save_rule(self, definition: dict, origin: str, actor: str = "") -> StoredRule:
        """Add a rule, or replace the definition of the one with its id (a deleted one comes back
        with new secrets)."""
        stamp = now()
        body = json.dumps(definition, ensure_ascii=False, sort_keys=True)
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t.rules).where(t.rules.c.id == definition["id"])).mappings().first()
            if row is None:
                conn.execute(
                    sa.insert(t.rules).values(
                        id=definition["id"],
                        definition=body,
                        origin=origin,
                        created=stamp,
                        updated=stamp,
                        author=actor or None,
                        feed_token=secrets.token_urlsafe(24),
                        webhook_secret=secrets.token_hex(24),
                        deleted=False,
                    )
                )
                self._start_watching(conn, definition["id"])
            else:
                values = {"definition": body, "origin": origin, "updated": stamp, "author": actor or None}
                if row["deleted"]:
                    values |= {
                        "deleted": False,
                        "created": stamp,
                        "feed_token": secrets.token_urlsafe(24),
                        "webhook_secret": secrets.token_hex(24),
                    }
                conn.execute(sa.update(t.rules).where(t.rules.c.id == definition["id"]).values(**values))
                if row["deleted"]:
                    self._start_watching(conn, definition["id"])
        found = self.rule(definition["id"])
        assert found is not None
        return found

    def _start_watching(self, conn: sa.Connection, rule_id: str) -> None:
        """A rule sees the runs after the last one committed when it was made: it does not alert
        on history. (By run, not by clock: a run and a rule can share a second.)"""
        last = conn.execute(sa.select(sa.func.max(t.runs.c.seq))).scalar() or 0
        self.remember(rule_id, {SINCE_RUN: str(last)}, conn)

    def since_run(self, rule_id: str) -> int:
        """The last run before the rule was made (it sees the runs after it)."""
        return int(self.watched(rule_id).get(SINCE_RUN, "0"))

    def delete_rule(self, rule_id: str, actor: str = "") -> None:
        """Retire a rule: it raises nothing more; its alerts stay and still name it."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(t.rules)
                .where(t.rules.c.id == rule_id)
                .values(deleted=True, updated=now(), author=actor or None)
            )

    def rotate(self, rule_id: str, which: str) -> StoredRule:
        """A new feed token or webhook secret for a rule (the old one stops working)."""
        column = {"feed_token": secrets.token_urlsafe(24), "webhook_secret": secrets.token_hex(24)}
        with self.engine.begin() as conn:
            conn.execute(sa.update(t.rules).where(t.rules.c.id == rule_id).values({which: column[which]}))
        found = self.rule(rule_id)
        assert found is not None
        return found

    def rotate_all_feed_token(self) -> str:
        """A new token for the feed of every rule (the old address stops working)."""
        value = secrets.token_urlsafe(24)
        self.all_feed_token()  # made if it was not yet
        self.remember(ALL_RULES, {"feed_token": value})
        return value

    def all_feed_token(self) -> str:
        """The token of the feed of every rule, made on first use."""
        with self.engine.begin() as conn:
            value = conn.execute(
                sa.select(t.watch_state.c.value).where(
                    t.watch_state.c.rule_id == ALL_RULES, t.watch_state.c.key == "feed_token"
                )
            ).scalar()
            if value is None:
                value = secrets.token_urlsafe(24)
                try:
                    with conn.begin_nested():
                        conn.execute(
                            sa.insert(t.watch_state).values(
                                rule_id=ALL_RULES, key="feed_token", value=value, at=now()
                            )
                        )
                except sa.exc.IntegrityError:  # another process made it first
                    value = conn.execute(
                        sa.select(t.watch_state.c.value).where(
                            t.watch_state.c.rule_id == ALL_RULES, t.watch_state.c.key == "feed_token"
                        )
                    ).scalar_one()
        return value

    def feed_of_token(self, token: str) -> str | None:
        """Whose feed a token opens: a rule id, ALL_RULES, or None. Compared in constant time, so
        that the answer's timing says nothing about how much of a guess was right."""
        found = None
        if hmac.compare_digest(token.encode(), self.all_feed_token().encode()):
            found = ALL_RULES
        for rule in self.rules():
            if hmac.compare_digest(token.encode(), rule.feed_token.encode()):
                found = rule.id
        return found

    # -- what a rule saw last

    def watched(self, rule_id: str) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.watch_state.c.key, t.watch_state.c.value).where(
                    t.watch_state.c.rule_id == rule_id
                )
            ).all()
        return dict(rows)

    def remember(self, rule_id: str, values: dict[str, str], conn: sa.Connection | None = None) -> None:
        if conn is None:
            with self.engine.begin() as conn:
                self.remember(rule_id, values, conn)
            return
        for key, value in values.items():
            conn.execute(
                sa.delete(t.watch_state).where(t.watch_state.c.rule_id == rule_id, t.watch_state.c.key == key)
            )
            conn.execute(sa.insert(t.watch_state).values(rule_id=rule_id, key=key, value=value, at=now()))

    # -- the runs to evaluate

    def pending_runs(self) -> list[tuple[int, str, str]]:
        """(seq, kind, finished) of the committed imports and refreshes not evaluated yet, oldest
        first."""
        evaluated = sa.select(t.evaluations.c.run_seq)
        with self.engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    sa.select(t.runs.c.seq, t.runs.c.kind, t.runs.c.finished)
                    .where(
                        t.runs.c.outcome == "committed",
                        t.runs.c.kind.in_(("import", "refresh")),
                        t.runs.c.seq.not_in(evaluated),
                    )
                    .order_by(t.runs.c.seq)
                )
            ]

    def changes(self, run_seq: int) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """A run's new and revised incidents (their records, with feed, event_id, revision) and
        the (feed, event id) of the events it withdrew."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    t.incidents.c.feed,
                    t.incidents.c.event_id,
                    t.incidents.c.revision,
                    t.incidents.c.withdrawn,
                    t.incidents.c.record,
                ).where(t.incidents.c.run_seq == run_seq)
            ).all()
        withdrawn = [(row.feed, row.event_id) for row in rows if row.withdrawn]
        records = [
            {
                **json.loads(row.record),
                "_feed": row.feed,
                "_event_id": row.event_id,
                "_revision": row.revision,
            }
            for row in rows
            if not row.withdrawn and row.record
        ]
        return pd.DataFrame.from_records(records), withdrawn

    def mark_evaluated(self, seqs: Iterable[int]) -> None:
        """Runs the rules need not read (nothing could have matched them)."""
        with self.engine.begin() as conn:
            for seq in seqs:
                self._mark(conn, seq, Counts())

    def _mark(self, conn: sa.Connection, seq: int, counts: Counts) -> None:
        conn.execute(
            sa.insert(t.evaluations).values(
                run_seq=seq,
                at=now(),
                raised=counts.raised,
                updated=counts.updated,
                withdrawn=counts.withdrawn,
            )
        )

    # -- alerts

    def alerts_of_events(self, events: Sequence[tuple[str, str]]) -> list[dict]:
        """Every alert about these (feed, event id) events."""
        out: list[dict] = []
        with self.engine.connect() as conn:
            for feed in {f for f, _ in events}:
                ids = [e for f, e in events if f == feed]
                for start in range(0, len(ids), 500):
                    query = sa.select(t.alerts).where(
                        t.alerts.c.feed == feed, t.alerts.c.event_id.in_(ids[start : start + 500])
                    )
                    out += [_alert_row(row) for row in conn.execute(query).mappings()]
        return out

    def apply(self, run_seq: int | None, changes: Sequence[Change], outbox: Sequence[Outbox] = ()) -> Counts:
        """Write an evaluation's alerts, their actions and deliveries, and (with a run) the mark
        that the run was evaluated: all or nothing. Written in bulk (one statement per kind of
        row), because a batch of ten thousand incidents can raise as many alerts."""
        counts = Counts()
        stamp = now()
        seq = run_seq or 0

        def values(change: Change) -> dict:
            return {
                "kind": change.kind,
                "updated": stamp,
                "run_seq": seq,
                "feed": change.feed,
                "event_id": change.event_id,
                "revision": change.revision,
                "event_date": change.event_date,
                "site_id": change.site_id,
                "province": change.province,
                "distance_km": change.distance_km,
                "details": json.dumps(change.details, ensure_ascii=False, default=str),
            }

        raised = [c for c in changes if c.action == "raised"]
        changed = [c for c in changes if c.action != "raised"]
        with self.engine.begin() as conn:
            if raised:
                conn.execute(
                    sa.insert(t.alerts),
                    [
                        {"rule_id": c.rule_id, "key": c.key, "state": "open", "raised": stamp, **values(c)}
                        for c in raised
                    ],
                )
            # executemany wants the same columns in every row: each sets the state.
            for group in ("updated", "withdrawn"):
                rows = [
                    {
                        "alert_id": c.alert_id,
                        **values(c),
                        "state": "withdrawn" if group == "withdrawn" else c.state,
                    }
                    for c in changed
                    if c.action == group
                ]
                if rows:
                    conn.execute(sa.update(t.alerts).where(t.alerts.c.id == sa.bindparam("alert_id")), rows)
            # The new alerts' ids, by their (rule, key): unique, and all stamped by this evaluation.
            ids = {(c.rule_id, c.key): c.alert_id for c in changed}
            if raised:
                ids |= {
                    (row.rule_id, row.key): row.id
                    for row in conn.execute(
                        sa.select(t.alerts.c.id, t.alerts.c.rule_id, t.alerts.c.key).where(
                            t.alerts.c.run_seq == seq, t.alerts.c.raised == stamp
                        )
                    )
                }
            if changes:
                conn.execute(
                    sa.insert(t.alert_actions),
                    [
                        {
                            "alert_id": ids[(c.rule_id, c.key)],
                            "action": c.action,
                            "at": stamp,
                            "actor": None,
                            "note": c.note or None,
                        }
                        for c in changes
                    ],
                )
            counts.raised = len(raised)
            counts.withdrawn = sum(c.action == "withdrawn" for c in changed)
            counts.updated = len(changed) - counts.withdrawn
            counts.alert_ids = [ids[(c.rule_id, c.key)] for c in changes]
            for item in outbox:
                alert_ids = [ids[k] for k in item.alert_keys if k in ids] + list(item.alert_ids)
                if alert_ids:
                    self._enqueue(conn, item, alert_ids, stamp)
                    counts.deliveries += 1
            if run_seq is not None:
                self._mark(conn, run_seq, counts)
        return counts

    def _act(self, conn, alert_id: int, action: str, actor: str, note: str | None, stamp: str) -> None:
        conn.execute(
            sa.insert(t.alert_actions).values(
                alert_id=alert_id, action=action, at=stamp, actor=actor or None, note=note or None
            )
        )

    def act(self, alert_id: int, action: str, actor: str = "", note: str = "") -> dict:
        """Acknowledge, close or reopen an alert, recording who, when and the note; the alert as
        it is then. A withdrawn alert stays withdrawn (ValueError)."""
        state = {"acknowledged": "acknowledged", "closed": "closed", "reopened": "open"}.get(action)
        if state is None:
            raise ValueError(f"an analyst may acknowledge, close or reopen an alert, not {action!r}")
        stamp = now()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t.alerts.c.state).where(t.alerts.c.id == alert_id)).first()
            if row is None:
                raise KeyError(f"no alert {alert_id}")
            if row.state == "withdrawn":
                raise ValueError("the alert was withdrawn with its incident: there is nothing to act on")
            conn.execute(
                sa.update(t.alerts).where(t.alerts.c.id == alert_id).values(state=state, updated=stamp)
            )
            self._act(conn, alert_id, action, actor, note[:2000], stamp)
        return self.alert(alert_id)

    def alert(self, alert_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.alerts).where(t.alerts.c.id == alert_id)).mappings().first()
        if row is None:
            raise KeyError(f"no alert {alert_id}")
        return _alert_row(row)

    def alerts(
        self,
        states: Sequence[str] | None = None,
        rule_id: str | None = None,
        limit: int = 500,
        ids: Sequence[int] | None = None,
    ) -> list[dict]:
        """Alerts, the most recently changed first, with their latest note and who made it."""
        query = sa.select(t.alerts)
        if states:
            query = query.where(t.alerts.c.state.in_(list(states)))
        if rule_id:
            query = query.where(t.alerts.c.rule_id == rule_id)
        if ids is not None:
            query = query.where(t.alerts.c.id.in_(list(ids)))
        query = query.order_by(t.alerts.c.updated.desc(), t.alerts.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = [_alert_row(row) for row in conn.execute(query).mappings()]
            notes = self._latest_notes(conn, [row["id"] for row in rows])
        for row in rows:
            row["note"], row["by"] = notes.get(row["id"], (None, None))
        return rows

    def _latest_notes(self, conn, alert_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
        out: dict[int, tuple[str | None, str | None]] = {}
        for start in range(0, len(alert_ids), 500):
            part = alert_ids[start : start + 500]
            query = (
                sa.select(t.alert_actions.c.alert_id, t.alert_actions.c.note, t.alert_actions.c.actor)
                .where(
                    t.alert_actions.c.alert_id.in_(part),
                    t.alert_actions.c.action.in_(("acknowledged", "closed", "reopened")),
                )
                .order_by(t.alert_actions.c.id)
            )
            for row in conn.execute(query):
                out[row.alert_id] = (row.note, row.actor)
        return out

    def actions(self, alert_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(row)
                for row in conn.execute(
                    sa.select(t.alert_actions)
                    .where(t.alert_actions.c.alert_id == alert_id)
                    .order_by(t.alert_actions.c.id)
                ).mappings()
            ]

    def open_count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.alerts)
                    .where(t.alerts.c.state.in_(("open", "acknowledged")))
                ).scalar_one()
            )

    def health(self, since: str) -> dict:
        """For monitoring (`georisk status`): the open alerts, the deliveries waiting, and those
        given up since `since` (ISO 8601): each of those is an alert someone never received."""
        with self.engine.connect() as conn:

            def count(table, *where) -> int:
                return int(
                    conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
                )

            return {
                "open": count(t.alerts, t.alerts.c.state.in_(("open", "acknowledged"))),
                "deliveries_waiting": count(t.deliveries, t.deliveries.c.state.in_(("pending", "sending"))),
                "deliveries_given_up": count(
                    t.deliveries, t.deliveries.c.state == "failed", t.deliveries.c.last_at >= since
                ),
            }

    # -- deliveries

    def _enqueue(self, conn, item: Outbox, alert_ids: list[int], stamp: str) -> None:
        conn.execute(
            sa.insert(t.deliveries).values(
                id=str(uuid.uuid4()),
                rule_id=item.rule_id,
                channel=item.channel,
                target=item.target[:400],
                alert_ids=json.dumps(sorted(set(alert_ids))),
                event=item.event,
                created=stamp,
                state="pending",
                attempts=0,
                next_at=time.time(),
            )
        )

    def enqueue(self, items: Sequence[Outbox]) -> int:
        """Deliveries of alerts already stored (digests)."""
        stamp = now()
        with self.engine.begin() as conn:
            for item in items:
                self._enqueue(conn, item, list(item.alert_ids), stamp)
        return len(items)

    def due(self, at: float | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries to try now: pending and due, or claimed by a process that died."""
        at = time.time() if at is None else at
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.deliveries)
                .where(
                    ((t.deliveries.c.state == "pending") & (t.deliveries.c.next_at <= at))
                    | ((t.deliveries.c.state == "sending") & (t.deliveries.c.next_at <= at - CLAIM_TIMEOUT))
                )
                .order_by(t.deliveries.c.next_at)
                .limit(limit)
            ).mappings()
            return [_delivery(row) for row in rows]

    def claim(self, delivery: Delivery) -> bool:
        """Take a delivery for this process (False: another took it first)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(t.deliveries)
                .where(
                    t.deliveries.c.id == delivery.id,
                    t.deliveries.c.state == delivery.state,
                    t.deliveries.c.attempts == delivery.attempts,
                )
                .values(state="sending", next_at=time.time())
            )
        return done.rowcount == 1

    def settle(self, delivery_id: str, state: str, attempts: int, outcome: str, next_at: float = 0.0) -> None:
        """Record an attempt's end: sent, failed for good, or pending again at next_at."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(t.deliveries)
                .where(t.deliveries.c.id == delivery_id)
                .values(
                    state=state, attempts=attempts, outcome=outcome[:2000], last_at=now(), next_at=next_at
                )
            )

    def delivery(self, delivery_id: str) -> Delivery:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(t.deliveries).where(t.deliveries.c.id == delivery_id))
                .mappings()
                .first()
            )
        if row is None:
            raise KeyError(f"no delivery {delivery_id}")
        return _delivery(row)

    def deliveries(self, limit: int = 200, rule_id: str | None = None) -> list[Delivery]:
        query = sa.select(t.deliveries).order_by(t.deliveries.c.created.desc()).limit(limit)
        if rule_id:
            query = query.where(t.deliveries.c.rule_id == rule_id)
        with self.engine.connect() as conn:
            return [_delivery(row) for row in conn.execute(query).mappings()]


def _stored_rule(row) -> StoredRule:
    return StoredRule(
        json.loads(row["definition"]),
        row["origin"],
        row["created"],
        row["updated"],
        row["author"],
        row["feed_token"],
        row["webhook_secret"],
        bool(row["deleted"]),
    )


def _alert_row(row) -> dict:
    data = dict(row)
    data["details"] = json.loads(data["details"])
    return data


def _delivery(row) -> Delivery:
    data = dict(row)
    data["alert_ids"] = json.loads(data["alert_ids"])
    return Delivery(**data)
