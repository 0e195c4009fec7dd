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
