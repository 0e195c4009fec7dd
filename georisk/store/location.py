"""Where a data folder's store is, opening it, and moving the old folder store into it.

The store is SQLite in a state folder (default DATA/state/georisk.sqlite; GEORISK_STATE moves the
folder), or any database SQLAlchemy reaches by URL (GEORISK_STORE=postgresql://…), which several
processes on several machines share. A SQLite store is made when it is first written to (an
import, a refresh): nothing has to be set up, and a folder nobody imports into stays as it is.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from georisk.store.database import Batch, Freshness, Store, StoreError, sqlite_url

STORE_ENV = "GEORISK_STORE"
STATE_ENV = "GEORISK_STATE"
STATE_FOLDER = "state"
SQLITE_NAME = "georisk.sqlite"
# The folder store of earlier releases: DATA/imports/<version>/{incidents.parquet,report.json,rows.csv}
# and DATA/incidents.parquet (the version in use).
LEGACY_IMPORTS = "imports"
LEGACY_PARQUET = "incidents.parquet"
log = logging.getLogger(__name__)

_OPEN: dict[str, Store] = {}
_OPEN_LOCK = threading.Lock()


def store_url(data_dir: Path | str, environ=os.environ) -> str:
    if environ.get(STORE_ENV):
        return environ[STORE_ENV]
    state = Path(environ[STATE_ENV]) if environ.get(STATE_ENV) else Path(data_dir) / STATE_FOLDER
    return sqlite_url(state / SQLITE_NAME)


def _sqlite_path(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def legacy_versions(data_dir: Path | str) -> list[Path]:
    """The version folders of the old folder store, oldest first."""
    folder = Path(data_dir) / LEGACY_IMPORTS
    if not folder.is_dir():
        return []
    return [
        p
        for p in sorted(folder.iterdir())
        if not p.name.startswith(".") and (p / "report.json").is_file() and (p / LEGACY_PARQUET).is_file()
    ]


def open_store(data_dir: Path | str, create: bool = False, environ=os.environ) -> Store | None:
    """The data folder's store, its schema brought up to date and the old folder store moved in
    (once per process). None when it is a SQLite store that does not exist yet and `create` is
    false, unless the folder has versions from the old folder store to move in. Raises
    StoreError when it cannot be opened or made (a read-only folder, a database that refuses)."""
    url = store_url(data_dir, environ)
    with _OPEN_LOCK:
        if url in _OPEN:
            return _OPEN[url]
        path = _sqlite_path(url)
        if path is not None and not path.is_file():
            if not (create or legacy_versions(data_dir)):
                return None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"the store's folder {path.parent} cannot be made: {err}") from err
        store = Store(url)
        try:
            store.upgrade()
        except Exception as err:  # noqa: BLE001 - any driver error: say which store, never its password
            raise StoreError(f"the store {store!r} cannot be opened: {type(err).__name__}: {err}") from err
        message = migrate_folder(store, Path(data_dir))
        if message:
            log.warning(message)
        _OPEN[url] = store
        return store


def forget() -> None:
    """Close every store this process opened (tests; a changed GEORISK_STORE)."""
    with _OPEN_LOCK:
        _OPEN.clear()
        _FRESHNESS.clear()


def migrate_folder(store: Store, data_dir: Path) -> str | None:
    """Move the versions of the old folder store into the store, once: each becomes a version
    with its id, date, report and listed rows, and the one in use stays in use. The old files are
    left as they were (nothing is deleted); the message says what was moved."""
    versions = legacy_versions(data_dir)
    if not versions or store.runs(limit=1, kind="migration"):
        return None
    # Two processes opening the store for the first time must not both move the folder in: the
    # check is made again under a lock of its own (each move takes the writer lock as usual).
    with store.locked("migration", name="migration"):
        if store.runs(limit=1, kind="migration"):
            return None
        return _move_in(store, data_dir, versions)


def _move_in(store: Store, data_dir: Path, versions: list[Path]) -> str:
    in_use = None
    current = data_dir / LEGACY_PARQUET
    if current.is_file():
        metadata = pq.read_schema(current).metadata or {}
        in_use = (metadata.get(b"georisk_version") or b"").decode() or None
    moved = []
    for folder in versions:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        rows = (folder / "rows.csv").read_bytes() if (folder / "rows.csv").is_file() else b""
        frame = pd.read_parquet(folder / LEGACY_PARQUET)
        store.commit(
            Batch(
                "migration",
                str(report.get("kind") or "csv"),
                str(report.get("file") or folder.name),
                frame,
                report,
                rows,
                replace="all",
                created=str(report.get("created") or "") or None,
                run_id=folder.name,
            )
        )
        moved.append(folder.name)
    if in_use is None:
        store.use_curated()
    elif in_use in moved and in_use != moved[-1]:
        store.restore(in_use)
    return (
        f"moved {len(moved)} import version(s) from {data_dir / LEGACY_IMPORTS} into the store "
        f"{store!r}; the version in use stays in use ({in_use or 'the curated incidents.csv'}); "
        "the old files are kept as they were"
    )


@dataclass(frozen=True)
class Stored:
    """The incidents in use from the store, as the loader reads them."""

    version: str
    parquet: bytes
    credit: dict[str, dict[str, str]]  # per feed: kind, label, finished, citation, licence

    def reader(self) -> io.BytesIO:
        return io.BytesIO(self.parquet)


def stored_incidents(data_dir: Path | str, environ=os.environ) -> tuple[Stored | None, str | None, bool]:
    """(the store's incidents in use, or None for the curated file; a problem opening the store;
    whether the folder has a store, in which case an old folder store's incidents.parquet, moved
    in, is never read again). Never raises: a store that cannot be read leaves the curated file in
    use and says why."""
    try:
        store = open_store(data_dir, environ=environ)
        found = store.snapshot() if store is not None else None
        if found is None:
            return None, None, store is not None
        version, data = found
        return Stored(version, data, store.credit(version)), None, True
    except Exception as err:  # noqa: BLE001 - the app must come up on its curated data
        log.exception("the store of %s could not be read", data_dir)
        return None, f"the store could not be read, so the curated incidents are shown: {err}", True


FRESHNESS_SECONDS = 5.0  # how long one reading of the feeds' freshness is shown
_FRESHNESS: dict[str, tuple[float, list[Freshness]]] = {}


def freshness(data_dir: Path | str, environ=os.environ) -> list[Freshness]:
    """Every feed's freshness (empty without a store), read at most every FRESHNESS_SECONDS."""
    url = store_url(data_dir, environ)
    hit = _FRESHNESS.get(url)
    if hit and time.monotonic() - hit[0] < FRESHNESS_SECONDS:
        return hit[1]
    try:
        store = open_store(data_dir, environ=environ)
        found = store.freshness() if store is not None else []
    except Exception:  # noqa: BLE001 - a page must draw without the stamps rather than fail
        log.exception("the freshness of %s could not be read", data_dir)
        found = []
    _FRESHNESS[url] = (time.monotonic(), found)
    return found


def token(data_dir: Path | str, environ=os.environ) -> tuple:
    """What changes when the store's incidents in use change (cheap: for every page run)."""
    url = store_url(data_dir, environ)
    path = _sqlite_path(url)
    if path is not None and not path.is_file() and url not in _OPEN:
        return ("no store",)
    try:
        store = open_store(data_dir, environ=environ)
    except StoreError:
        return ("unreadable",)
    return store.token() if store else ("no store",)


def status(data_dir: Path | str, stale_after_hours: float, environ=os.environ) -> dict:
    """What a monitoring system polls (`python -m georisk status`): the store, the version in
    use, and each feed's last successful update, latest event and last failure, stale past
    `stale_after_hours`; and the alerts (the open ones, the deliveries waiting, those given up
    within `stale_after_hours`). "ok" is false when a feed is stale, its last run failed, a
    delivery was given up, or the store cannot be read."""
    import datetime as dt

    from georisk.store.alerts import AlertBook

    document: dict = {"store": None, "version": None, "stale_after_hours": stale_after_hours, "feeds": []}
    try:
        store = open_store(data_dir, environ=environ)
    except StoreError as err:
        return {**document, "ok": False, "problem": str(err)}
    if store is None:
        return {
            **document,
            "ok": True,
            "problem": None,
            "note": "no store yet: the curated incidents are in use",
        }
    document["store"] = repr(store)
    now = dt.datetime.now(dt.UTC)
    ok = True
    try:
        document["version"] = store.in_use()
        for fresh in store.freshness():
            age = fresh.age_hours(now)
            stale = age > stale_after_hours
            ok = ok and not stale and fresh.last_failure is None
            document["feeds"].append(
                {
                    "feed": fresh.feed,
                    "updated": fresh.updated,
                    "age_hours": round(age, 2),
                    "last_event": fresh.last_event,
                    "stale": stale,
                    "last_failure": fresh.last_failure,
                    "failure_reason": fresh.failure_reason,
                }
            )
        # A feed that has never been updated, only failed, is the worst case of all.
        listed = {f["feed"] for f in document["feeds"]}
        for run in store.runs(limit=1000):
            if run.feed and run.feed not in listed and run.outcome in ("failed", "refused"):
                listed.add(run.feed)
                ok = False
                document["feeds"].append(
                    {
                        "feed": run.feed,
                        "updated": None,
                        "age_hours": None,
                        "last_event": None,
                        "stale": True,
                        "last_failure": run.finished,
                        "failure_reason": run.reason,
                    }
                )
        since = (now - dt.timedelta(hours=stale_after_hours)).isoformat(timespec="seconds")
        document["alerts"] = AlertBook(store).health(since)
        ok = ok and not document["alerts"]["deliveries_given_up"]
    except Exception as err:  # noqa: BLE001 - a monitor gets a reason, not a traceback
        return {**document, "ok": False, "problem": f"the store could not be read: {type(err).__name__}"}
    return {**document, "ok": ok, "problem": None}
