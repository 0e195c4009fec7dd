"""Watch rules: what a rule accepts, what it matches (distance, severity, precision, filters), and
what the evaluation of a batch raises, updates and withdraws, in the store (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from georisk.alerts import deliver, matching, preview, sync
from georisk.alerts.rules import (
    RuleError,
    parse_rule,
    read_rules_file,
    rule_from_dict,
    rules_toml,
    vocabulary_of,
)
from georisk.model.context import context_for, shared
from georisk.scenario.dataset import load_dataset
from georisk.store.alerts import AlertBook
from tests.support import bundled

ALLOW = {"GEORISK_WEBHOOK_ALLOW": "127.0.0.1/32"}


def vocabulary():
    return vocabulary_of(bundled())


def problems(data: dict, **options) -> dict[str, str]:
    with pytest.raises(RuleError) as caught:
        parse_rule(data, vocabulary(), **options)
    return dict(caught.value.problems)


def near_pipeline(km: float, **fields) -> dict:
    """An incident `km` from the gas pipeline (nsgp), measured as the model measures."""
    data = bundled()
    ctx = shared(data)
    line = ctx.projection.to_metric(data.sites.set_index("site_id").at["nsgp", "geometry"])
    point = ctx.projection.to_degrees(line.offset_curve(km * 1000).interpolate(0.5, normalized=True))
    return {
        "incident_id": fields.pop("incident_id", f"T{km:g}"),
        "date": pd.Timestamp("2016-06-01"),
        "lat": point.y,
        "lon": point.x,
        "geo_precision": "town",
        "location": "Test place",
        "district": None,
        "province": "Punjab",
        "group": "Test group",
        "actor_family": "IS-Khorasan",
        "attribution": "claimed",
        "attack_type": "bombing",
        "target_type": "energy infrastructure",
        "killed": 0,
        "wounded": 0,
        "location_flag": None,
        **fields,
    }


def matched(rule_data: dict, incidents: list[dict]) -> pd.DataFrame:
    data = bundled()
    rule = parse_rule(rule_data, vocabulary_of(data))
    frame = pd.DataFrame(incidents)
    ctx = context_for(frame, data.threat_levels, data.actors, data.boundaries, data.sites)
    found = matching.matches([rule], ctx, data.sites)
    found["incident_id"] = [frame.at[p, "incident_id"] for p in found["position"]]
    return found


# -- rules


def test_bad_rules_say_which_field_is_wrong():
    found = problems({"id": "x", "name": "n", "watch": "site:nowhere", "tiers": [{"km": 0}]})
    assert "unknown site 'nowhere'" in found["watch"]
    assert "more than 0 km" in found["tiers[1].km"]
    found = problems(
        {"id": "Bad Id!", "name": "", "watch": "all", "tiers": [{"km": -5}], "families": ["Nobody"]}
    )
    assert set(found) >= {"id", "name", "tiers[1].km", "families"}
    assert "unknown actor family 'Nobody'" in found["families"]
    assert "at least one radius" in problems({"id": "x", "name": "n", "watch": "all"})["tiers"]
    assert (
        "not a time of day" in problems({"id": "x", "name": "n", "tiers": [{"km": 5}], "at": "25:99"})["at"]
    )
    assert (
        "time zone"
        in problems({"id": "x", "name": "n", "tiers": [{"km": 5}], "timezone": "Mars/Base"})["timezone"]
    )
    assert (
        "email address"
        in problems({"id": "x", "name": "n", "tiers": [{"km": 5}], "email": ["not-mail"]})["email"]
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest",
        "ftp://example.org/x",
    ],
)
def test_a_webhook_to_a_private_address_is_refused_unless_allowed(url):
    data = {"id": "x", "name": "n", "tiers": [{"km": 5}], "webhook": url}
    found = problems(data, check_webhook=sync.webhook_checker({}))
    assert "webhook" in found
    if url.startswith("http://127."):
        assert parse_rule(data, vocabulary(), sync.webhook_checker(ALLOW)).webhook == url


def test_a_rule_survives_its_stored_form_and_alerts_toml():
    rule = parse_rule(
        {
            "id": "pipe",
            "name": 'Pipeline "watch" \\ ünïcode',
            "watch": "site:nsgp",
            "tiers": [{"km": 50, "min_killed": 5}, {"km": 10}],
            "families": ["is-khorasan"],
            "cadence": "daily",
            "at": "6:30",
            "timezone": "Asia/Karachi",
        },
        vocabulary(),
    )
    assert rule.families == ("IS-Khorasan",) and rule.at == "06:30"
    assert rule_from_dict(rule.to_dict()) == rule
    again, messages = read_rules_file(rules_toml([rule]), vocabulary())
    assert messages == [] and [r.to_dict() for r in again] == [{**rule.to_dict(), "origin": "file"}]
    assert rule.words().startswith("Any incident within 10 km; 5 or more killed within 50 km of site")


def test_a_broken_alerts_toml_keeps_its_good_rules_and_names_the_bad_ones():
    text = """
[[rules]]
id = "good"
name = "Good"
tiers = [{ km = 10 }]

[[rules]]
id = "bad"
name = "Bad"
watch = "site:nowhere"
tiers = [{ km = 10 }]
"""
    rules, messages = read_rules_file(text, vocabulary())
    assert [r.id for r in rules] == ["good"]
    assert messages == ["alerts.toml, rule 2: rule 'bad': watch: unknown site 'nowhere'"]
    assert read_rules_file("[[rules]\n", vocabulary())[1][0].startswith("alerts.toml is not valid TOML")


# -- matching


def test_a_radius_matches_by_distance_severity_and_precision():
    rule = {
        "id": "pipe",
        "name": "n",
        "watch": "site:nsgp",
        "tiers": [{"km": 10}, {"km": 50, "min_killed": 5}],
    }
    incidents = [
        near_pipeline(8, incident_id="near"),
        near_pipeline(12, incident_id="too-far"),
        near_pipeline(30, incident_id="deadly-far", killed=6),
        near_pipeline(30, incident_id="mild-far", killed=2),
        near_pipeline(30, incident_id="unknown-toll", killed=None),
        near_pipeline(8, incident_id="province-point", geo_precision="province"),
        near_pipeline(8, incident_id="flagged", location_flag="a likely geocoding error"),
        near_pipeline(8, incident_id="near-25km", geo_precision="near"),
    ]
    found = matched(rule, incidents).set_index("incident_id")
    # A `near` point may be off by 25 km: it may match the 50 km radius (not reached: 0 killed),
    # never the 10 km one. A province's point and a flagged geocode never match a radius.
    assert sorted(found.index) == ["deadly-far", "near"]
    assert found.at["near", "distance_km"] == pytest.approx(8, abs=0.05)
    assert found.at["near", "tier_km"] == 10 and found.at["deadly-far", "tier_km"] == 50


def test_filters_and_provinces():
    incidents = [
        near_pipeline(8, incident_id="iskp"),
        near_pipeline(8, incident_id="ttp", actor_family="TTP"),
        near_pipeline(8, incident_id="police", target_type="police"),
    ]
    by_family = matched({"id": "f", "name": "n", "tiers": [{"km": 10}], "families": ["TTP"]}, incidents)
    assert list(by_family["incident_id"]) == ["ttp"]
    by_target = matched(
        {"id": "t", "name": "n", "tiers": [{"km": 10}], "target_types": ["police"]}, incidents
    )
    assert list(by_target["incident_id"]) == ["police"]
    province = matched(
        {"id": "p", "name": "n", "watch": "province:punjab"},
        [*incidents, near_pipeline(8, incident_id="sindh", province="Sindh", geo_precision="province")],
    )
    assert sorted(province["incident_id"]) == ["iskp", "police", "ttp"]
    assert province["site_id"].isna().all()


def test_the_preview_counts_a_rules_alerts_per_month_over_the_data():
    data = bundled()
    rule = parse_rule({"id": "wide", "name": "n", "tiers": [{"km": 200}]}, vocabulary_of(data))
    months = preview.per_month(rule, data)
    ctx = shared(data)
    expected = matching.matches([rule], ctx, data.sites)
    assert months["alerts"].sum() == len(expected) > 0
    assert months["month"].is_monotonic_increasing and (months["alerts"] >= 0).all()
    first = pd.Timestamp(data.incidents["date"].min()).to_period("M").to_timestamp()
    assert months["month"].iloc[0] == first


# -- digests


@pytest.mark.parametrize(
    ("cadence", "at", "expected"),
    [
        ("daily", "2024-05-01T01:00:00+00:00", "2024-04-30T02:00:00+00:00"),  # 07:00 Karachi = 02:00 UTC
        ("daily", "2024-05-01T02:00:00+00:00", "2024-05-01T02:00:00+00:00"),
        ("weekly", "2024-05-01T03:00:00+00:00", "2024-04-29T02:00:00+00:00"),  # the Monday before
    ],
)
def test_a_digest_is_due_at_its_local_time(cadence, at, expected):
    rule = parse_rule(
        {"id": "d", "name": "n", "tiers": [{"km": 5}], "cadence": cadence, "timezone": "Asia/Karachi"},
        vocabulary(),
    )
    assert deliver.last_due(rule, dt.datetime.fromisoformat(at)).isoformat() == expected


# -- the file and the page


def test_alerts_toml_is_reconciled_with_the_store(data_copy, store_url, monkeypatch):
    monkeypatch.setenv("GEORISK_STORE", store_url)
    from georisk.feeds.store import store_for

    book = AlertBook(store_for(data_copy))
    data = load_dataset(data_copy, with_store=False)
    page_rule = parse_rule({"id": "shared", "name": "Page", "tiers": [{"km": 5}]}, vocabulary_of(data))
    book.save_rule(page_rule.to_dict(), "page", "analyst")
    (data_copy / "alerts.toml").write_text(
        '[[rules]]\nid = "shared"\nname = "File"\ntiers = [{ km = 10 }]\n\n'
        '[[rules]]\nid = "more"\nname = "More"\ntiers = [{ km = 20 }]\n',
        encoding="utf-8",
    )
    messages = sync.sync_file_rules(book, data_copy, data)
    assert "added rule 'more'" in " ".join(messages)
    assert "made on the page, and alerts.toml defines it too" in " ".join(messages)
    assert book.rule("shared").definition["name"] == "File" and book.rule("shared").origin == "file"
    assert sync.sync_file_rules(book, data_copy, data) == [], "in line: nothing to say"
    (data_copy / "alerts.toml").write_text('[[rules]]\nid = "more"\nname = "More"\ntiers = [{ km = 25 }]\n')
    messages = sync.sync_file_rules(book, data_copy, data)
    assert "alerts.toml changed rule 'more': tiers." in messages
    assert "alerts.toml no longer has rule 'shared': it was retired (its alerts stay)." in messages
    (data_copy / "alerts.toml").write_text("[[rules]\n")
    messages = sync.sync_file_rules(book, data_copy, data)
    assert messages[0].startswith("alerts.toml is not valid TOML") and book.rule("more").deleted is False


def test_a_dead_receiver_holds_up_only_its_own_deliveries(data_copy):
    from georisk.feeds.store import store_for
    from georisk.store.alerts import Change, Outbox
    from tests.unit.test_alert_delivery import delivery_env, smtp_server

    book = AlertBook(store_for(data_copy))
    rule = parse_rule(
        {
            "id": "r",
            "name": "n",
            "tiers": [{"km": 5}],
            "webhook": "http://127.0.0.1:9/dead",
            "email": ["a@example.org"],
        },
        vocabulary(),
        sync.webhook_checker(ALLOW),
    )
    book.save_rule(rule.to_dict(), "page", "t")
    changes = [
        Change("raised", "r", f"k{i}", "incident", {"title": f"Alert {i}", "why": "w"}) for i in range(3)
    ]
    outbox = [
        Outbox("r", "webhook", "http://127.0.0.1:9/dead", "raised", (("r", f"k{i}"),)) for i in range(3)
    ]
    outbox.append(Outbox("r", "email", "a@example.org", "raised", (("r", "k0"),)))
    book.apply(None, changes, outbox)
    with smtp_server() as (inbox, port):
        env = delivery_env(port)
        tried = deliver.send_due(book, env)
    by_channel = {(d.channel, d.state, d.attempts) for d in tried}
    assert ("email", "sent", 1) in by_channel and len(inbox.envelopes) == 1
    webhooks = [d for d in book.deliveries() if d.channel == "webhook"]
    assert sorted((d.state, d.attempts) for d in webhooks) == [
        ("pending", 0),
        ("pending", 0),
        ("pending", 1),
    ], "the first failure ends the dead receiver's turn; the others wait, untouched"
    book.delete_rule("r")
    after = deliver.send_due(book, env, at=time.time() + 10_000)
    assert len(after) == 3 and {(d.state, d.outcome) for d in after} == {
        ("failed", "not sent: the rule was deleted")
    }
