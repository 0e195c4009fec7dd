"""The store: every version of the imported and refreshed incidents, and every run, in one
database through SQLAlchemy (SQLite by default, PostgreSQL for several machines).

A batch (a file import, a refresh of one feed, a restore) is merged by (feed, event id):
  - an event the feed has not given before is added (revision 1);
  - an event whose content changed gets a new revision; the earlier ones are kept;
  - an event the feed withdrew (ACLED's deletions; a file import that no longer has it; a UCDP
    candidate event the yearly release does not confirm) gets a withdrawal revision: it leaves
    the incidents in use but nothing is deleted.
The content is compared without `source_row` (an event's row in the file it came in), so the same
event from a file and from the service is the same revision. A batch that changes nothing makes
no version: it is recorded as an "unchanged" run (which is what freshness counts).

A committed batch is one transaction: its run, its revisions, the Parquet snapshot of the
incidents then in use (what the app loads) and the switch of the version in use. It commits
whole or not at all; a failure is recorded as a failed run with its reason, in a transaction of
its own, and the version in use stays.

Writers hold the store's lock (the `locks` table), so that one change runs at a time across every
process and machine that shares the store. A holder proves it is alive by touching the lock while
it works; a lock whose holder has not done so for STALE_LOCK seconds (it died) is taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from georisk.store import tables as t

KEEP_VERSIONS = 10  # versions kept loadable (with a snapshot); every revision stays
LOCK_TIMEOUT = 60.0  # how long a writer waits for another to finish
STALE_LOCK = 120.0  # a lock not touched for this long belongs to a writer that died
BEAT = 10.0  # how often a holder touches its lock
SNAPSHOT_PART = 16 * 1024 * 1024  # bytes per snapshot part (a row of its own)
CHUNK = 20_000  # events compared and written per step (bounds memory on a million)
VERSION_KEY = b"georisk_version"
FEED_COLUMN = "_feed"  # the snapshot's column for the feed of each incident (the loader drops it)
# One holder of each lock per process at a time, whatever the database does (threads of one
# process share the store's holder name).
_LOCAL = {name: threading.Lock() for name in ("writer", "refresh", "migration", "alerts")}


class StoreError(Exception):
    """The store could not be changed; nothing was (the message says why)."""


class StoreBusy(StoreError):
    """Another writer held the lock for longer than the wait; nothing was changed."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Batch:
    """What one import or refresh of a feed brings, ready to merge."""

    kind: str  # import | refresh | migration
    feed: str  # acled | ucdp | gtd | csv
    label: str  # the file, or the service and its release
    incidents: pd.DataFrame  # as the import pipeline made them (georisk.feeds.core.finish)
    report: dict  # the import report (Report.to_dict())
    rows: bytes = b""  # the listed rows as CSV (formula-safe)
    # True: a file import is the whole feed, so its events that the file lacks are withdrawn.
    # "all": the batch is every incident (a version migrated from the old folder store).
    replace: bool | str = False
    withdrawn: Sequence[str] = ()  # event ids the feed says it withdrew
    # (label, first, last): the batch is complete for events dated in these ranges (ISO dates),
    # so that an event held there which the batch lacks has been dropped by the feed.
    covers: Sequence[tuple[str, str, str]] = ()
    cursor: dict | None = None  # where the feed's next incremental refresh starts
    actor: str = ""
    started: float = field(default_factory=time.time)
    fetched: int | None = None  # rows the service sent (default: the report's read)
    created: str | None = None  # when the run happened (migrated versions keep their date)
    run_id: str | None = None  # migrated versions keep their id


@dataclass(frozen=True)
class Run:
    seq: int
    id: str
    started: str
    finished: str
    kind: str
    feed: str | None
    label: str
    outcome: str
    reason: str | None
    fetched: int
    added: int
    revised: int
    withdrawn: int
    rejected: int
    seconds: float
    total: int | None  # incidents in use after the run
    last_event: str | None
    restores: str | None
    actor: str | None
    loadable: bool = False  # has a snapshot: can be put back in use
    current: bool = False  # the version in use

    @property
    def summary(self) -> str:
        return (
            f"fetched={self.fetched} new={self.added} revised={self.revised} "
            f"withdrawn={self.withdrawn} rejected={self.rejected}"
        )


@dataclass(frozen=True)
class Freshness:
    """One feed's freshness: its last successful run and the latest event it has given."""

    feed: str
    updated: str  # ISO time of the last committed or unchanged run
    last_event: str | None  # ISO date
    kind: str  # refresh | import | migration
    last_failure: str | None = None  # ISO time of a failed run after it, if any
    failure_reason: str | None = None

    def age_hours(self, at: dt.datetime | None = None) -> float:
        at = at or dt.datetime.now(dt.UTC)
        return (at - dt.datetime.fromisoformat(self.updated)).total_seconds() / 3600


_ENGINES: dict[str, sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(url: str) -> sa.Engine:
    """One engine (connection pool) per store per process."""
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            if url.startswith("sqlite"):
                engine = sa.create_engine(url, connect_args={"timeout": 30})

                @sa.event.listens_for(engine, "connect")
                def _pragmas(connection, _record) -> None:
                    # WAL: readers go on while a batch is written; foreign keys are off by default.
                    cursor = connection.cursor()
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.close()
            else:
                engine = sa.create_engine(url, pool_pre_ping=True)
            _ENGINES[url] = engine
        return _ENGINES[url]


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as nothing rather than leaked
        return "(the configured store)"


def _frame_parquet(frame: pd.DataFrame, version: str) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), VERSION_KEY: version.encode()})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame[FEED_COLUMN].astype(str) + "\x1f" + frame["incident_id"].astype(str)


def _lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row (JSON escapes newlines inside text, so splitting on them is safe)."""
    if frame.empty:
        return []
    text = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="s", force_ascii=False)
    return text.rstrip("\n").split("\n")


def _records(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Each incident's record (JSON) and the digest of its content, which leaves out source_row
    (the event's row in the file it came in). source_row is put last, so that the content is the
    record cut before it: one JSON pass instead of two over a million rows."""
    columns = [c for c in frame.columns if c not in (FEED_COLUMN, "source_row")]
    has_row = "source_row" in frame.columns
    records = _lines(frame[[*columns, "source_row"] if has_row else columns])
    digests = []
    for line in records:
        cut = line.rfind(',"source_row":') if has_row else -1
        content = line[:cut] + "}" if cut >= 0 else line
        digests.append(hashlib.sha1(content.encode("utf-8")).hexdigest())
    return records, digests


class Store:
    def __init__(
        self,
        url: str,
        keep: int = KEEP_VERSIONS,
        lock_timeout: float = LOCK_TIMEOUT,
        stale_after: float = STALE_LOCK,
    ) -> None:
        self.url = url
        self.engine = engine_for(url)
        self.keep = keep
        self.lock_timeout = lock_timeout
        self.stale_after = stale_after
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def __repr__(self) -> str:
        return f"Store({safe_url(self.url)})"

    # -- schema

    def upgrade(self) -> list[str]:
        """Apply the migrations the database lacks (Alembic); the revisions applied."""
        from georisk.store import migrate

        return migrate.upgrade(self.engine)

    # -- reading (no lock: every change is one transaction)

    def token(self) -> tuple:
        """What changes when the incidents in use change: one small query, made on every run of a
        page so that a new version is picked up without a restart."""
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(t.state.c.in_use, t.state.c.curated)).first()
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            return ("no store",)
        return tuple(row) if row else ("empty",)

    def in_use(self) -> str | None:
        """The id of the version in use (None: the curated incidents.csv)."""
        with self.engine.connect() as conn:
            return self._in_use_id(conn)

    def _state(self, conn: sa.Connection) -> tuple[int | None, bool]:
        row = conn.execute(sa.select(t.state.c.in_use, t.state.c.curated)).first()
        return (row.in_use, bool(row.curated)) if row else (None, True)

    def _in_use_id(self, conn: sa.Connection) -> str | None:
        seq, curated = self._state(conn)
        if seq is None or curated:
            return None
        return conn.execute(sa.select(t.runs.c.id).where(t.runs.c.seq == seq)).scalar()

    def runs(
        self, limit: int = 100, feed: str | None = None, kind: str | None = None, run_id: str | None = None
    ) -> list[Run]:
        """The runs, newest first (of one feed, of one kind, or the one run of an id)."""
        query = sa.select(*[c for c in t.runs.c if c.name not in ("report", "rows", "cursor", "feeds")])
        for column, value in ((t.runs.c.feed, feed), (t.runs.c.kind, kind), (t.runs.c.id, run_id)):
            if value is not None:
                query = query.where(column == value)
        query = query.order_by(t.runs.c.seq.desc()).limit(limit)
        with self.engine.connect() as conn:
            seq, curated = self._state(conn)
            loadable = set(conn.execute(sa.select(t.snapshots.c.run_seq).distinct()).scalars())
            rows = conn.execute(query).mappings().all()
        return [
            Run(**row, loadable=row["seq"] in loadable, current=row["seq"] == seq and not curated)
            for row in rows
        ]

    def versions(self) -> list[Run]:
        """The versions that can be put in use (those with a snapshot), newest first."""
        return [run for run in self.runs(limit=10_000) if run.loadable]

    def run(self, run_id: str) -> Run:
        found = self.runs(limit=1, run_id=str(run_id))
        if not found:
            raise KeyError(f"no such run or version: {str(run_id)[:80]}")
        return found[0]

    def report(self, run_id: str) -> tuple[dict, bytes]:
        """A run's report (the import report's fields, or {} for a restore) and its listed rows
        (CSV, formula-safe)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.runs.c.report, t.runs.c.rows).where(t.runs.c.id == str(run_id))
            ).first()
        if row is None:
            raise KeyError(f"no such run or version: {str(run_id)[:80]}")
        return (json.loads(row.report) if row.report else {}), (row.rows or b"")

    def snapshot(self, run_id: str | None = None) -> tuple[str, bytes] | None:
        """(version id, the Parquet bytes of its incidents): the version in use by default; None
        when the curated incidents.csv is in use."""
        with self.engine.connect() as conn:
            if run_id is None:
                run_id = self._in_use_id(conn)
                if run_id is None:
                    return None
            seq = conn.execute(sa.select(t.runs.c.seq).where(t.runs.c.id == str(run_id))).scalar()
            parts = conn.execute(
                sa.select(t.snapshots.c.data).where(t.snapshots.c.run_seq == seq).order_by(t.snapshots.c.part)
            ).scalars()
            data = b"".join(parts)
        if not data:
            raise KeyError(f"version {str(run_id)[:80]} is no longer kept loadable")
        return str(run_id), data

    def credit(self, run_id: str) -> dict[str, str]:
        """What credits a version's incidents: the feeds of the runs that made it, each with the
        licence and citation of its latest report."""
        with self.engine.connect() as conn:
            seq = conn.execute(sa.select(t.runs.c.seq).where(t.runs.c.id == str(run_id))).scalar()
            rows = conn.execute(
                sa.select(t.runs.c.feed, t.runs.c.kind, t.runs.c.label, t.runs.c.finished, t.runs.c.report)
                .where(
                    t.runs.c.seq <= (seq or 0), t.runs.c.outcome == "committed", t.runs.c.feed.is_not(None)
                )
                .order_by(t.runs.c.seq)
            ).all()
        with self.engine.connect() as conn:
            recorded = conn.execute(sa.select(t.runs.c.feeds).where(t.runs.c.id == str(run_id))).scalar()
        # The feeds the version holds, as its run recorded them (counting a million rows on every
        # load would cost seconds on SQLite).
        held = json.loads(recorded) if recorded else self.feeds_in_use()
        feeds: dict[str, dict[str, str]] = {}
        for row in rows:
            if row.feed not in held:
                continue  # a feed whose events have all been withdrawn credits nothing
            report = json.loads(row.report) if row.report else {}
            feeds[row.feed] = {
                "kind": row.kind,
                "label": row.label,
                "finished": row.finished,
                "citation": str(report.get("citation") or ""),
                "licence": str(report.get("licence") or ""),
            }
        return feeds

    def feeds_in_use(self, conn: sa.Connection | None = None) -> dict[str, tuple[int, str | None]]:
        """For each feed: (incidents in use, its latest event date)."""
        query = (
            sa.select(t.incidents.c.feed, sa.func.count(), sa.func.max(t.incidents.c.event_date))
            .where(t.incidents.c.current.is_(True), t.incidents.c.withdrawn.is_(False))
            .group_by(t.incidents.c.feed)
        )
        with contextlib.ExitStack() as stack:
            conn = conn or stack.enter_context(self.engine.connect())
            return {feed: (count, last) for feed, count, last in conn.execute(query)}

    def freshness(self) -> list[Freshness]:
        """Each feed's last successful run (and any failure since)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    t.runs.c.feed,
                    t.runs.c.kind,
                    t.runs.c.outcome,
                    t.runs.c.finished,
                    t.runs.c.last_event,
                    t.runs.c.reason,
                )
                .where(t.runs.c.feed.is_not(None))
                .order_by(t.runs.c.seq)
            ).all()
        latest: dict[str, Freshness] = {}
        for row in rows:
            if row.outcome in ("committed", "unchanged"):
                latest[row.feed] = Freshness(row.feed, row.finished, row.last_event, row.kind)
            elif row.outcome == "failed" and row.feed in latest:
                old = latest[row.feed]
                latest[row.feed] = Freshness(
                    old.feed, old.updated, old.last_event, old.kind, row.finished, row.reason
                )
        return sorted(latest.values(), key=lambda f: f.feed)

    def cursor(self, feed: str) -> dict | None:
        """Where the feed's next incremental refresh starts (its last successful refresh's)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(t.runs.c.cursor)
                .where(
                    t.runs.c.feed == feed,
                    t.runs.c.kind == "refresh",
                    t.runs.c.outcome.in_(("committed", "unchanged")),
                )
                .order_by(t.runs.c.seq.desc())
                .limit(1)
            ).scalar()
        return json.loads(value) if value else None

    def held_events(self, feed: str) -> pd.DataFrame:
        """The feed's events in use: event_id, revision, event_date (for the tests and reports)."""
        with self.engine.connect() as conn:
            return pd.DataFrame(
                conn.execute(
                    sa.select(t.incidents.c.event_id, t.incidents.c.revision, t.incidents.c.event_date).where(
                        t.incidents.c.feed == feed,
                        t.incidents.c.current.is_(True),
                        t.incidents.c.withdrawn.is_(False),
                    )
                ).all(),
                columns=["event_id", "revision", "event_date"],
            )

    def revisions(self, feed: str, event_id: str) -> list[dict]:
        """Every revision of one event, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.incidents, t.runs.c.id.label("run"))
                .join(t.runs, t.runs.c.seq == t.incidents.c.run_seq)
                .where(t.incidents.c.feed == feed, t.incidents.c.event_id == event_id)
                .order_by(t.incidents.c.revision)
            ).mappings()
            return [{**row, "record": json.loads(row["record"]) if row["record"] else None} for row in rows]

    # -- the lock

    @contextlib.contextmanager
    def locked(self, what: str, wait: float | None = None, name: str = "writer") -> Iterator[None]:
        """Hold one of the store's locks, waiting up to `wait` seconds (default lock_timeout);
        StoreBusy when it does not come free. "writer" is held for every change of the store (a
        merge, a restore), "refresh" for a whole refresh, pulls included, "alerts" for an
        evaluation of the watch rules (georisk.store.alerts)."""
        wait = self.lock_timeout if wait is None else wait
        local = _LOCAL[name]
        if not local.acquire(timeout=max(wait, 0.001)):
            raise StoreBusy(self._busy(what, f"another {name} in this process"))
        try:
            deadline = time.monotonic() + wait
            while not self._take_lock(name, what):
                if time.monotonic() > deadline:
                    raise StoreBusy(self._busy(what, self._lock_holder(name)))
                time.sleep(0.05)
            stop = threading.Event()
            beat = threading.Thread(target=self._keep_alive, args=(name, stop), daemon=True)
            beat.start()
            try:
                yield
            finally:
                stop.set()
                beat.join()
                with self.engine.begin() as conn:
                    conn.execute(
                        sa.delete(t.locks).where(t.locks.c.name == name, t.locks.c.holder == self.holder)
                    )
        finally:
            local.release()

    def _take_lock(self, name: str, what: str) -> bool:
        try:
            with self.engine.begin() as conn:
                # A holder that stopped beating died: its lock is taken over.
                conn.execute(
                    sa.delete(t.locks).where(
                        t.locks.c.name == name, t.locks.c.beat < time.time() - self.stale_after
                    )
                )
                conn.execute(
                    sa.insert(t.locks).values(
                        name=name, holder=self.holder, what=what[:200], beat=time.time()
                    )
                )
            return True
        except sa.exc.IntegrityError:
            return False
        except sa.exc.OperationalError as err:  # SQLite: "database is locked" past its timeout
            if "locked" in str(err):
                return False
            raise

    def _keep_alive(self, name: str, stop: threading.Event) -> None:
        while not stop.wait(min(BEAT, self.stale_after / 3)):
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                with self.engine.begin() as conn:
                    conn.execute(
                        sa.update(t.locks)
                        .where(t.locks.c.name == name, t.locks.c.holder == self.holder)
                        .values(beat=time.time())
                    )

    def _lock_holder(self, name: str) -> str:
        with contextlib.suppress(sa.exc.SQLAlchemyError), self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.locks.c.what, t.locks.c.beat).where(t.locks.c.name == name)
            ).first()
            if row:
                return f"{row.what} (alive {time.time() - row.beat:.0f} s ago)"
        return "another writer"

    def _busy(self, what: str, holder: str) -> str:
        return f"the store is busy with {holder}: the {what} changed nothing; try again"

    # -- changing

    def commit(self, batch: Batch, wait: float | None = None) -> Run:
        """Merge a batch (under the lock, in one transaction): the run it recorded. Nothing
        changes when it fails (StoreError; the failure is recorded)."""
        with self.locked(f"{batch.kind} of {batch.feed}", wait):
            try:
                return self._merge(batch)
            except StoreError:
                raise
            except Exception as err:
                self.record_failure(
                    batch.kind,
                    batch.feed,
                    batch.label,
                    f"the store refused the batch: {err}",
                    batch.started,
                    batch.actor,
                    batch.fetched or 0,
                )
                raise StoreError(f"the {batch.kind} could not be stored, nothing changed: {err}") from err

    def record_failure(
        self,
        kind: str,
        feed: str | None,
        label: str,
        reason: str,
        started: float,
        actor: str = "",
        fetched: int = 0,
        outcome: str = "failed",
        report: dict | None = None,
    ) -> Run:
        """Record a run that changed nothing (failed or refused), with its reason."""
        run_id = self._run_id(kind, feed)
        values = {
            **self._run_values(run_id, kind, feed, label, started, actor),
            "outcome": outcome,
            "reason": reason[:4000],
            "fetched": fetched,
            "report": json.dumps(report, ensure_ascii=False) if report else None,
        }
        with self.engine.begin() as conn:
            conn.execute(sa.insert(t.runs).values(**values))
        return self.run(run_id)

    def restore(self, run_id: str, actor: str = "", wait: float | None = None) -> Run:
        """Put an earlier version's incidents back in use, as a new version: every version stays,
        the newer ones included, and a later refresh merges onto the restored incidents."""
        started = time.time()
        with self.locked("restore", wait):
            target = self.run(run_id)
            _, data = self.snapshot(target.id)  # KeyError when it is not loadable
            frame = pq.read_table(io.BytesIO(data)).to_pandas()
            try:
                return self._restore(target, frame, started, actor)
            except Exception as err:
                self.record_failure(
                    "restore", None, f"restore of {target.id}", f"the store refused it: {err}", started, actor
                )
                raise StoreError(f"the restore could not be stored, nothing changed: {err}") from err

    def _restore(self, target: Run, frame: pd.DataFrame, started: float, actor: str) -> Run:
        """The restore's transaction (the lock is held by restore())."""
        with self.engine.begin() as conn:
            run_id = self._run_id("restore", None)
            seq = self._insert_run(conn, run_id, "restore", None, f"restore of {target.id}", started, actor)
            counts, touched, arrived = self._apply_all(conn, seq, frame, replace=True, feeds=None)
            extra = {"restores": target.id, "fetched": len(frame)}
            self._finish(conn, seq, run_id, counts, touched, arrived, started, extra=extra)
        return self.run(run_id)

    def use_curated(self, actor: str = "") -> None:
        """Show the curated incidents.csv (every version stays, and can be put back)."""
        with self.locked("switch to the curated incidents"):
            with self.engine.begin() as conn:
                self._ensure_state(conn)
                conn.execute(sa.update(t.state).values(curated=True, changed=now()))

    # -- the merge, called with the lock held

    def _run_id(self, kind: str, feed: str | None) -> str:
        return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{feed or kind}-{uuid.uuid4().hex[:6]}"

    def _run_values(self, run_id, kind, feed, label, started, actor) -> dict:
        return {
            "id": run_id,
            "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
            "finished": now(),
            "kind": kind,
            "feed": feed,
            "label": str(label)[:400],
            "outcome": "running",
            "fetched": 0,
            "added": 0,
            "revised": 0,
            "withdrawn": 0,
            "rejected": 0,
            "seconds": round(time.time() - started, 3),
            "actor": (actor or "")[:200] or None,
        }

    def _insert_run(self, conn, run_id, kind, feed, label, started, actor, **extra) -> int:
        values = {**self._run_values(run_id, kind, feed, label, started, actor), **extra}
        return conn.execute(sa.insert(t.runs).values(**values).returning(t.runs.c.seq)).scalar_one()

    def _ensure_state(self, conn: sa.Connection) -> None:
        if conn.execute(sa.select(t.state.c.id)).first() is None:
            conn.execute(sa.insert(t.state).values(id=1, in_use=None, curated=True, changed=now()))

    def _merge(self, batch: Batch) -> Run:
        frame = batch.incidents.copy()
        frame[FEED_COLUMN] = batch.feed
        report = json.dumps(batch.report, ensure_ascii=False)
        fetched = batch.fetched if batch.fetched is not None else int(batch.report.get("read", len(frame)))
        with self.engine.begin() as conn:
            self._ensure_state(conn)
            run_id = batch.run_id or self._run_id(batch.kind, batch.feed)
            seq = self._insert_run(
                conn,
                run_id,
                batch.kind,
                batch.feed,
                batch.label,
                batch.started,
                batch.actor,
                report=report,
                rows=batch.rows,
                fetched=fetched,
                rejected=int(batch.report.get("rejected", 0)) + int(batch.report.get("unmapped", 0)),
                cursor=json.dumps(batch.cursor) if batch.cursor is not None else None,
            )
            counts, touched, arrived = self._apply_all(
                conn,
                seq,
                frame,
                bool(batch.replace),
                None if batch.replace == "all" else [batch.feed],
                batch.withdrawn,
                batch.covers,
            )
            _, curated = self._state(conn)
            extra = {"started": batch.created} if batch.created else {}
            # A batch that changes nothing makes no version; a migrated version always is one (an
            # old version may repeat an earlier one, and may be the one in use).
            if not any(counts.values()) and not curated and batch.kind != "migration":
                last = self.feeds_in_use(conn).get(batch.feed, (0, None))[1]
                conn.execute(
                    sa.update(t.runs)
                    .where(t.runs.c.seq == seq)
                    .values(
                        outcome="unchanged",
                        finished=now(),
                        last_event=last,
                        seconds=round(time.time() - batch.started, 3),
                        **extra,
                    )
                )
            else:
                self._finish(conn, seq, run_id, counts, touched, arrived, batch.started, extra=extra)
        return self.run(run_id)

    def _apply_all(
        self,
        conn: sa.Connection,
        seq: int,
        frame: pd.DataFrame,
        replace: bool,
        feeds: list[str] | None,
        withdrawn: Sequence[str] = (),
        covers: Sequence[tuple[str, str, str]] = (),
    ) -> tuple[dict[str, int], set[str], pd.DataFrame]:
        """Write the batch's revisions: (counts, the keys it touched, the incidents it added or
        revised)."""
        if feeds is None:  # a restore: every feed held or brought
            held = conn.execute(sa.select(t.incidents.c.feed).distinct()).scalars().all()
            feeds = sorted(set(held) | set(frame[FEED_COLUMN].unique()))
        counts = {"added": 0, "revised": 0, "withdrawn": 0}
        touched: set[str] = set()
        arrived = []
        for feed in feeds:
            part = frame[frame[FEED_COLUMN] == feed]
            c, keys, new = self._apply(conn, seq, feed, part, replace, set(withdrawn), covers)
            for k in counts:
                counts[k] += c[k]
            touched |= {f"{feed}\x1f{key}" for key in keys}
            arrived.append(new)
        arrived_frame = pd.concat(arrived) if arrived else frame.iloc[0:0]
        return counts, touched, arrived_frame

    def _apply(self, conn, seq, feed, frame, replace, withdrawn, covers):
        held = {
            row.event_id: (row.revision, row.digest, row.withdrawn, row.event_date, row.id)
            for row in conn.execute(
                sa.select(
                    t.incidents.c.id,
                    t.incidents.c.event_id,
                    t.incidents.c.revision,
                    t.incidents.c.digest,
                    t.incidents.c.withdrawn,
                    t.incidents.c.event_date,
                ).where(t.incidents.c.feed == feed, t.incidents.c.current.is_(True))
            )
        }
        counts = {"added": 0, "revised": 0, "withdrawn": 0}
        touched: list[str] = []
        keep_rows = []
        seen: set[str] = set()
        for start in range(0, len(frame), CHUNK):
            chunk = frame.iloc[start : start + CHUNK]
            records, digests = _records(chunk)
            ids = chunk["incident_id"].astype(str).tolist()
            dates = chunk["date"].dt.strftime("%Y-%m-%d").tolist()
            inserts, retire = [], []
            for i, (event_id, record, digest, date) in enumerate(
                zip(ids, records, digests, dates, strict=True)
            ):
                seen.add(event_id)
                old = held.get(event_id)
                if old is not None and old[1] == digest and not old[2]:
                    continue
                revision = 1 if old is None else old[0] + 1
                counts["added" if old is None else "revised"] += 1
                if old is not None:
                    retire.append(old[4])
                inserts.append(
                    {
                        "feed": feed,
                        "event_id": event_id,
                        "revision": revision,
                        "run_seq": seq,
                        "current": True,
                        "withdrawn": False,
                        "event_date": date,
                        "digest": digest,
                        "record": record,
                    }
                )
                touched.append(event_id)
                keep_rows.append(start + i)
            self._write(conn, retire, inserts)
        # Withdrawn: named by the feed, absent from a whole-feed import, or absent from a range
        # the batch is complete for.
        gone = [e for e in withdrawn if e in held and not held[e][2] and e not in seen]
        if replace:
            gone += [e for e, old in held.items() if not old[2] and e not in seen]
        for _label, first, last in covers:
            gone += [
                e
                for e, old in held.items()
                if not old[2] and e not in seen and old[3] and first <= old[3] <= last
            ]
        gone = list(dict.fromkeys(gone))
        inserts = [
            {
                "feed": feed,
                "event_id": e,
                "revision": held[e][0] + 1,
                "run_seq": seq,
                "current": True,
                "withdrawn": True,
                "event_date": held[e][3],
                "digest": "withdrawn",
                "record": None,
            }
            for e in gone
        ]
        for start in range(0, len(inserts), CHUNK):
            self._write(
                conn,
                [held[i["event_id"]][4] for i in inserts[start : start + CHUNK]],
                inserts[start : start + CHUNK],
            )
        counts["withdrawn"] = len(gone)
        touched += gone
        return counts, touched, frame.iloc[keep_rows]

    def _write(self, conn: sa.Connection, retire: list[int], inserts: list[dict]) -> None:
        for start in range(0, len(retire), 500):
            conn.execute(
                sa.update(t.incidents)
                .where(t.incidents.c.id.in_(retire[start : start + 500]))
                .values(current=False)
            )
        if inserts:
            conn.execute(sa.insert(t.incidents), inserts)

    def _finish(self, conn, seq, run_id, counts, touched, arrived, started, extra=None) -> None:
        """The new version's snapshot (the previous one, less what the batch touched, plus what it
        brought), the switch to it, and the pruning of old snapshots."""
        previous, _ = self._state(conn)
        frame = self._snapshot_frame(conn, previous)
        if frame is not None and touched:
            frame = frame[~_key(frame).isin(touched)]
        parts = [p for p in (frame, arrived) if p is not None and len(p)]
        merged = pd.concat(parts, ignore_index=True) if parts else arrived.reset_index(drop=True)
        if FEED_COLUMN not in merged:
            merged[FEED_COLUMN] = pd.Series(dtype=object)
        data = _frame_parquet(merged.reset_index(drop=True), run_id)
        conn.execute(
            sa.insert(t.snapshots),
            [
                {"run_seq": seq, "part": i, "data": data[start : start + SNAPSHOT_PART]}
                for i, start in enumerate(range(0, max(len(data), 1), SNAPSHOT_PART))
            ],
        )
        feeds = self.feeds_in_use(conn)
        run_feed = conn.execute(sa.select(t.runs.c.feed).where(t.runs.c.seq == seq)).scalar()
        conn.execute(
            sa.update(t.runs)
            .where(t.runs.c.seq == seq)
            .values(
                outcome="committed",
                finished=now(),
                seconds=round(time.time() - started, 3),
                total=len(merged),
                feeds=json.dumps(feeds),
                last_event=feeds.get(run_feed, (0, None))[1] if run_feed else None,
                **counts,
                **(extra or {}),
            )
        )
        conn.execute(sa.update(t.state).values(in_use=seq, curated=False, changed=now()))
        # Prune: only the last `keep` versions stay loadable (their revisions all stay).
        kept = (
            conn.execute(sa.select(t.snapshots.c.run_seq).distinct().order_by(t.snapshots.c.run_seq.desc()))
            .scalars()
            .all()
        )
        old = [s for s in kept[self.keep :] if s != seq]
        if old:
            conn.execute(sa.delete(t.snapshots).where(t.snapshots.c.run_seq.in_(old)))

    def _snapshot_frame(self, conn: sa.Connection, seq: int | None) -> pd.DataFrame | None:
        if seq is None:
            return None
        parts = conn.execute(
            sa.select(t.snapshots.c.data).where(t.snapshots.c.run_seq == seq).order_by(t.snapshots.c.part)
        ).scalars()
        data = b"".join(parts)
        return pq.read_table(io.BytesIO(data)).to_pandas() if data else None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"
