"""The refresh end to end: the local stand-ins for ACLED's and UCDP's APIs (tests/fakes, which
follow the services' published contracts), the same import pipeline as a file, and the store.
UCDP's stand-in is fed from the real GED extract in ../shared/external/, ACLED's from rows made
by our generator (no real ACLED file may be kept here)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds, synthetic
from georisk.feeds.refresh import refresh
from georisk.feeds.store import store_for
from georisk.scenario.dataset import load_dataset
from georisk.services import RetryPolicy, forget_tokens
from georisk.store import location
from tests.conftest import external, georisk_cli
from tests.fakes.acled_server import DEFAULT_EMAIL, DEFAULT_PASSWORD, AcledServer
from tests.fakes.ucdp_server import DEFAULT_TOKEN, UcdpServer, ged_rows
from tests.support import bundled

FAST = RetryPolicy(attempts=3, timeout=0.5, backoff=0.01, backoff_cap=0.05, max_retry_after=5)
UCDP_FILE = "ucdp_ged_pakistan.csv"
CONFIG = """
[refresh]
feeds = {feeds}
start = "{start}"
[refresh.ucdp]
country_id = 770
yearly = "{yearly}"
{candidate}
"""


@pytest.fixture(autouse=True)
def fresh_tokens():
    forget_tokens()
    yield
    forget_tokens()
    location.forget()


def acled_events(n: int = 60, seed: int = 5) -> list[dict]:
    data = bundled()
    frame = synthetic.to_acled(synthetic.incidents(n, data.incidents, data.boundaries, seed=seed), seed=seed)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def ucdp_events(first: str, last: str) -> list[dict]:
    return [r for r in ged_rows(external(UCDP_FILE)) if first <= r["date_start"][:10] <= last]


def configure(
    folder: Path, feeds=("acled", "ucdp"), yearly="21.1", candidate: str | None = "21.0.6", start="2014-01-01"
) -> None:
    (folder / "refresh.toml").write_text(
        CONFIG.format(
            feeds=list(feeds).__repr__().replace("'", '"'),
            start=start,
            yearly=yearly,
            candidate=f'candidate = "{candidate}"' if candidate else "",
        ),
        encoding="utf-8",
    )


def environ(acled: AcledServer | None, ucdp: UcdpServer | None, password: str = DEFAULT_PASSWORD) -> dict:
    env = {"ACLED_EMAIL": DEFAULT_EMAIL, "ACLED_PASSWORD": password, "UCDP_TOKEN": DEFAULT_TOKEN}
    if acled:
        env["GEORISK_ACLED_URL"] = acled.url
    if ucdp:
        env["GEORISK_UCDP_URL"] = ucdp.url
    return env


def pull(folder: Path, env: dict, feeds=None, budget: float = 20.0):
    return refresh(folder, feeds, budget=budget, actor="test", environ=env, policy=FAST)


@pytest.fixture
def services():
    yearly = ucdp_events("1989-01-01", "2020-12-31")
    candidate = ucdp_events("2021-06-01", "2021-06-30")
    with AcledServer(acled_events()) as acled, UcdpServer({"21.1": yearly, "21.0.6": candidate}) as ucdp:
        yield acled, ucdp


def test_a_first_refresh_brings_both_feeds_and_a_second_changes_nothing(data_copy, services):
    acled, ucdp = services
    configure(data_copy)
    env = environ(acled, ucdp)
    first = pull(data_copy, env)
    assert [o.run.outcome for o in first] == ["committed", "committed"], [o.line() for o in first]
    store = store_for(data_copy)
    held = {feed: len(store.held_events(feed)) for feed in ("acled", "ucdp")}
    assert held["acled"] > 40 and held["ucdp"] > 1000
    assert held == {o.feed: o.run.added for o in first}, "every new event is held"
    dataset = load_dataset(data_copy)
    assert len(dataset.incidents) == sum(held.values())
    assert set(dataset.incidents["incident_id"].str.split("-").str[0]) == {"ACLED", "UCDP"}
    versions, token = len(store.versions()), store.token()

    second = pull(data_copy, env)
    assert [o.run.outcome for o in second] == ["unchanged", "unchanged"], [o.line() for o in second]
    assert len(store.versions()) == versions and store.token() == token, "no new version"
    # The second ACLED pull was incremental: it asked only for events stamped since the first.
    reads = [s for s in acled.seen if s.path == "/api/acled/read"]
    assert "timestamp" not in reads[0].query and "timestamp" in reads[-1].query
    assert {f.feed for f in store.freshness()} == {"acled", "ucdp"}


def test_a_refreshed_event_is_the_same_as_that_event_imported_from_the_file(data_copy, tmp_path, services):
    _, ucdp = services
    ucdp.set_version("22.1", ged_rows(external(UCDP_FILE)))  # GED 22.1 covers 1989-2021
    configure(data_copy, feeds=("ucdp",), yearly="22.1", candidate=None, start="1989-01-01")
    (outcome,) = pull(data_copy, environ(None, ucdp))
    assert outcome.run.outcome == "committed", outcome.line()
    imported = tmp_path / "imported"
    feeds.import_file("ucdp", external(UCDP_FILE), imported_copy(data_copy, imported))
    refreshed = load_dataset(data_copy).incidents
    from_file = load_dataset(imported).incidents

    def comparable(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=["source_row"]).sort_values("incident_id").reset_index(drop=True)

    assert len(refreshed) == len(from_file) > 1000
    pd.testing.assert_frame_equal(comparable(refreshed), comparable(from_file))


def imported_copy(source: Path, target: Path) -> Path:
    """A second copy of the scenario with no store, for the file import to go into."""
    import shutil

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("state", "refresh.toml"))
    return target


def test_revised_new_and_deleted_acled_events_are_merged_by_event_id(data_copy, services):
    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    env = environ(acled, ucdp)
    pull(data_copy, env)
    store = store_for(data_copy)
    held = set(store.held_events("acled")["event_id"])
    revised, deleted = sorted(held)[:2]
    acled.revise(revised.removeprefix("ACLED-"), fatalities="17")
    acled.delete(deleted.removeprefix("ACLED-"))
    new = acled_events(3, seed=77)
    for i, row in enumerate(new):
        row["event_id_cnty"] = f"PAKNEW{i}"
    acled.add(new)

    (outcome,) = pull(data_copy, env)
    run = outcome.run
    kept_new = len([e for e in store.held_events("acled")["event_id"] if e.startswith("ACLED-PAKNEW")])
    assert (run.outcome, run.revised, run.withdrawn) == ("committed", 1, 1), outcome.line()
    assert run.added == kept_new >= 1, "the new events that are political violence are added"
    history = store.revisions("acled", revised)
    assert [r["revision"] for r in history] == [1, 2] and history[-1]["record"]["killed"] == 17
    assert history[0]["record"]["killed"] != 17, "the earlier version is kept"
    gone = store.revisions("acled", deleted)
    assert gone[-1]["withdrawn"] and gone[0]["record"] is not None, "withdrawn, not deleted"
    shown = load_dataset(data_copy).incidents.set_index("incident_id")
    assert deleted not in shown.index and shown.loc[revised, "killed"] == 17


def test_candidate_events_give_way_to_the_yearly_release_that_covers_them(data_copy, services):
    _, ucdp = services
    configure(data_copy, feeds=("ucdp",))
    env = environ(None, ucdp)
    pull(data_copy, env)
    store = store_for(data_copy)
    june = ucdp_events("2021-06-01", "2021-06-30")
    candidates = {f"UCDP-{r['id']}" for r in june} & set(store.held_events("ucdp")["event_id"])
    assert len(candidates) > 10
    # The yearly release for 2021 confirms all of June's events but two, and revises one.
    dropped = sorted(candidates)[:2]
    confirmed = [dict(r) for r in ucdp_events("1989-01-01", "2021-12-31") if f"UCDP-{r['id']}" not in dropped]
    changed = next(
        r for r in confirmed if f"UCDP-{r['id']}" in candidates and f"UCDP-{r['id']}" not in dropped
    )
    changed["best"] = int(changed["best"]) + 5
    ucdp.set_version("22.1", confirmed)
    configure(data_copy, feeds=("ucdp",), yearly="22.1", candidate=None)

    (outcome,) = pull(data_copy, env)
    run = outcome.run
    assert run.outcome == "committed" and run.withdrawn == 2 and run.revised >= 1, outcome.line()
    held = set(store.held_events("ucdp")["event_id"])
    assert not held & set(dropped) and f"UCDP-{changed['id']}" in held


# ACLED's API gives no total, so a page that goes missing at the end looks like the end of the data
# (docs/services.md): "missing" is a fault only UCDP's counts reveal.
@pytest.mark.parametrize(
    "fault, feed",
    # Each client's tests (test_services.py) meet every fault; here, that the store loses nothing.
    [(f, "acled") for f in ("500", "malformed", "drop", "repeat")]
    + [(f, "ucdp") for f in ("truncated", "missing", "repeat")],
)
def test_a_network_fault_that_persists_costs_no_data(data_copy, services, fault, feed):
    acled, ucdp = services
    configure(data_copy, feeds=(feed,))
    env = environ(acled, ucdp)
    pull(data_copy, env)
    store = store_for(data_copy)
    before_version, before = store.in_use(), load_dataset(data_copy).incidents
    new = acled_events(5, seed=99)
    for i, row in enumerate(new):
        row["event_id_cnty"] = f"PAKNEW{i}"
    acled.add(new)  # something new, which the failing pull must not half-bring
    server = acled if feed == "acled" else ucdp
    server.inject(fault, range(server.requests + 1, server.requests + 40))

    (outcome,) = pull(data_copy, env, budget=5)
    assert outcome.run.outcome == "failed" and outcome.run.reason, outcome.line()
    assert store.in_use() == before_version
    pd.testing.assert_frame_equal(load_dataset(data_copy).incidents, before)
    (fresh,) = store.freshness()
    assert fresh.last_failure and fresh.failure_reason, "the failure shows beside the last success"


def test_a_fault_that_passes_is_retried_and_the_batch_is_complete(data_copy, services):
    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    acled.inject("503", 2)  # the first page, once
    acled.inject("429", 4, retry_after="0")  # the second page, once
    (outcome,) = pull(data_copy, environ(acled, ucdp))
    assert outcome.run.outcome == "committed", outcome.line()
    direct = feeds.run("acled", _export(acled), "x.csv", feeds.context_for(data_copy))[0]
    assert outcome.run.added == len(direct)


def _export(acled: AcledServer) -> bytes:
    return pd.DataFrame(list(acled.events.values())).to_csv(index=False).encode("utf-8")


def test_wrong_credentials_fail_with_a_reason_that_never_shows_them(data_copy, services, caplog):
    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    secret = "s3cret-Passw0rd-never-shown"
    (outcome,) = pull(data_copy, environ(acled, ucdp, password=secret))
    assert outcome.run.outcome == "failed" and "credentials" in outcome.run.reason.lower()
    shown = [
        outcome.line(),
        outcome.run.reason,
        repr(outcome),
        caplog.text,
        *map(repr, store_for(data_copy).runs()),
    ]
    assert not any(secret in text for text in shown)


def test_one_refresh_at_a_time(data_copy, services):
    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    env = environ(acled, ucdp)
    store = store_for(data_copy)
    other = type(store)(store.url)  # another process's holder on the same store
    with other.locked("refresh", name="refresh"):
        (outcome,) = pull(data_copy, env)
    assert outcome.skipped and outcome.ok and store.runs() == [], "nothing ran, nothing recorded"
    # Two started at once: one pulls, the other finds it running; one batch either way.
    results: list = []
    threads = [threading.Thread(target=lambda: results.extend(pull(data_copy, env))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    committed = [r for r in store.runs() if r.outcome == "committed"]
    assert len(committed) == 1 and len(results) == 2 and all(o.ok for o in results)


def test_the_command_line_refreshes_and_reports_freshness(data_copy, services, monkeypatch):
    acled, ucdp = services
    configure(data_copy)
    for key, value in environ(acled, ucdp).items():
        monkeypatch.setenv(key, value)
    done = georisk_cli("refresh", "--data", str(data_copy), "--budget", "30")
    assert done.returncode == 0, done.stderr
    assert "acled: committed" in done.stdout and "ucdp: committed" in done.stdout
    status = georisk_cli("status", "--data", str(data_copy))
    assert status.returncode == 0 and '"ok": true' in status.stdout and '"feed": "ucdp"' in status.stdout
    monkeypatch.setenv("GEORISK_STALE_AFTER_HOURS", "0.00001")
    status = georisk_cli("status", "--data", str(data_copy))
    assert status.returncode == 1 and '"stale": true' in status.stdout


def test_the_ucdp_window_end_is_today():
    from georisk.feeds.refresh import RefreshConfig

    assert RefreshConfig(start=date(2020, 1, 1)).window(date(2026, 12, 1)) == (
        date(2020, 1, 1),
        date(2026, 12, 1),
    )


def test_a_refresh_an_import_and_a_restore_at_once_leave_a_consistent_store(data_copy, services):
    """Started together, each commits whole or not at all and in some order; the store ends
    consistent (every event's revisions in order, the snapshot equal to the current revisions)
    and every event of every committed batch has its revision from that batch."""
    from tests.unit.test_store import check_consistent

    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    env = environ(acled, ucdp)
    pull(data_copy, env)
    store = store_for(data_copy)
    first = store.in_use()
    for event in sorted(acled.events)[:5]:
        acled.revise(event, fatalities="42")
    acled.delay = 0.2  # the refresh is still pulling when the others start
    start = threading.Barrier(3)
    done: dict[str, object] = {}

    def refreshing():
        start.wait()
        done["refresh"] = pull(data_copy, env)[0].run

    def importing():
        start.wait()
        done["import"] = feeds.import_file("ucdp", external(UCDP_FILE), data_copy)[2]

    def restoring():
        start.wait()
        done["restore"] = store.restore(first, actor="test")

    threads = [threading.Thread(target=f) for f in (refreshing, importing, restoring)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {name: run.outcome for name, run in done.items()} == dict.fromkeys(done, "committed")
    assert done["refresh"].revised == 5
    check_consistent(store)
    for name, run in done.items():  # each batch's revisions are there, from that batch
        with store.engine.connect() as conn:
            from georisk.store import tables as t

            written = (
                conn.execute(
                    t.incidents.select()
                    .with_only_columns(t.incidents.c.event_id)
                    .where(t.incidents.c.run_seq == run.seq)
                )
                .scalars()
                .all()
            )
        assert len(written) == run.added + run.revised + run.withdrawn, name


def test_a_refresh_from_the_data_page_runs_in_the_server_and_is_shared(data_copy, services, monkeypatch):
    """The Data page's refresh is a job of the process: it goes on whatever its page does, and an
    analyst who opens the page meanwhile follows the same job rather than starting another."""
    import time

    from georisk.app import refresh_job

    acled, ucdp = services
    configure(data_copy, feeds=("acled",))
    for key, value in environ(acled, ucdp).items():
        monkeypatch.setenv(key, value)
    acled.delay = 0.2
    job = refresh_job.start(data_copy, "ana@example.org")
    assert refresh_job.start(data_copy, "ben@example.org") is job and refresh_job.running(data_copy) is job
    deadline = time.monotonic() + 60
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    (outcome,) = job.outcomes
    assert outcome.run.outcome == "committed" and outcome.run.actor == "ana@example.org"
    assert any(line.startswith("acled:") for line in job.lines), "its progress was kept for the page"
    assert refresh_job.running(data_copy) is None
