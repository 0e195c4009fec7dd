"""Writers on one store at once, on SQLite and PostgreSQL: a file import, an import of another
feed and a restore started together, from threads and from processes, leave the store consistent.
Every change either commits whole or raises StoreBusy/StoreError having changed nothing; and the
store is what replaying the committed runs one after another (in the order the lock gave them)
makes of it: each run's counts and revisions, and the incidents in use row by row."""

from __future__ import annotations

import io
import multiprocessing
import threading
import time

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from georisk.store import tables as t
from georisk.store.database import Batch, Store, StoreBusy, StoreError
from tests.unit.test_store import acled, acled_row, batch, check_consistent, open_at, ucdp

SPAWN = multiprocessing.get_context("spawn")


def acled_import(killed: int) -> Batch:
    """The whole ACLED feed: PAK1..PAK4 with `killed` deaths each (so that each import revises)."""
    return batch(acled(*(acled_row(f"PAK{i}", fatalities=str(killed)) for i in range(1, 5))), replace=True)


def change(url: str, what: tuple, wait: float | None) -> tuple[str, str]:
    """One change on its own Store (as another session or process has): its outcome and run id,
    or the error it raised."""
    store = Store(url)
    try:
        if what[0] == "restore":
            return "done", store.restore(what[1], wait=wait).id
        return "done", store.commit(what[1], wait=wait).id
    except StoreBusy as err:
        return "busy", str(err)
    except StoreError as err:
        return "error", str(err)


def _in_process(url, what, wait, ready, results) -> None:
    ready.wait(120)  # every process is up: start together
    results.put((what[0], *change(url, what, wait)))


def content(store: Store, run_id: str | None = None) -> dict:
    found = store.snapshot(run_id)
    frame = pq.read_table(io.BytesIO(found[1])).to_pandas()
    return {
        (f, i): int(k) for f, i, k in zip(frame["_feed"], frame["incident_id"], frame["killed"], strict=True)
    }


def replay(store: Store, start: dict[str, dict], outcomes: list[tuple]) -> None:
    """Check each committed run against a plain model of the merge, in the order they ran."""
    with store.engine.connect() as conn:
        runs = conn.execute(sa.select(t.runs).order_by(t.runs.c.seq)).mappings().all()
        touched = {}
        for row in conn.execute(sa.select(t.incidents.c.run_seq, t.incidents.c.feed, t.incidents.c.event_id)):
            touched.setdefault(row.run_seq, set()).add((row.feed, row.event_id))
    done = {run_id for _, outcome, run_id in outcomes if outcome == "done"}
    assert done <= {r["id"] for r in runs}, "a change said it committed but is not recorded"
    versions = dict(start)  # run id -> the incidents in use after it
    model = versions[runs[len(start) - 1]["id"]]
    # A withdrawn event that comes back is a revision of it, not a new event.
    known = {key for version in start.values() for key in version}
    for run in runs[len(start) :]:
        if run["outcome"] == "failed":
            assert run["id"] not in done and run["seq"] not in touched, "a failed run changed something"
            continue
        assert run["id"] in done, f"{run['id']} is in the store but no change made it"
        if run["kind"] == "restore":
            after = dict(versions[run["restores"]])
        else:
            after = {k: v for k, v in model.items() if k[0] != run["feed"]} | run_batch_content(run)
        changed = {k for k in after if model.get(k) != after[k]}
        gone = set(model) - set(after)
        added = {k for k in changed if k not in known}
        known |= set(after)
        expected = (len(added), len(changed - added), len(gone))
        assert (run["added"], run["revised"], run["withdrawn"]) == expected, run["id"]
        assert touched.get(run["seq"], set()) == changed | gone, run["id"]
        # A restore is a version even when it changes nothing; a batch is one only when it does.
        committed = changed or gone or run["kind"] == "restore"
        assert run["outcome"] == ("committed" if committed else "unchanged"), run["id"]
        if run["outcome"] == "committed":
            versions[run["id"]] = after
            assert content(store, run["id"]) == after, run["id"]
            model = after
    assert content(store) == model, "the incidents in use are not what the runs made"
    check_consistent(store)


BATCH_CONTENT: dict[str, dict] = {}  # the label of each batch the tests commit -> its content


def run_batch_content(run) -> dict:
    return BATCH_CONTENT[run["label"]]


def labelled(made: Batch) -> Batch:
    frame = made.incidents
    BATCH_CONTENT[made.label] = {
        (made.feed, i): int(k) for i, k in zip(frame["incident_id"], frame["killed"], strict=True)
    }
    return made


def prepared(url: str):
    """A store with two versions; the three changes to start at once."""
    store = open_at(url)
    first = store.commit(labelled(acled_import(1)))
    store.commit(labelled(batch(ucdp(1, 2, name="ucdp-first.csv"), replace=True)))
    start = {first.id: content(store, first.id), store.in_use(): content(store)}
    second = acled_import(2)
    second.label = "acled-second.csv"
    changes = [
        ("import", labelled(second)),
        ("import", labelled(batch(ucdp(2, 3, 4, name="ucdp-second.csv"), replace=True))),
        ("restore", first.id),
    ]
    return store, start, changes


@pytest.mark.parametrize("wait", [None, 0.0])
def test_changes_started_together_from_threads_leave_a_consistent_store(store_url, wait):
    """With the default wait every change commits; with none, those that find the lock taken give
    up, changing nothing."""
    store, start, changes = prepared(store_url)
    outcomes: list[tuple] = []
    barrier = threading.Barrier(len(changes) + 1)
    stop, seen = threading.Event(), []

    def run(what):
        barrier.wait(30)
        outcomes.append((what[0], *change(store_url, what, wait)))

    def read():  # a reader meanwhile: the version in use is always whole and loadable
        barrier.wait(30)
        while not stop.is_set():
            seen.append(len(content(Store(store_url))))

    threads = [threading.Thread(target=run, args=(what,)) for what in changes]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    for thread in threads[:-1]:
        thread.join(120)
    stop.set()
    threads[-1].join(30)
    assert len(outcomes) == len(changes) and seen
    assert {o for _, o, _ in outcomes} <= {"done", "busy"}
    if wait is None:
        assert [o for _, o, _ in outcomes] == ["done"] * 3, outcomes
    else:
        assert "done" in {o for _, o, _ in outcomes}, outcomes
    replay(store, start, outcomes)


def test_changes_started_together_from_processes_leave_a_consistent_store(store_url):
    store, start, changes = prepared(store_url)
    ready = SPAWN.Barrier(len(changes))
    results = SPAWN.Queue()
    # The restore waits for no one: it commits or gives up, the others wait their turn.
    workers = [
        SPAWN.Process(
            target=_in_process, args=(store_url, what, 0.0 if what[0] == "restore" else None, ready, results)
        )
        for what in changes
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert all(w.exitcode == 0 for w in workers)
    assert [o for kind, o, _ in outcomes if kind == "import"] == ["done", "done"], outcomes
    replay(store, start, outcomes)


def _hold(url: str, ready) -> None:
    with Store(url).locked("an import in another process"):
        ready.set()
        # Until it is killed (an Event would be left locked by a waiter that is killed).
        time.sleep(120)


def test_a_writer_in_another_process_is_waited_for_and_its_lock_taken_over_when_it_dies(store_url):
    store = open_at(store_url, stale_after=1.0)
    ready = SPAWN.Event()
    holder = SPAWN.Process(target=_hold, args=(store_url, ready))
    holder.start()
    try:
        assert ready.wait(120)
        with pytest.raises(StoreBusy, match="another process"):
            store.commit(acled_import(1), wait=0.3)
        assert store.runs() == [] and store.in_use() is None
        holder.kill()  # dies holding the lock: its beat stops
        holder.join(30)
        started = time.monotonic()
        assert store.commit(acled_import(1), wait=30).outcome == "committed"
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.join(30)
