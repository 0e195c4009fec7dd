"""The store (georisk.store), on SQLite and on PostgreSQL: the merge by (feed, event id), versions
and restores, pruning, the locks, failures that change nothing, the schema that the migrations
make, the dataset that loads the version in use, and the move of an old folder store into it."""

from __future__ import annotations

import io
import json
import logging
import shutil
import threading
import time
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from georisk import feeds
from georisk.feeds.store import batch_of, store_for
from georisk.scenario.dataset import load_dataset
from georisk.store import location, migrate
from georisk.store import tables as t
from georisk.store.database import Store, StoreBusy, StoreError
from tests.support import ACLED_HEADER, CONTEXT, acled_row, bundled

UCDP_HEADER = "id,type_of_violence,side_a,side_b,latitude,longitude,date_start,best"


@cache
def acled(*rows: str, name: str = "acled.csv"):
    """(incidents, report) of an ACLED file of these rows, made by the real import pipeline (once:
    the store copies what it is given and the tests change neither)."""
    return feeds.run("acled", "\n".join([ACLED_HEADER, *rows]).encode(), name, CONTEXT)


@cache
def ucdp(*ids: int, name: str = "ucdp.csv"):
    lines = [f"{i},3,TTP,Civilians,34.0,71.5,2016-01-{i:02d},{i}" for i in ids]
    return feeds.run("ucdp", "\n".join([UCDP_HEADER, *lines]).encode(), name, CONTEXT)


def batch(made, kind: str = "import", **fields):
    incidents, report = made
    return batch_of(incidents, report, kind, **fields)


def open_at(url: str, **options) -> Store:
    store = Store(url, **options)
    store.upgrade()
    return store


def in_use_ids(store: Store) -> list[str]:
    found = store.snapshot()
    if found is None:
        return []
    return sorted(pq.read_table(io.BytesIO(found[1])).to_pandas()["incident_id"])


def everything(store: Store) -> dict:
    """Every row of every table, to tell whether anything changed."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(str(v) for v in row) for row in conn.execute(sa.select(table))), key=repr
            )
            for table in t.metadata.sorted_tables
        }


def check_consistent(store: Store) -> None:
    """Each event has one current revision, its latest, with revisions 1..n; and the snapshot in
    use holds exactly the current revisions that are not withdrawals, row by row."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.incidents.c.feed,
                t.incidents.c.event_id,
                t.incidents.c.revision,
                t.incidents.c.current,
                t.incidents.c.withdrawn,
                t.incidents.c.record,
            )
        ).all()
        seq, curated = conn.execute(sa.select(t.state.c.in_use, t.state.c.curated)).first() or (None, True)
        run_id = conn.execute(sa.select(t.runs.c.id).where(t.runs.c.seq == seq)).scalar()
    by_key: dict[tuple, list] = {}
    for row in rows:
        by_key.setdefault((row.feed, row.event_id), []).append(row)
    current = {}
    for key, revisions in by_key.items():
        revisions.sort(key=lambda r: r.revision)
        assert [r.revision for r in revisions] == list(range(1, len(revisions) + 1)), key
        assert [r.current for r in revisions] == [False] * (len(revisions) - 1) + [True], key
        latest = revisions[-1]
        if not latest.withdrawn:
            current[key] = json.loads(latest.record)
    if run_id is None:
        assert not current, "revisions in use without a version"
        return
    _, data = store.snapshot(run_id)
    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    keys = list(zip(frame["_feed"], frame["incident_id"], strict=True))
    assert len(keys) == len(set(keys)), "an event twice in the snapshot"
    assert set(keys) == set(current), "the snapshot is not the current revisions"
    records = json.loads(
        frame.drop(columns="_feed").to_json(orient="records", date_format="iso", date_unit="s")
    )
    for key, record in zip(keys, records, strict=True):
        assert record == current[key], key
    assert not curated or store.in_use() is None


# -- the merge


def test_a_new_event_is_added_and_the_same_batch_again_changes_nothing(store_url):
    store = open_at(store_url)
    first = store.commit(batch(acled(acled_row("PAK1"), acled_row("PAK2"))))
    assert (first.outcome, first.added, first.revised, first.withdrawn, first.total) == (
        "committed",
        2,
        0,
        0,
        2,
    )
    assert store.in_use() == first.id and first.current and first.loadable
    before = [v.id for v in store.versions()]
    again = store.commit(batch(acled(acled_row("PAK1"), acled_row("PAK2"))))
    assert again.outcome == "unchanged" and not again.loadable
    assert [v.id for v in store.versions()] == before and store.in_use() == first.id
    assert [r.outcome for r in store.runs()] == ["unchanged", "committed"]
    assert in_use_ids(store) == ["ACLED-PAK1", "ACLED-PAK2"]
    check_consistent(store)


def test_a_revised_event_gets_a_new_revision_and_the_earlier_is_kept(store_url):
    store = open_at(store_url)
    first = store.commit(batch(acled(acled_row("PAK1", fatalities="3"), acled_row("PAK2"))))
    second = store.commit(batch(acled(acled_row("PAK1", fatalities="7"), acled_row("PAK2"))))
    assert (second.added, second.revised, second.withdrawn) == (0, 1, 0)
    revisions = store.revisions("acled", "ACLED-PAK1")
    assert [(r["revision"], r["current"], r["run"]) for r in revisions] == [
        (1, False, first.id),
        (2, True, second.id),
    ]
    assert [r["record"]["killed"] for r in revisions] == [3, 7]
    assert [r["revision"] for r in store.revisions("acled", "ACLED-PAK2")] == [1]
    check_consistent(store)


def test_the_same_event_from_a_file_and_a_refresh_is_one_revision(store_url):
    store = open_at(store_url)
    store.commit(batch(acled(acled_row("PAK1"), acled_row("PAK2"))))
    # The service gives PAK2 alone: its row in the "file" differs (source_row 2, not 3).
    refreshed = acled(acled_row("PAK2"), name="ACLED API")
    assert refreshed[0]["source_row"].tolist() == [2]
    run = store.commit(batch(refreshed, kind="refresh"))
    assert run.outcome == "unchanged"
    assert [r["revision"] for r in store.revisions("acled", "ACLED-PAK2")] == [1]


def test_withdrawals_by_id_by_a_whole_feed_import_and_by_a_covered_range(store_url):
    store = open_at(store_url)
    rows = [
        acled_row("PAK1", date="1 December 2016"),
        acled_row("PAK2", date="10 December 2016"),
        acled_row("PAK3", date="20 December 2016"),
        acled_row("PAK4", date="25 December 2016"),
    ]
    store.commit(batch(acled(*rows)))
    # The feed names PAK1 as withdrawn (ACLED's deletions); a refresh that brings nothing else.
    by_id = store.commit(batch(acled(rows[1]), kind="refresh", withdrawn=["ACLED-PAK1"]))
    assert (by_id.withdrawn, by_id.added, by_id.revised) == (1, 0, 0)
    assert in_use_ids(store) == ["ACLED-PAK2", "ACLED-PAK3", "ACLED-PAK4"]
    # Complete for 15-22 December: PAK3 (the 20th) has gone; PAK4 (the 25th) is outside the range.
    covered = store.commit(
        batch(acled(rows[1]), kind="refresh", covers=[("ACLED API", "2016-12-15", "2016-12-22")])
    )
    assert covered.withdrawn == 1 and in_use_ids(store) == ["ACLED-PAK2", "ACLED-PAK4"]
    # A whole-feed import without PAK4 withdraws it.
    whole = store.commit(batch(acled(rows[1]), replace=True))
    assert whole.withdrawn == 1 and in_use_ids(store) == ["ACLED-PAK2"]
    last = store.revisions("acled", "ACLED-PAK1")[-1]
    assert (last["revision"], last["withdrawn"], last["current"], last["record"]) == (2, True, True, None)
    assert store.revisions("acled", "ACLED-PAK1")[0]["record"]["incident_id"] == "ACLED-PAK1", "kept"
    check_consistent(store)
    # A withdrawn event that comes back is a new revision, in use again.
    back = store.commit(batch(acled(rows[0], rows[1]), replace=True))
    assert back.outcome == "committed" and back.withdrawn == 0
    assert [(r["revision"], r["withdrawn"]) for r in store.revisions("acled", "ACLED-PAK1")] == [
        (1, False),
        (2, True),
        (3, False),
    ]
    assert in_use_ids(store) == ["ACLED-PAK1", "ACLED-PAK2"]
    check_consistent(store)


def test_a_file_import_replaces_only_its_own_feed(store_url):
    store = open_at(store_url)
    store.commit(batch(ucdp(1, 2), replace=True))
    run = store.commit(batch(acled(acled_row("PAK1")), replace=True))
    assert run.withdrawn == 0 and in_use_ids(store) == ["ACLED-PAK1", "UCDP-1", "UCDP-2"]
    assert set(store.feeds_in_use()) == {"acled", "ucdp"}
    check_consistent(store)


# -- versions


def test_restore_of_an_older_version_keeps_the_newer_ones(store_url):
    store = open_at(store_url)
    a = store.commit(batch(acled(acled_row("PAK1")), replace=True))
    b = store.commit(batch(acled(acled_row("PAK1", fatalities="9"), acled_row("PAK2")), replace=True))
    c = store.commit(batch(ucdp(1)))
    restored = store.restore(a.id)
    assert restored.kind == "restore" and restored.restores == a.id and store.in_use() == restored.id
    assert in_use_ids(store) == ["ACLED-PAK1"]
    assert pq.read_table(io.BytesIO(store.snapshot()[1])).to_pandas()["killed"].tolist() == [3]
    listed = [v.id for v in store.versions()]
    assert listed == [restored.id, c.id, b.id, a.id], "every version stays listed"
    check_consistent(store)
    # A newer one can be put back in turn, and is as it was.
    store.restore(c.id)
    assert in_use_ids(store) == ["ACLED-PAK1", "ACLED-PAK2", "UCDP-1"]
    assert store.snapshot()[1] != store.snapshot(a.id)[1]
    check_consistent(store)
    with pytest.raises(KeyError):
        store.restore("no-such-version")


def test_use_curated_then_restore(store_url):
    store = open_at(store_url)
    a = store.commit(batch(acled(acled_row("PAK1"))))
    store.use_curated()
    assert store.in_use() is None and store.snapshot() is None
    assert [v.current for v in store.versions()] == [False] and store.versions()[0].loadable
    store.restore(a.id)
    assert in_use_ids(store) == ["ACLED-PAK1"]
    check_consistent(store)


def test_pruning_keeps_the_last_versions_loadable_and_every_revision(store_url):
    store = open_at(store_url, keep=2)
    runs = [store.commit(batch(acled(acled_row("PAK1", fatalities=str(n))))) for n in range(1, 5)]
    loadable = [v.id for v in store.versions()]
    assert loadable == [runs[3].id, runs[2].id]
    assert [r.id for r in store.runs()] == [r.id for r in reversed(runs)], "every run stays listed"
    assert [r["record"]["killed"] for r in store.revisions("acled", "ACLED-PAK1")] == [1, 2, 3, 4]
    with pytest.raises(KeyError, match="no longer kept"):
        store.restore(runs[0].id)
    store.restore(runs[2].id)
    assert len(store.versions()) == 2
    check_consistent(store)


# -- the locks


def test_a_second_writer_waits_then_gives_up(store_url):
    store = open_at(store_url)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with store.locked("a long import"):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="changed nothing"):
            store.commit(batch(acled(acled_row("PAK1"))), wait=0.5)
        assert time.monotonic() - started >= 0.5, "it waited"
    finally:
        release.set()
        holder.join()
    assert store.runs() == [] and store.in_use() is None
    assert store.commit(batch(acled(acled_row("PAK1"))), wait=5).outcome == "committed"


def test_a_lock_held_in_the_database_by_another_holder(store_url):
    """Another process or machine holds the lock: a live one is waited for, a dead one (no beat
    for stale_after) is taken over."""
    store = open_at(store_url, stale_after=5)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(t.locks).values(name="writer", holder="elsewhere:1:x", what="import", beat=time.time())
        )
    with pytest.raises(StoreBusy, match="import"):
        store.commit(batch(acled(acled_row("PAK1"))), wait=0.3)
    with store.engine.begin() as conn:
        conn.execute(sa.update(t.locks).values(beat=time.time() - 60))
    assert store.commit(batch(acled(acled_row("PAK1"))), wait=2).outcome == "committed"
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(t.locks)).all() == [], "released after the commit"


def test_the_refresh_lock_and_the_writer_lock_are_independent(store_url):
    store = open_at(store_url)
    with store.locked("a refresh", name="refresh"):
        with pytest.raises(StoreBusy):
            with store.locked("another refresh", wait=0.2, name="refresh"):
                pass
        assert store.commit(batch(acled(acled_row("PAK1"))), wait=1).outcome == "committed"
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(t.locks.c.name)).scalars().all() == ["refresh"]


# -- failures


def test_a_failure_inside_a_batch_changes_nothing_and_is_recorded(store_url, monkeypatch):
    store = open_at(store_url)
    first = store.commit(batch(acled(acled_row("PAK1"))))
    before = everything(store)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "_finish", broken)
    with pytest.raises(StoreError, match="nothing changed"):
        store.commit(batch(acled(acled_row("PAK1"), acled_row("PAK2"))))
    after = everything(store)
    (failed,) = [r for r in store.runs() if r.outcome == "failed"]
    assert "disk full" in failed.reason and failed.feed == "acled"
    after["runs"] = [r for r in after["runs"] if failed.id not in r]
    assert after == before and store.in_use() == first.id
    check_consistent(store)


def test_a_restore_that_fails_changes_nothing_and_is_recorded(store_url, monkeypatch):
    """As a batch: StoreError, a failed run with its reason, and the version in use stays."""
    store = open_at(store_url)
    a = store.commit(batch(acled(acled_row("PAK1"))))
    b = store.commit(batch(acled(acled_row("PAK2"))))
    before = everything(store)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "_finish", broken)
    with pytest.raises(StoreError):
        store.restore(a.id)
    failed = [r for r in store.runs() if r.outcome == "failed"]
    assert len(failed) == 1 and "disk full" in failed[0].reason
    after = everything(store)
    after["runs"] = [r for r in after["runs"] if failed[0].id not in r]
    assert after == before and store.in_use() == b.id


# -- the schema


def test_the_migrations_make_exactly_the_tables_of_the_code(store_url):
    store = open_at(store_url)
    assert store.upgrade() == [], "a second upgrade does nothing"
    assert migrate.current(store.engine) == migrate.head()
    found = sa.inspect(store.engine)
    assert set(found.get_table_names()) == set(t.metadata.tables) | {"alembic_version"}
    for table in t.metadata.sorted_tables:
        columns = {c["name"]: c for c in found.get_columns(table.name)}
        assert list(columns) == [c.name for c in table.columns], table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
            made = columns[column.name]["type"]
            assert made._type_affinity == column.type.dialect_impl(store.engine.dialect)._type_affinity, (
                table.name,
                column.name,
                made,
            )
        indexes = {
            (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table.name)
        }
        declared = {(i.name, tuple(c.name for c in i.columns), bool(i.unique)) for i in table.indexes}
        assert declared <= indexes, table.name
        # Nothing more than what the code declares, apart from what backs its unique constraints.
        uniques = {
            tuple(c.name for c in u.columns) for u in table.constraints if isinstance(u, sa.UniqueConstraint)
        }
        uniques |= {(c.name,) for c in table.columns if c.unique}
        assert {i for i in indexes - declared if not (i[2] and i[1] in uniques)} == set(), table.name
        found_uniques = {tuple(u["column_names"]) for u in found.get_unique_constraints(table.name)}
        found_uniques |= {i[1] for i in indexes if i[2]}
        assert uniques <= found_uniques, table.name
        assert found.get_pk_constraint(table.name)["constrained_columns"] == [
            c.name for c in table.primary_key
        ]
        keys = {
            (tuple(f["constrained_columns"]), f["referred_table"]) for f in found.get_foreign_keys(table.name)
        }
        assert keys == {
            (tuple(f.parent.name for f in k.elements), k.referred_table.name)
            for k in table.foreign_key_constraints
        }


# -- the dataset


def test_load_dataset_loads_the_version_in_use_and_the_curated_file_after_use_curated(
    store_url, data_copy, monkeypatch
):
    monkeypatch.setenv(location.STORE_ENV, store_url)
    store = store_for(data_copy)
    store.commit(batch(acled(acled_row("PAK1"), acled_row("PAK2")), replace=True))
    store.commit(batch(ucdp(3)))
    loaded = load_dataset(data_copy)
    assert sorted(loaded.incidents["incident_id"]) == ["ACLED-PAK1", "ACLED-PAK2", "UCDP-3"]
    assert loaded.problems == [] and loaded.store_problem is None
    assert not loaded.incident_source.curated and loaded.incident_source.version == store.in_use()
    store.use_curated()
    curated = load_dataset(data_copy)
    assert curated.incident_source.curated
    pd.testing.assert_frame_equal(curated.incidents, bundled().incidents)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:s3cretpw@127.0.0.1:1/georisk",
        "postgresql+nosuchdriver://reader:s3cretpw@127.0.0.1/georisk",
        "postgresql+psycopg://reader:s3cretpw@127.0.0.1:notaport/georisk",
        "not a url s3cretpw",
    ],
)
def test_a_store_that_cannot_be_opened_leaves_the_curated_incidents(url, data_copy, monkeypatch):
    location.forget()
    monkeypatch.setenv(location.STORE_ENV, url)
    loaded = load_dataset(data_copy)
    location.forget()
    assert loaded.incident_source.curated and loaded.stored is None
    pd.testing.assert_frame_equal(loaded.incidents, bundled().incidents)
    assert loaded.store_problem and "curated incidents are shown" in loaded.store_problem
    assert "s3cretpw" not in loaded.store_problem


# -- the old folder store


def old_version(data_dir: Path, version: str, made, created: str) -> None:
    """One version as the folder store of earlier releases wrote it (HEAD~1's FolderStore)."""
    incidents, report = made
    folder = data_dir / "imports" / version
    folder.mkdir(parents=True)
    table = pa.Table.from_pandas(incidents, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"georisk_version": version.encode()}
    )
    pq.write_table(table, folder / "incidents.parquet")
    document = {**report.to_dict(), "created": created, "version": version, "csv_safety": "'"}
    (folder / "report.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    (folder / "rows.csv").write_bytes(feeds.rows_csv(report.issues_frame()))


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def old_folder(data_copy: Path) -> Path:
    """An old folder store with two versions, the older in use."""
    old = "20260101T000000000000Z-acled-aaaaaa"
    new = "20260201T000000000000Z-acled-bbbbbb"
    old_version(data_copy, old, acled(acled_row("PAK1"), name="old.csv"), "2026-01-01T00:00:00+00:00")
    old_version(
        data_copy,
        new,
        acled(acled_row("PAK2"), acled_row("PAK3"), name="new.csv"),
        "2026-02-01T00:00:00+00:00",
    )
    shutil.copy(data_copy / "imports" / old / "incidents.parquet", data_copy / "incidents.parquet")
    return data_copy


def test_an_old_folder_store_is_moved_in_and_its_files_are_kept(store_url, old_folder, monkeypatch, caplog):
    monkeypatch.setenv(location.STORE_ENV, store_url)
    old, new = "20260101T000000000000Z-acled-aaaaaa", "20260201T000000000000Z-acled-bbbbbb"
    before = files_of(old_folder)
    with caplog.at_level(logging.WARNING, logger="georisk.store.location"):
        store = location.open_store(old_folder)
    assert "moved 2 import version(s)" in caplog.text
    assert files_of(old_folder) == before, "the old files are untouched"
    versions = {v.id: v for v in store.versions()}
    assert {old, new} <= set(versions)
    assert versions[old].label == "old.csv" and versions[old].started.startswith("2026-01-01")
    assert versions[new].kind == "migration"
    in_use = store.run(store.in_use())
    assert in_use.id == old or in_use.restores == old, "the version in use stays in use"
    assert in_use_ids(store) == ["ACLED-PAK1"]
    check_consistent(store)
    assert list(load_dataset(old_folder).incidents["incident_id"]) == ["ACLED-PAK1"]
    # Once only: opening it again in another process moves nothing more.
    location.forget()
    assert len(location.open_store(old_folder).runs()) == len(store.runs())


def test_after_moving_an_old_folder_store_in_use_curated_shows_the_curated_file(
    store_url, old_folder, monkeypatch
):
    """The old DATA/incidents.parquet is kept as it was; it must not come back in use once the
    store has chosen the curated incidents."""
    monkeypatch.setenv(location.STORE_ENV, store_url)
    location.open_store(old_folder).use_curated()
    loaded = load_dataset(old_folder)
    assert loaded.incident_source.curated
    assert len(loaded.incidents) == len(bundled().incidents)


def test_an_old_folder_whose_version_in_use_repeats_an_earlier_one_is_moved_in(
    store_url, data_copy, monkeypatch
):
    """The same file imported twice, then another: the old store had three versions; the one in
    use (the second) has the same incidents as the first."""
    monkeypatch.setenv(location.STORE_ENV, store_url)
    ids = [f"2026010{n}T000000000000Z-acled-{n}{n}{n}{n}{n}{n}" for n in (1, 2, 3)]
    same = acled(acled_row("PAK1"), name="same.csv")
    old_version(data_copy, ids[0], same, "2026-01-01T00:00:00+00:00")
    old_version(data_copy, ids[1], same, "2026-01-02T00:00:00+00:00")
    old_version(data_copy, ids[2], acled(acled_row("PAK2"), name="other.csv"), "2026-01-03T00:00:00+00:00")
    table = pq.read_table(data_copy / "imports" / ids[1] / "incidents.parquet")
    pq.write_table(table, data_copy / "incidents.parquet")
    store = location.open_store(data_copy)
    assert in_use_ids(store) == ["ACLED-PAK1"]
    loaded = load_dataset(data_copy)
    assert loaded.store_problem is None and list(loaded.incidents["incident_id"]) == ["ACLED-PAK1"]


def test_the_default_store_is_sqlite_in_the_state_folder(data_copy, monkeypatch):
    monkeypatch.delenv(location.STORE_ENV, raising=False)
    monkeypatch.delenv(location.STATE_ENV, raising=False)
    location.forget()
    assert location.open_store(data_copy) is None and not (data_copy / "state").exists(), (
        "made on first write"
    )
    run = feeds.commit_import(data_copy, *acled(acled_row("PAK1")))
    assert (data_copy / "state" / "georisk.sqlite").is_file()
    assert store_for(data_copy).in_use() == run.id
    location.forget()
