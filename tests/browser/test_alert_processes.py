"""Alerts across two app processes on one PostgreSQL store, as behind a load balancer: a refresh
raises an alert for an incident 8 km from the pipeline; it shows on both processes' Alerts pages
in Chromium; an analyst acknowledges it with a note in one, and the other then shows it
acknowledged, with the note, and its Atom feed says so too."""

from __future__ import annotations

import re
import time
import urllib.request

import feedparser
from playwright.sync_api import expect

from georisk.alerts import evaluate
from georisk.alerts.rules import parse_rule, vocabulary_of
from georisk.feeds.store import store_for
from georisk.scenario.dataset import load_dataset
from georisk.store import location
from georisk.store.alerts import AlertBook
from tests.browser.conftest import settle, start_server
from tests.fakes.acled_server import AcledServer
from tests.pg import fresh_database
from tests.unit.test_alerts_end_to_end import acled_row
from tests.unit.test_refresh import acled_events, configure, environ, pull

NOTE = "Site security told <b>at once</b>"


def test_an_alert_acknowledged_in_one_process_is_acknowledged_in_the_other(
    browser, data_copy, postgres_url, monkeypatch
):
    (data_copy / "alerts.toml").unlink()  # the test's own rule only
    database = fresh_database(postgres_url)
    monkeypatch.setenv("GEORISK_STORE", database)
    location.forget()
    with AcledServer(acled_events(10)) as acled:
        configure(data_copy, feeds=("acled",))
        env = environ(acled, None)
        pull(data_copy, env)
        book = AlertBook(store_for(data_copy))
        rule = parse_rule(
            {"id": "pipe", "name": "Near the pipeline", "watch": "site:nsgp", "tiers": [{"km": 10}]},
            vocabulary_of(load_dataset(data_copy, with_store=False)),
        )
        token = book.save_rule(rule.to_dict(), "page", "analyst").feed_token
        acled.add([acled_row(8)])
        pull(data_copy, env)
        assert evaluate.evaluate_and_send(data_copy, env).raised == 1
    location.forget()

    servers = [start_server(data_copy, {"GEORISK_STORE": database}) for _ in range(2)]
    try:
        (_, first), (_, second) = servers
        page = browser.new_context().new_page()
        page.goto(f"{first}/Alerts")
        settle(page)
        expect(page.get_by_text(re.compile(r"8\.0 km from North–South gas pipeline")).first).to_be_visible()
        page.get_by_label("Note").fill(NOTE)
        page.get_by_role("button", name="Acknowledge").click()
        settle(page)
        expect(page.get_by_text("acknowledged", exact=True).first).to_be_visible()
        [stored] = AlertBook(store_for(data_copy)).alerts(rule_id="pipe")
        assert stored["state"] == "acknowledged" and stored["note"] == NOTE and stored["by"] == "analyst"

        other = browser.new_context().new_page()
        other.goto(f"{second}/Alerts")
        settle(other)
        expect(other.get_by_text("acknowledged", exact=True).first).to_be_visible()
        expect(other.get_by_text(NOTE, exact=False).first).to_be_visible()
        # The note is text: its markup is not drawn as bold.
        assert other.locator("b", has_text="at once").count() == 0
        deadline = time.time() + 30
        while True:
            with urllib.request.urlopen(f"{second}/alerts/feed/{token}.atom", timeout=10) as answer:
                parsed = feedparser.parse(answer.read())
            if parsed.entries and parsed.entries[0].tags[0].term == "acknowledged" or time.time() > deadline:
                break
            time.sleep(1)
        assert not parsed.bozo and parsed.entries[0].tags[0].term == "acknowledged"
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)
