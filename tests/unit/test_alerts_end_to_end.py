"""Alerts end to end: ACLED's local stand-in publishes an incident 8 km from the gas pipeline, a
refresh brings it, and the rule's alert appears in the store, in the Atom feed (parsed by
feedparser), as one signed webhook to a local receiver that checks the signature, and in an email
digest captured by a local SMTP server. A second refresh raises nothing; revising the incident
updates the alert; withdrawing it withdraws the alert."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.server
import json
import threading
import time

import feedparser
import pytest
from starlette.requests import Request

from georisk.alerts import deliver, evaluate, webhook
from georisk.alerts.rules import parse_rule, vocabulary_of
from georisk.app import routes
from georisk.feeds.store import store_for
from georisk.scenario.dataset import load_dataset
from georisk.store.alerts import AlertBook
from tests.app.test_alerts_page import alerts_page_at, texts
from tests.fakes.acled_server import AcledServer
from tests.unit.test_alert_delivery import delivery_env, smtp_server
from tests.unit.test_alerts import near_pipeline
from tests.unit.test_refresh import acled_events, configure, environ, pull


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook receiver that keeps every request and whether its signature checked out."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = ""
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = webhook.verify(self.server.secret, self.headers.get(webhook.SIGNATURE, ""), body)
        self.server.requests.append({"ok": ok, "headers": dict(self.headers), "json": json.loads(body)})
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def own_rules(data_copy):
    """The test's own rules only: the bundled alerts.toml would raise alerts of its own."""
    (data_copy / "alerts.toml").unlink()
    return data_copy


def acled_row(km: float, event_id: str = "PAK9001", **changes) -> dict:
    """An ACLED API row for an incident `km` from the pipeline (the rest from a generated row)."""
    place = near_pipeline(km)
    row = dict(acled_events(1)[0])
    row.update(
        {
            "event_id_cnty": event_id,
            "event_date": "2016-06-01",
            "latitude": round(place["lat"], 5),
            "longitude": round(place["lon"], 5),
            "geo_precision": 1,
            "admin1": "Punjab",
            "admin2": "Rahim Yar Khan",
            "location": "Sadiqabad",
            "fatalities": 0,
            "notes": "<script>alert(1)</script> attack near the line",
            **changes,
        }
    )
    return row


def feed(data_dir, token: str, monkeypatch) -> feedparser.FeedParserDict:
    monkeypatch.setenv("GEORISK_DATA", str(data_dir))
    request = Request(
        {"type": "http", "method": "GET", "path": "/", "path_params": {"token": token}, "headers": []}
    )
    answer = routes.alert_feed(request)
    assert answer.status_code == 200 and answer.media_type.startswith("application/atom+xml")
    parsed = feedparser.parse(answer.body)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def test_an_incident_near_the_pipeline_is_alerted_once_updated_and_withdrawn(
    own_rules, data_copy, receiver, monkeypatch, app_env
):
    with AcledServer(acled_events(20)) as acled, smtp_server() as (inbox, port):
        configure(data_copy, feeds=("acled",))
        env = {
            **environ(acled, None),
            **delivery_env(port),
            "GEORISK_PUBLIC_URL": "https://risk.example.org",
        }
        (first,) = pull(data_copy, env)
        assert first.run.outcome == "committed"
        book = AlertBook(store_for(data_copy))
        vocabulary = vocabulary_of(load_dataset(data_copy, with_store=False))
        hostile = "Pipeline <b>watch</b> **now**"
        rule = parse_rule(
            {
                "id": "pipe",
                "name": hostile,
                "watch": "site:nsgp",
                "tiers": [{"km": 10}],
                "webhook": receiver.url,
            },
            vocabulary,
        )
        stored = book.save_rule(rule.to_dict(), "page", "analyst")
        digest = parse_rule(
            {
                "id": "daily",
                "name": "Daily <b>digest</b>",
                "watch": "all",
                "tiers": [{"km": 10}],
                "cadence": "daily",
                "email": ["desk@example.org"],
            },
            vocabulary,
        )
        book.save_rule(digest.to_dict(), "page", "analyst")
        receiver.secret = stored.webhook_secret
        time.sleep(1.1)  # a rule sees runs that finished after it was made (stamps are per second)
        assert evaluate.evaluate_and_send(data_copy, env).raised == 0, "the first refresh predates the rules"

        acled.add([acled_row(8)])
        pull(data_copy, env)
        outcome = evaluate.evaluate_and_send(data_copy, env)
        assert outcome.raised == 2, outcome  # the pipeline rule and the digest rule
        [alert] = book.alerts(rule_id="pipe")
        assert alert["state"] == "open" and alert["event_id"] == "ACLED-PAK9001"
        assert alert["distance_km"] == pytest.approx(8, abs=0.1)
        assert "km from North–South gas pipeline" in alert["details"]["why"]
        assert alert["details"]["links"]["map"].startswith("https://risk.example.org/Map?")

        # On the Alerts page (AppTest; Chromium: tests/browser/test_alert_processes.py).
        page = alerts_page_at(app_env, data_copy)
        assert "8.0 km from North–South gas pipeline (Karachi–Lahore), within the rule's 10 km" in texts(page)

        [request] = receiver.requests
        assert request["ok"], "the signature checks out with the rule's secret"
        assert request["headers"]["X-Georisk-Event"] == "raised"
        sent = request["json"]
        assert sent["rule"]["name"] == hostile and sent["alerts"][0]["id"] == alert["id"]
        assert [d.state for d in book.deliveries(rule_id="pipe")] == ["sent"]

        parsed = feed(data_copy, stored.feed_token, monkeypatch)
        assert parsed.feed.title == f"Georisk: {hostile}", "hostile text stays text"
        [entry] = parsed.entries
        assert entry.title.startswith("bombing") or "Sadiqabad" in entry.title
        assert "8.0 km" in entry.summary and entry.link.startswith("https://risk.example.org/Map?")
        everything = feed(data_copy, book.all_feed_token(), monkeypatch)
        assert len(everything.entries) == 2

        # The digest at its time: one email with the alert and its link.
        assert inbox.envelopes == []
        tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        assert deliver.queue_digests(book, tomorrow) == 1
        deliver.send_due(book, env)
        [envelope] = inbox.envelopes
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert envelope.rcpt_tos == ["desk@example.org"] and "1 alert" in message["Subject"]
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Sadiqabad" in plain and "https://risk.example.org/Map?" in plain
        assert "Daily &lt;b&gt;digest&lt;/b&gt;" in html and "<b>digest</b>" not in html, (
            "the rule name is text"
        )
        assert deliver.queue_digests(book, tomorrow) == 0, "one digest per due time"

        # A second refresh brings nothing new (an incremental pull of no row is an empty export,
        # not a failure): nothing is raised or sent.
        (again,) = pull(data_copy, env)
        assert again.run.outcome == "unchanged", again.line()
        assert evaluate.evaluate_and_send(data_copy, env).raised == 0
        assert len(receiver.requests) == 1

        # The feed revises the incident: the alert is updated and says what changed.
        acled.revise("PAK9001", fatalities=3)
        pull(data_copy, env)
        assert evaluate.evaluate_and_send(data_copy, env).updated == 2
        [alert] = book.alerts(rule_id="pipe")
        assert alert["state"] == "open" and alert["revision"] == 2
        assert "killed 0 → 3" in alert["details"]["change"]
        assert [r["headers"]["X-Georisk-Event"] for r in receiver.requests] == ["raised", "updated"]
        assert all(r["ok"] for r in receiver.requests)

        # An analyst acknowledges it; the feed then withdraws the incident: the alert is withdrawn.
        book.act(alert["id"], "acknowledged", "ana@example.org", "Security manager informed")
        acled.delete("PAK9001")
        (withdrawal,) = pull(data_copy, env)
        assert withdrawal.run.withdrawn == 1, withdrawal.line()
        assert evaluate.evaluate_and_send(data_copy, env).withdrawn == 2
        [alert] = book.alerts(rule_id="pipe")
        assert alert["state"] == "withdrawn"
        assert [a["action"] for a in book.actions(alert["id"])] == [
            "raised",
            "updated",
            "acknowledged",
            "withdrawn",
        ]
        assert receiver.requests[-1]["headers"]["X-Georisk-Event"] == "withdrawn"
        assert feed(data_copy, stored.feed_token, monkeypatch).entries[0].title.startswith("Withdrawn: ")

        # The feed publishes the event again: its alert is back, open, and says what changed.
        acled.add([acled_row(8, fatalities=1, timestamp="")])  # stamped now, as ACLED would
        (back,) = pull(data_copy, env)
        assert back.run.outcome == "committed", back.line()
        assert evaluate.evaluate_and_send(data_copy, env).updated == 2
        [alert] = book.alerts(rule_id="pipe")
        assert alert["state"] == "open" and "killed 3 → 1" in alert["details"]["change"]


def test_a_failing_webhook_is_retried_later_and_holds_up_nothing(own_rules, data_copy, monkeypatch):
    with AcledServer(acled_events(5)) as acled, smtp_server() as (inbox, port):
        configure(data_copy, feeds=("acled",))
        env = {
            **environ(acled, None),
            **delivery_env(port),
        }
        pull(data_copy, env)
        book = AlertBook(store_for(data_copy))
        vocabulary = vocabulary_of(load_dataset(data_copy, with_store=False))
        # Nothing listens on port 9: the webhook fails; the email of the same rule still goes.
        rule = parse_rule(
            {
                "id": "pipe",
                "name": "n",
                "watch": "site:nsgp",
                "tiers": [{"km": 10}],
                "webhook": "http://127.0.0.1:9/hook",
                "email": ["desk@example.org"],
            },
            vocabulary,
        )
        book.save_rule(rule.to_dict(), "page", "analyst")
        time.sleep(1.1)
        acled.add([acled_row(8)])
        (outcome,) = pull(data_copy, env)
        assert outcome.run.outcome == "committed", "the refresh itself is not held up"
        evaluate.evaluate_and_send(data_copy, env, send_budget=30)
        by_channel = {d.channel: d for d in book.deliveries(rule_id="pipe")}
        assert by_channel["email"].state == "sent" and len(inbox.envelopes) == 1
        failed = by_channel["webhook"]
        assert failed.state == "pending" and failed.attempts == 1 and failed.next_at > time.time() + 30
        assert "refused" in failed.outcome.lower() or "connect" in failed.outcome.lower()
        assert book.due() == [], "not before its back-off"
        assert [d.id for d in book.due(at=failed.next_at + 1)] == [failed.id]


def test_a_band_rule_fires_when_the_sites_band_rises_and_a_threat_rule_when_a_rating_rises(
    own_rules, data_copy
):
    with AcledServer(acled_events(5)) as acled:
        configure(data_copy, feeds=("acled",))
        env = {**environ(acled, None)}
        pull(data_copy, env)
        book = AlertBook(store_for(data_copy))
        vocabulary = vocabulary_of(load_dataset(data_copy, with_store=False))
        for data in (
            {"id": "band", "name": "Pipeline band", "kind": "band", "watch": "site:nsgp"},
            {"id": "threat", "name": "Punjab threat", "kind": "threat", "watch": "province:Punjab"},
        ):
            book.save_rule(parse_rule(data, vocabulary).to_dict(), "page", "analyst")
        assert evaluate.evaluate_and_send(data_copy, env).raised == 0, "the first look only remembers"
        before = book.watched("band")["band:nsgp"]
        last = load_dataset(data_copy).incidents["date"].max().date().isoformat()
        acled.add([acled_row(2, event_id=f"PAK95{i:02d}", event_date=last, fatalities=40) for i in range(30)])
        pull(data_copy, env)
        evaluate.evaluate_and_send(data_copy, env)
        after = book.watched("band")["band:nsgp"]
        assert after != before, "thirty deadly attacks on the line move its band"
        [alert] = book.alerts(rule_id="band")
        assert alert["details"]["title"] == (
            f"Risk band of North–South gas pipeline (Karachi–Lahore) rose: {before} → {after}"
        )
        assert alert["site_id"] == "nsgp" and alert["details"]["why"]
        assert evaluate.evaluate_and_send(data_copy, env).raised == 0, "no change, no alert"

        # The analysts rate Punjab higher for the period in force: the threat rule fires.
        threat = book.watched("threat")["threat:Punjab"]
        assert threat != "5", "the bundled rating is lower"
        with (data_copy / "threat_levels.csv").open("a", encoding="utf-8") as ratings:
            ratings.write(f"T999,Punjab,{last[:4]}-01-01,{last[:4]}-12-31,all,5,Test rise,Test rating,low,\n")
        assert evaluate.evaluate_and_send(data_copy, env).raised == 1
        [alert] = book.alerts(rule_id="threat")
        assert alert["details"]["title"] == f"Threat rating of Punjab rose: {threat} → 5"
        assert alert["province"] == "Punjab" and alert["site_id"] is None
