"""Concurrent writers on one data folder (issue 14 §6): imports, restores and switches back to the
curated incidents, started together many times from threads and from processes, always leave
the folder consistent; a commit that fails at any step changes nothing."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import random
import threading
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds
from georisk.feeds import store as store_module
from georisk.feeds.store import FolderStore, StoreBusy, StoreError
from georisk.scenario.imports import PARQUET, version_of
from tests.support import ACLED_HEADER, CONTEXT, acled_row

# Two feeds whose rows tell them apart: the incidents in use must come with their own report.
FEEDS = {
    name: feeds.run(
        "acled",
        "\n".join([ACLED_HEADER, *(acled_row(f"{name}{i}") for i in range(3))]).encode(),
        f"{name}.csv",
        CONTEXT,
    )
    for name in ("A", "B")
}
KEEP = 10_000  # nothing is pruned: every successful commit must stay listed
FORK = multiprocessing.get_context("fork")


def one_writer(data_dir: str, seed: int, results) -> None:
    """A few random changes; the ids of the versions it committed go to `results`."""
    chance = random.Random(seed)
    store = FolderStore(data_dir, keep=KEEP)
    for _ in range(3):
        action = chance.choice(["commit", "commit", "restore", "curated"])
        try:
            if action == "commit":
                incidents, report = FEEDS[chance.choice("AB")]
                results.append(store.commit(incidents, report).id)
            elif action == "restore":
                kept = store.versions()
                if kept:
                    store.restore(chance.choice(kept).id)
            else:
                store.use_curated()
        except StoreBusy:
            pass


def check_consistent(data_dir: Path, committed: list[str]) -> None:
    store = FolderStore(data_dir, keep=KEEP)
    folder = data_dir / "imports"
    leftovers = [p.name for p in [*folder.iterdir(), *data_dir.iterdir()] if p.name.endswith(".partial")]
    assert not leftovers, f"staging left behind: {leftovers}"
    listed = {v.id for v in store.versions()}
    assert set(committed) <= listed, f"committed but not kept: {set(committed) - listed}"
    in_use = store.in_use()
    current = data_dir / PARQUET
    if not current.exists():
        return
    assert in_use is not None and in_use in listed, "the incidents in use are a kept version"
    report = json.loads((folder / in_use / "report.json").read_text(encoding="utf-8"))
    assert report["version"] == in_use == version_of(folder / in_use / PARQUET)
    ids = pd.read_parquet(current)["incident_id"]
    feed = report["file"].removesuffix(".csv")
    assert ids.str.startswith(f"ACLED-{feed}").all(), "the rows in use are those of the report's feed"
    assert sum(v.in_use for v in store.versions()) == 1


def watch(data_dir: Path, stop: threading.Event, problems: list[str]) -> None:
    """A reader during the changes: whenever incidents are in use, their version has its report."""
    while not stop.is_set():
        version = version_of(data_dir / PARQUET) if (data_dir / PARQUET).exists() else None
        if version and not (data_dir / "imports" / version / "report.json").is_file():
            problems.append(f"{version} in use without its report")


@pytest.mark.parametrize("trial", range(12))
def test_concurrent_processes_leave_the_folder_consistent(tmp_path: Path, trial: int):
    with FORK.Manager() as manager:
        results = manager.list()
        workers = [
            FORK.Process(target=one_writer, args=(str(tmp_path), trial * 10 + n, results)) for n in range(4)
        ]
        stop, problems = threading.Event(), []
        reader = threading.Thread(target=watch, args=(tmp_path, stop, problems))
        reader.start()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        stop.set()
        reader.join()
        assert all(w.exitcode == 0 for w in workers)
        committed = list(results)
    assert not problems
    check_consistent(tmp_path, committed)


@pytest.mark.parametrize("trial", range(12))
def test_concurrent_threads_leave_the_folder_consistent(tmp_path: Path, trial: int):
    results: list[str] = []
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        try:
            one_writer(str(tmp_path), seed, results)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(trial * 10 + n,)) for n in range(4)]
    stop, problems = threading.Event(), []
    reader = threading.Thread(target=watch, args=(tmp_path, stop, problems))
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stop.set()
    reader.join()
    assert not errors and not problems
    check_consistent(tmp_path, results)


def _state(data_dir: Path) -> tuple:
    store = FolderStore(data_dir)
    return store.in_use(), [v.id for v in store.versions()], sorted(p.name for p in data_dir.rglob("*"))


def test_a_report_that_cannot_be_written_changes_nothing(tmp_path: Path, monkeypatch):
    store = FolderStore(tmp_path)
    first = store.commit(*FEEDS["A"])
    before = _state(tmp_path)

    def full_disk(rows):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "rows_csv", full_disk)
    with pytest.raises(StoreError, match="nothing changed"):
        store.commit(*FEEDS["B"])
    assert _state(tmp_path) == before and store.in_use() == first.id


def test_a_switch_that_fails_changes_nothing(tmp_path: Path, monkeypatch):
    store = FolderStore(tmp_path)
    first = store.commit(*FEEDS["A"])
    before = _state(tmp_path)
    real_replace = os.replace

    def failing(source, target):
        if Path(target).name == PARQUET:
            raise OSError(5, "Input/output error")
        return real_replace(source, target)

    monkeypatch.setattr(store_module.os, "replace", failing)
    with pytest.raises(StoreError, match="nothing changed"):
        store.commit(*FEEDS["B"])
    assert _state(tmp_path) == before and store.in_use() == first.id


def _hold_lock(data_dir: str, ready, release) -> None:
    (Path(data_dir) / "imports").mkdir(parents=True, exist_ok=True)
    with open(Path(data_dir) / "imports" / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        ready.set()
        release.wait(30)


def test_a_held_lock_makes_a_writer_give_up_and_a_dead_holder_frees_it(tmp_path: Path):
    ready, release = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    assert ready.wait(30)
    store = FolderStore(tmp_path, lock_timeout=0.3)
    with pytest.raises(StoreBusy, match="nothing changed"):
        store.commit(*FEEDS["A"])
    with pytest.raises(StoreBusy):
        store.use_curated()
    assert store.versions() == [] and not (tmp_path / PARQUET).exists()
    holder.kill()  # dies holding the lock: the system releases it
    holder.join()
    assert store.commit(*FEEDS["A"]).in_use


def test_staging_left_by_a_dead_writer_is_cleaned_by_the_next(tmp_path: Path):
    store = FolderStore(tmp_path)
    (tmp_path / "imports" / ".20200101T000000000000Z-acled-dead.deadbeef.partial").mkdir(parents=True)
    (tmp_path / f".{PARQUET}.deadbeef.partial").write_bytes(b"half")
    store.commit(*FEEDS["A"])
    assert not [p for p in tmp_path.rglob("*.partial")]


def test_a_version_id_from_a_user_is_refused(tmp_path: Path):
    store = FolderStore(tmp_path)
    store.commit(*FEEDS["A"])
    for bad in ("../imports", ".lock", "", "nope", "/etc"):
        with pytest.raises(KeyError):
            store.restore(bad)
