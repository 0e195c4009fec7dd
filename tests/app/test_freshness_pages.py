"""Freshness on the pages: each source's stamp in every page's sidebar, the Overview's warning when
the risk rests on stale data, the Data page's runs table, and its Refresh-now button."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from georisk import feeds
from georisk.store import location
from georisk.store import tables as t
from georisk.store.database import Run
from tests.conftest import open_page, shown
from tests.hostile import HOSTILE
from tests.support import ACLED_HEADER, PAGES, acled_row

FORMULA = '=HYPERLINK("http://127.0.0.1:9/")'


@pytest.fixture
def refresh_module():
    import georisk.feeds.refresh as module

    return module


@pytest.fixture
def analyst(monkeypatch):
    """A local run (loopback, no sign-in, not read-only): its user is an analyst."""
    before = streamlit_config.get_option("server.address")
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    streamlit_config.set_option("server.address", "127.0.0.1")
    yield
    streamlit_config.set_option("server.address", before)


@pytest.fixture(autouse=True)
def fresh_stores():
    location.forget()
    yield
    location.forget()


def old_import(data_dir: Path, days: int = 3) -> None:
    """An ACLED import in use whose run finished `days` ago, then a failed refresh 20 minutes ago
    whose label and reason are hostile text."""
    path = data_dir / "feed.csv"
    path.write_text("\n".join([ACLED_HEADER, *[acled_row(f"PAK{i}") for i in range(1, 6)]]), encoding="utf-8")
    feeds.import_file("acled", path, data_dir)
    store = location.open_store(data_dir)
    failed = store.record_failure(
        "refresh", "acled", f"{FORMULA} {HOSTILE}", f"{FORMULA} {HOSTILE}", time.time()
    )
    now = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        for when, runs in (
            (dt.timedelta(days=days, minutes=5), t.runs.c.id != failed.id),
            (dt.timedelta(minutes=20, seconds=30), t.runs.c.id == failed.id),
        ):
            then = (now - when).isoformat(timespec="seconds")
            conn.execute(sa.update(t.runs).where(runs).values(started=then, finished=then))
    location.forget()  # the freshness read before the change is not kept


def assert_text(value: str) -> None:
    """Hostile text shown as the characters it holds: escaped for Markdown, nothing left to render."""
    assert HOSTILE in shown(value), value
    assert "<script>" not in value and "](javascript:" not in value, value


def test_every_page_stamps_its_sources_and_warns_of_stale_data(
    app_env, data_copy, refresh_module, monkeypatch
):
    old_import(data_copy)
    monkeypatch.setenv(refresh_module.STALE_ENV, "1")
    app_env(data_copy)
    at = open_page()
    assert not at.exception, at.exception
    headline = [shown(w.value) for w in at.main.warning if "stale data" in w.value]
    assert headline == ["The risk rests on stale data: ACLED last updated 3 days ago (limit 1 h)."]
    for page in [None, *PAGES]:
        if page:
            at.switch_page(page).run()
            assert not at.exception, (page, at.exception)
        (stamp,) = [w for w in at.sidebar.warning if "ACLED: updated" in shown(w.value)]
        assert stamp.icon == ":material/schedule:", page
        text = shown(stamp.value)
        assert text.startswith("ACLED: updated 3 days ago, events to 15 Dec 2016 (stale: limit 1 h)"), text
        assert "last refresh failed 20 min ago: " in text, text
        assert_text(stamp.value)


def test_the_curated_file_is_stamped_and_never_stale(app_env, data_copy, refresh_module, monkeypatch):
    monkeypatch.setenv(refresh_module.STALE_ENV, "0.001")
    app_env(data_copy)
    at = open_page()
    assert not at.exception
    stamps = [shown(c.value) for c in at.sidebar.caption if "incidents.csv" in shown(c.value)]
    assert stamps == [":material/update: curated incidents.csv: events to 17 Dec 2017"], stamps
    assert not [w for w in at.warning if "stale" in w.value]


def test_the_runs_table_lists_every_run_and_shows_a_report_as_text(app_env, data_copy, analyst):
    old_import(data_copy)
    app_env(data_copy)
    at = open_page("pages/4_Data.py")
    assert not at.exception, at.exception
    (runs,) = [d.value for d in at.dataframe if "outcome" in d.value.columns]
    assert list(runs["outcome"]) == ["failed", "committed (in use)"], "newest first"
    assert list(runs["by"]) == ["", "command line"]
    assert runs.at[0, "reason"] == f"'{FORMULA} {HOSTILE}", "a formula is neutralised, text kept whole"
    assert (runs.at[1, "fetched"], runs.at[1, "new"], runs.at[1, "rejected"]) == (5, 5, 0)
    at.selectbox(key="runs.pick").set_value(runs.at[0, "run"]).run()
    (reason,) = [m.value for m in at.markdown if m.value.startswith("**Failed**")]
    assert_text(reason)
    assert any("stopped before any row was read" in c.value for c in at.caption)
    at.selectbox(key="runs.pick").set_value(runs.at[1, "run"]).run()
    assert any("read=5 imported=5" in m.value for m in at.markdown), "the import's report"


def refresh_page(app_env, data_copy, refresh_module, monkeypatch, outcomes) -> tuple[AppTest, list]:
    """The Data page with `refresh` replaced by one that reports progress and gives `outcomes`;
    the calls it received."""
    calls = []

    def fake_refresh(data_dir, feeds=None, budget=0, actor="", progress=None):
        calls.append((Path(data_dir), actor))
        progress(f"ACLED: pulling {HOSTILE}")
        return outcomes

    monkeypatch.setattr(refresh_module, "refresh", fake_refresh)
    app_env(data_copy)
    at = open_page("pages/4_Data.py")
    assert not at.exception, at.exception
    at.button(key="refresh.now").click().run()
    assert not at.exception, at.exception
    return at, calls


def a_run(outcome: str, reason: str | None = None) -> Run:
    return Run(
        1,
        "20261201T000000Z-acled-abc123",
        "2026-12-01T00:00:00+00:00",
        "2026-12-01T00:00:09+00:00",
        "refresh",
        "acled",
        "ACLED API",
        outcome,
        reason,
        7,
        3,
        1,
        0,
        0,
        9.0,
        10,
        "2026-11-28",
        None,
        "x",
    )


def test_refresh_now_shows_progress_then_each_outcome(
    app_env, data_copy, analyst, refresh_module, monkeypatch
):
    outcomes = [
        refresh_module.Outcome("acled", run=a_run("committed")),
        refresh_module.Outcome("ucdp", run=a_run("failed", f"timeout {HOSTILE}")),
    ]
    at, calls = refresh_page(app_env, data_copy, refresh_module, monkeypatch, outcomes)
    assert calls == [(data_copy, "Data page")]
    (status,) = at.status
    assert (
        status.label == "Refresh finished; a feed failed and kept its incidents" and status.state == "error"
    )
    lines = [m.value for m in status.markdown]
    assert_text(lines[0])  # the progress line, as it came
    assert shown(lines[1]).endswith(
        "acled: committed (fetched=7 new=3 revised=1 withdrawn=0 rejected=0) "
        "in 9.0 s, version 20261201T000000Z-acled-abc123"
    )
    assert "ucdp: failed, nothing changed: timeout" in shown(lines[2])
    assert_text(lines[2])


def test_refresh_now_says_when_another_refresh_is_running(
    app_env, data_copy, analyst, refresh_module, monkeypatch
):
    skipped = [
        refresh_module.Outcome(f, skipped="another refresh is running (the writer)")
        for f in ("acled", "ucdp")
    ]
    at, _ = refresh_page(app_env, data_copy, refresh_module, monkeypatch, skipped)
    (status,) = at.status
    assert status.label == "Skipped: another refresh is running"
    assert any("acled: skipped, another refresh is running" in shown(m.value) for m in status.markdown)


def test_a_store_that_cannot_be_read_is_said_on_every_page_not_hidden(app_env, data_copy, monkeypatch):
    """The curated incidents stand in, and every page says why they are shown; the reason, which
    names the server's store, only to an analyst."""
    monkeypatch.setenv(location.STORE_ENV, "postgresql+psycopg://reader:s3cretpw@127.0.0.1:1/georisk")
    location.forget()
    app_env(data_copy)
    for page in [None, *PAGES]:
        at = open_page(page)
        assert not at.exception, (page, at.exception)
        (warning,) = [w.value for w in at.sidebar.warning if "store" in w.value]
        assert "curated incidents are shown" in warning and "the server's log says why" in warning, page
        assert "127.0.0.1" not in warning and "s3cretpw" not in warning
    location.forget()
