"""The MCP server at /mcp (georisk/api/mcp_server.py), through the real app (`streamlit run
dashboard.py`) and the SDK's own client over streamable HTTP: every tool answers what the JSON API
answers for the same view, every item cites its source, a bad parameter is a tool error naming it,
and hostile text in the data comes back as plain strings. The data is a copy of the scenario with
hostile text planted in it (tests/hostile.py) and one alert, so that no list is empty."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from georisk.api.mcp_server import BRIEFING_URI
from tests.browser.conftest import running_app
from tests.conftest import DATA
from tests.hostile import HOSTILE, plant
from tests.sessions import drive

TOOLS = {"portfolio_risk", "site_risk", "incidents_near_site", "what_changed", "open_alerts"}
VIEW = {"asof": "2017-06-30"}


def plant_alert(folder: Path) -> None:
    """One open alert near a site, its texts hostile."""
    from georisk.feeds.store import store_for
    from georisk.store.alerts import AlertBook, Change

    book = AlertBook(store_for(folder))
    book.save_rule({"id": "hostile", "name": HOSTILE, "watch": "all", "tiers": [{"km": 10}]}, "page", HOSTILE)
    details = {"title": HOSTILE, "why": HOSTILE, "site_name": HOSTILE, "source": HOSTILE, "location": HOSTILE}
    book.apply(
        None,
        [
            Change(
                "raised", "hostile", "acled/x", "incident", details, site_id="nsgp", event_date="2016-12-01"
            )
        ],
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("mcp") / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("state"))
    plant(folder)
    plant_alert(folder)
    with running_app(folder) as base:
        yield base, folder


def api(base: str, path: str, **params: str) -> dict:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{base}/api/v1/{path}" + (f"?{query}" if query else ""), timeout=60) as r:
        return json.loads(r.read())


def session(base: str, work):
    """Run `work(session)` in a fresh MCP session with the app's /mcp."""

    async def run():
        async with streamable_http_client(f"{base}/mcp") as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            return await work(s)

    return drive(run())  # in a thread of its own: Playwright may hold this thread's event loop


def call(base: str, tool: str, **arguments):
    return session(base, lambda s: s.call_tool(tool, arguments))


def answer(base: str, tool: str, **arguments) -> dict:
    result = call(base, tool, **arguments)
    assert not result.is_error, result.content
    # One text block, the same answer as JSON: a client without structured content reads the same.
    [text] = result.content
    assert json.loads(text.text) == result.structured_content
    return result.structured_content


def site_records(folder: Path) -> dict[str, dict]:
    features = json.loads((folder / "sites.geojson").read_text(encoding="utf-8"))["features"]
    return {f["properties"]["site_id"]: f["properties"] for f in features}


def test_the_pages_and_the_api_still_answer_beside_mcp(app):
    base, _ = app
    with urllib.request.urlopen(base + "/", timeout=30) as r:
        assert r.status == 200 and b"<html" in r.read().lower()
    with urllib.request.urlopen(base + "/_stcore/health", timeout=30) as r:
        assert r.read() == b"ok"
    assert api(base, "sites")["sites"]
    # POST only: a stateless server holds no GET stream open.
    with pytest.raises(urllib.error.HTTPError) as got:
        urllib.request.urlopen(base + "/mcp", timeout=10)
    assert got.value.code == 405
    # The SDK's DNS-rebinding check: a request naming another host is refused.
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    request = urllib.request.Request(
        base + "/mcp",
        data=body,
        headers={
            "Host": "attacker.example",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as got:
        urllib.request.urlopen(request, timeout=10)
    assert got.value.code == 421


def test_the_tools_are_listed_with_what_they_return(app):
    base, _ = app
    tools = {t.name: t for t in session(base, lambda s: s.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.annotations.read_only_hint, tool.name
        assert "source" in tool.description and "confidence" in tool.description, tool.name
    assert "km" in tools["incidents_near_site"].description
    assert "1-25" in tools["portfolio_risk"].description
    assert tools["site_risk"].input_schema["required"] == ["site_id"]
    assert {"asof", "sector", "region", "actor"} <= set(tools["portfolio_risk"].input_schema["properties"])


def test_portfolio_risk_is_the_apis_headline_and_sites(app):
    base, folder = app
    got = answer(base, "portfolio_risk", sector="energy", **VIEW)
    overview = api(base, "overview", sector="energy", **VIEW)
    sites = api(base, "sites", sector="energy", **VIEW)["sites"]
    assert got["headline"]["band"] == overview["band"] and got["headline"]["sites"] == overview["sites"]
    assert got["headline"]["incidents_near_sites"] == overview["incidents_near_sites"]
    assert [s["site_id"] for s in got["sites"]] == [s["site_id"] for s in sites]
    assert len(sites) >= 2 and {s["sector"] for s in got["sites"]} == {"energy"}
    for mine, theirs in zip(got["sites"], sites, strict=True):
        for field in (
            "rank",
            "band",
            "score",
            "likelihood_class",
            "impact",
            "threat",
            "incidents_near",
            "reason",
        ):
            assert mine[field] == theirs[field], (mine["site_id"], field)
    records = site_records(folder)
    for row in got["sites"] + got["headline"]["most_exposed"]:
        assert row["source"] == records[row["site_id"]]["source"]
        assert row["confidence"] == records[row["site_id"]]["confidence"]
    assert got["meta"]["asof"] == "2017-06-30" and got["meta"]["model_version"]
    # A different view is a different answer: the as-of date travels.
    assert answer(base, "portfolio_risk")["meta"]["asof"] != "2017-06-30"


def test_site_risk_is_the_apis_site(app):
    base, folder = app
    got = answer(base, "site_risk", site_id="nsgp", **VIEW)
    theirs = api(base, "sites/nsgp", **VIEW)
    assert got["site"]["band"] == theirs["site"]["band"] and got["site"]["score"] == theirs["site"]["score"]
    assert got["site"]["components"] == theirs["site"]["components"]
    assert [s["unit"] for s in got["segments"]] == [s["unit"] for s in theirs["segments"]]
    assert len(got["segments"]) > 1  # a pipeline: each scoring segment
    assert got["site"]["source"] == site_records(folder)["nsgp"]["source"]


def test_incidents_near_a_site_have_distance_precision_and_source(app):
    base, _ = app
    site = next(s for s in api(base, "sites", **VIEW)["sites"] if s["site_id"] == "pakistan-steel-mills")
    got = answer(base, "incidents_near_site", site_id="pakistan-steel-mills", limit=1000, **VIEW)
    # A site of one part: its table counts what its score counts.
    assert site["worst_unit"] == "whole site"
    assert (got["counted"], got["left_out_for_imprecision"]) == (
        site["incidents_near"],
        site["incidents_left_out"],
    )
    assert got["total"] == len(got["incidents"]) > 0 and got["radius_km"] == 50
    every = {r["incident_id"]: r for r in api(base, "incidents", limit="1000", **VIEW)["incidents"]}
    for row in got["incidents"]:
        assert 0 <= row["distance_km"] <= 50 and isinstance(row["counted"], bool)
        assert row["date"] <= "2017-06-30"
        theirs = every[row["incident_id"]]
        for field in ("source", "confidence", "geo_precision", "date_precision", "date"):
            assert row[field] == theirs[field], (row["incident_id"], field)
    counted = [r for r in got["incidents"] if r["counted"]]
    assert [r["distance_km"] for r in counted] == sorted(r["distance_km"] for r in counted)
    # The radius, since and limit narrow it.
    narrow = answer(base, "incidents_near_site", site_id="pakistan-steel-mills", radius_km=10, **VIEW)
    assert narrow["radius_km"] == 10 and all(r["distance_km"] <= 10 for r in narrow["incidents"])
    assert narrow["total"] < got["total"]
    dates = sorted(r["date"] for r in got["incidents"])
    since = dates[len(dates) // 2]
    later = answer(base, "incidents_near_site", site_id="pakistan-steel-mills", since=since, **VIEW)
    assert later["total"] == sum(d >= since for d in dates)
    assert len(answer(base, "incidents_near_site", site_id="pakistan-steel-mills", limit=2)["incidents"]) == 2


def test_what_changed_is_the_apis_changes(app):
    base, _ = app
    view = {"asof": "2017-12-31", "since": "2016-06-30"}
    got = answer(base, "what_changed", **view)
    theirs = api(base, "changes", **view)
    assert got["since"] == "2016-06-30"
    assert [r["event_id"] for r in got["new_events"]] == [r["event_id"] for r in theirs["new_events"]]
    assert [r["incident_id"] for r in got["new_incidents"]] == [
        r["incident_id"] for r in theirs["new_incidents"]
    ]
    assert got["new_incidents"] and got["new_events"]
    assert [(r["name"], r["band_now"]) for r in got["band_changes"]] == [
        (r["name"], r["band_now"]) for r in theirs["band_changes"]
    ]
    for row in got["new_incidents"] + got["new_events"] + got["band_changes"]:
        assert row["source"] and row["confidence"], row


def test_open_alerts_are_the_apis_alerts(app):
    base, _ = app
    got = answer(base, "open_alerts")
    theirs = api(base, "alerts")
    assert [a["id"] for a in got["alerts"]] == [a["id"] for a in theirs["alerts"]]
    assert got["paging"]["total"] == theirs["paging"]["total"] == 1
    assert got["alerts"][0]["source"] == HOSTILE


def test_the_briefing_is_a_resource(app):
    base, _ = app
    resources = session(base, lambda s: s.list_resources()).resources
    assert [(str(r.uri), r.mime_type) for r in resources] == [(BRIEFING_URI, "text/html")]
    [content] = session(base, lambda s: s.read_resource(BRIEFING_URI)).contents
    assert content.mime_type == "text/html"
    assert content.text.lstrip().lower().startswith("<!doctype html")
    overview = api(base, "overview")
    assert overview["band"] and overview["band"] in content.text
    assert overview["meta"]["asof"] in content.text and overview["meta"]["model_version"] in content.text
    assert "<script>alert(2)</script>" not in content.text  # the briefing's HTML escapes the data


@pytest.mark.parametrize(
    "tool,arguments,named",
    [
        ("portfolio_risk", {"asof": "someday"}, "asof"),
        ("portfolio_risk", {"sector": "no-such-sector"}, "sector"),
        ("site_risk", {"site_id": "no-such-site"}, "site_id"),
        ("incidents_near_site", {"site_id": "nsgp", "radius_km": 1000}, "radius_km"),
        ("incidents_near_site", {"site_id": "nsgp", "limit": 0}, "limit"),
        ("what_changed", {"since": "1900-01-01"}, "since"),
        ("open_alerts", {"offset": -1}, "offset"),
    ],
)
def test_a_bad_parameter_is_a_tool_error_naming_it(app, tool, arguments, named):
    base, _ = app
    result = call(base, tool, **arguments)
    assert result.is_error
    [text] = result.content
    assert f"{named}:" in text.text and "Traceback" not in text.text


def test_hostile_text_comes_back_as_data(app):
    base, folder = app
    got = answer(base, "portfolio_risk")
    records = site_records(folder)
    for row in got["sites"]:
        assert row["name"] == records[row["site_id"]]["name"] and HOSTILE in row["name"]
    # I0001 (Karachi) has the payload in its source; it lies near the steel mills.
    near = answer(base, "incidents_near_site", site_id="pakistan-steel-mills", limit=1000)
    every = {r["incident_id"]: r for r in api(base, "incidents", limit="1000")["incidents"]}
    hostile = [r for r in near["incidents"] if HOSTILE in r["source"]]
    assert hostile and all(r["source"] == every[r["incident_id"]]["source"] for r in hostile)
    # E001-E003 have it in their titles and summaries: new in the second half of 2014.
    view = {"since": "2014-06-01", "asof": "2014-12-31"}
    events = answer(base, "what_changed", **view)["new_events"]
    planted = [e for e in events if HOSTILE in e["title"] and HOSTILE in e["summary"]]
    assert [e["event_id"] for e in planted] == ["E001", "E002", "E003"]
    assert planted == [e for e in api(base, "changes", **view)["new_events"] if e in planted]
    # The alert's every text is the payload, returned as it is.
    [alert] = answer(base, "open_alerts")["alerts"]
    assert alert["title"] == alert["why"] == alert["source"] == HOSTILE
