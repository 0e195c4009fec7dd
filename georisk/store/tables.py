"""The store's tables (SQLAlchemy Core). The migrations in `migrations/versions` create and change
them; this module is what the code reads and writes through, and a test checks that the two agree.

    runs        every import, refresh, restore and migration, whatever its outcome, with its
                counts, its report and its listed rows; a committed run is a version
    incidents   every revision of every event: (feed, event_id, revision); `current` marks the
                latest revision, `withdrawn` a revision that says the feed took the event back
    snapshots   the incidents in use after a committed run, as Parquet in parts: what the app
                loads, so that loading a million incidents costs what reading a file does
    state       one row: which version is in use, or the curated incidents.csv
    locks       the writers' lock, shared by every process and machine on the store
    rules       the watch rules (georisk.alerts.rules), as JSON, with their feed token and
                webhook secret
    alerts      one per (rule, incident) or per band or rating change, with its state
    alert_actions  what happened to each alert: raised, updated, withdrawn, acknowledged, closed,
                with who and when
    deliveries  every message sent or to send (webhook, email, apprise), with its attempts
    watch_state what a rule saw last (a site's band, a province's rating, the last digest)
    evaluations the committed runs whose incidents the rules have been evaluated on
    api_tokens  the read-only tokens of the JSON API and the MCP server: only the SHA-256 of each
                secret is kept, with the first characters that people are shown (store/tokens.py)
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(80), nullable=False, unique=True),
    sa.Column("started", sa.String(32), nullable=False),
    sa.Column("finished", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # import | refresh | restore | migration
    sa.Column("feed", sa.String(16)),  # acled | ucdp | gtd | csv; none for a restore
    sa.Column("label", sa.String(400), nullable=False),  # the file, or the service and its release
    sa.Column("outcome", sa.String(16), nullable=False),  # committed | unchanged | refused | failed
    sa.Column("reason", sa.Text),
    sa.Column("fetched", sa.Integer, nullable=False, default=0),
    sa.Column("added", sa.Integer, nullable=False, default=0),
    sa.Column("revised", sa.Integer, nullable=False, default=0),
    sa.Column("withdrawn", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    sa.Column("seconds", sa.Float, nullable=False, default=0.0),
    sa.Column("total", sa.Integer),  # incidents in use after the run (committed runs)
    sa.Column("last_event", sa.String(10)),  # the feed's latest event date after the run
    sa.Column("restores", sa.String(80)),  # the version a restore put back
    sa.Column("feeds", sa.Text),  # JSON, committed runs: {feed: [incidents in use, latest event date]}
    sa.Column("actor", sa.String(200)),  # who started it (the signed-in user, or the command line)
    sa.Column("cursor", sa.Text),  # JSON: where the feed's next incremental refresh starts
    sa.Column("report", sa.Text),  # JSON: the import report
    sa.Column("rows", sa.LargeBinary),  # the listed rows as CSV (formula-safe)
)
sa.Index("runs_by_feed", runs.c.feed, runs.c.outcome, runs.c.seq)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("feed", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), nullable=False),
    sa.Column("current", sa.Boolean, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False),
    sa.Column("event_date", sa.String(10)),
    sa.Column("digest", sa.String(40), nullable=False),
    sa.Column("record", sa.Text),  # JSON of the incident's columns; none for a withdrawal
    sa.UniqueConstraint("feed", "event_id", "revision", name="incidents_revision"),
)
sa.Index("incidents_current", incidents.c.feed, incidents.c.current, incidents.c.event_id)
# A run's revisions, read by the watch rules' evaluation of that run (migration 0002).
sa.Index("incidents_by_run", incidents.c.run_seq)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

state = sa.Table(
    "state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("in_use", sa.Integer),  # runs.seq of the version in use; none: nothing stored yet
    sa.Column("curated", sa.Boolean, nullable=False),
    sa.Column("changed", sa.String(32), nullable=False),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.String(80), nullable=False),
    sa.Column("what", sa.String(200), nullable=False),
    sa.Column("beat", sa.Float, nullable=False),  # time.time() of the holder's last sign of life
)


rules = sa.Table(
    "rules",
    metadata,
    sa.Column("id", sa.String(60), primary_key=True),
    sa.Column("definition", sa.Text, nullable=False),  # JSON of Rule.to_dict()
    sa.Column("origin", sa.String(8), nullable=False),  # page | file
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("updated", sa.String(32), nullable=False),
    sa.Column("author", sa.String(200)),
    sa.Column("feed_token", sa.String(64), nullable=False),  # the secret in the rule's Atom URL
    sa.Column("webhook_secret", sa.String(64), nullable=False),  # the key its webhooks are signed with
    sa.Column("deleted", sa.Boolean, nullable=False),  # kept, so that its alerts still name it
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule_id", sa.String(60), nullable=False),
    sa.Column(
        "key", sa.String(300), nullable=False
    ),  # feed/event for incidents; site or province + run for changes
    sa.Column("kind", sa.String(10), nullable=False),  # incident | band | threat
    sa.Column("state", sa.String(14), nullable=False),  # open | acknowledged | closed | withdrawn
    sa.Column("raised", sa.String(32), nullable=False),
    sa.Column("updated", sa.String(32), nullable=False),
    sa.Column("run_seq", sa.Integer, nullable=False),  # the run that raised or last changed it
    sa.Column("feed", sa.String(16)),
    sa.Column("event_id", sa.String(200)),
    sa.Column("revision", sa.Integer),
    sa.Column("event_date", sa.String(10)),
    sa.Column("site_id", sa.String(200)),
    sa.Column("province", sa.String(200)),
    sa.Column("distance_km", sa.Float),
    sa.Column("details", sa.Text, nullable=False),  # JSON: the Alert record's other fields
    sa.UniqueConstraint("rule_id", "key", name="alerts_once"),
)
sa.Index("alerts_by_state", alerts.c.state, alerts.c.updated)
sa.Index("alerts_by_event", alerts.c.feed, alerts.c.event_id)

alert_actions = sa.Table(
    "alert_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column(
        "action", sa.String(14), nullable=False
    ),  # raised | updated | withdrawn | acknowledged | closed | reopened
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200)),
    sa.Column("note", sa.Text),
)
sa.Index("alert_actions_by_alert", alert_actions.c.alert_id, alert_actions.c.id)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # the delivery id the receiver sees
    sa.Column("rule_id", sa.String(60), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),  # webhook | email | apprise
    sa.Column("target", sa.String(400), nullable=False),  # where, with any secret masked
    sa.Column("alert_ids", sa.Text, nullable=False),  # JSON list
    sa.Column("event", sa.String(10), nullable=False),  # raised | updated | withdrawn | digest
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", sa.Float, nullable=False),  # time.time() of the next attempt
    sa.Column("last_at", sa.String(32)),
    sa.Column("outcome", sa.Text),  # the last attempt's answer or error
)
sa.Index("deliveries_due", deliveries.c.state, deliveries.c.next_at)

watch_state = sa.Table(
    "watch_state",
    metadata,
    sa.Column("rule_id", sa.String(60), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), primary_key=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("raised", sa.Integer, nullable=False),
    sa.Column("updated", sa.Integer, nullable=False),
    sa.Column("withdrawn", sa.Integer, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),  # unique among the tokens not revoked
    sa.Column("prefix", sa.String(8), nullable=False),  # the secret's first characters, shown
    sa.Column("hash", sa.String(64), nullable=False, unique=True),  # SHA-256 hex of the secret
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("last_used", sa.String(32)),  # written at most once a minute
    sa.Column("revoked", sa.String(32)),  # when; none: in force
    sa.Column("revoked_by", sa.String(200)),
)
sa.Index("api_tokens_by_name", api_tokens.c.name)
