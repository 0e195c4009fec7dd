"""The JSON API's endpoints (georisk.api.http): every resource in each of its formats, bad
parameters as problem details naming the parameter, ETags, paging and its cap, hostile text
returned as data, and the OpenAPI description."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from georisk.api import answers, http
from georisk.api.openapi import document
from tests.api.support import call, call_json, source_for
from tests.conftest import DATA
from tests.hostile import HOSTILE, plant

RESOURCES = http.RESOURCES


@pytest.fixture(scope="module")
def api():
    return http.Api(source_for(DATA))


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_answers_with_what_it_rests_on(api, resource):
    status, headers, body = call_json(api, resource, {"sector": ["energy"]})
    assert status == 200, body
    meta = body["meta"]
    assert meta["model_version"] == headers["x-georisk-model-version"]
    assert meta["asof"] == headers["x-georisk-asof"] and meta["sources"] and "freshness" in meta
    assert meta["filters"]["sector"] == ["energy"]
    assert headers["etag"].startswith('"')


def test_sites_come_most_exposed_first_with_their_components_and_reason(api):
    _, _, body = call_json(api, "sites")
    sites = body["sites"]
    assert [s["rank"] for s in sites] == list(range(1, len(sites) + 1))
    ranks = [(s["band"], s["score"]) for s in sites]
    assert ranks == sorted(
        ranks,
        key=lambda r: (["Very low", "Low", "Medium", "High", "Very high"].index(r[0]), r[1]),
        reverse=True,
    )
    first = sites[0]
    assert first["reason"] and first["worst_unit"] and first["components"]
    assert {"threat", "exposure", "impact", "incidents_near", "incidents_left_out"} <= set(first)
    status, _, one = call_json(api, f"sites/{first['site_id']}")
    assert status == 200 and one["site"]["site_id"] == first["site_id"] and one["segments"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"sector": ["nope"]}, "sector"),
        ({"asof": ["2099-01-01"]}, "asof"),
        ({"from": ["yesterday"]}, "from"),
        ({"radius": ["-3"]}, "radius"),
        ({"limit": ["0"]}, "limit"),
        ({"limit": ["5000"]}, "limit"),
        ({"offset": ["x"]}, "offset"),
        ({"format": ["xml"]}, "format"),
        ({"site": ["nowhere"]}, "site"),
        ({"bogus": ["1"]}, "bogus"),
    ],
)
def test_a_bad_parameter_is_a_problem_detail_naming_it(api, params, name):
    status, headers, body = call_json(api, "incidents", params)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert body["status"] == 400 and body["title"] and name in [p["name"] for p in body["invalid_params"]]
    assert "Traceback" not in json.dumps(body)


def test_unknown_resources_sites_and_formats(api):
    assert call_json(api, "nothing")[0] == 404
    assert call_json(api, "sites/nowhere")[0] == 404
    assert call_json(api, "sites.xml")[0] == 404
    assert call_json(api, "overview.csv")[0] == 406
    assert call_json(api, "events.geojson")[0] == 406


def test_an_unchanged_view_is_not_resent(api):
    status, headers, _ = call(api, "sites", {"region": ["Sindh"]})
    tag = headers["etag"]
    status, again, body = call(api, "sites", {"region": ["Sindh"]}, {"If-None-Match": tag})
    assert status == 304 and body == b"" and again["etag"] == tag
    assert call(api, "sites", {"region": ["Punjab"]}, {"If-None-Match": tag})[0] == 200, (
        "another view, another tag"
    )


def test_incidents_are_paged_and_the_page_size_is_capped(api):
    _, _, first = call_json(api, "incidents", {"limit": ["10"]})
    paging = first["paging"]
    assert len(first["incidents"]) == 10 and paging["next_offset"] == 10 and paging["total"] > 10
    _, _, second = call_json(api, "incidents", {"limit": ["10"], "offset": ["10"]})
    ids = [i["incident_id"] for i in first["incidents"] + second["incidents"]]
    assert len(set(ids)) == 20
    _, _, everything = call_json(api, "incidents", {"limit": [str(answers.MAX_LIMIT)]})
    assert len(everything["incidents"]) == min(paging["total"], answers.MAX_LIMIT)
    assert all("geo_precision" in i and "source" in i and "confidence" in i for i in everything["incidents"])


def test_csv_and_geojson_forms(api):
    status, headers, body = call(api, "sites.csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    _, _, sites = call_json(api, "sites")
    assert [r["site_id"] for r in rows] == [s["site_id"] for s in sites["sites"]]
    status, headers, body = call(api, "incidents", {"limit": ["5"]}, {"Accept": "application/geo+json"})
    collection = json.loads(body)
    assert headers["content-type"] == "application/geo+json" and collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 5 and collection["features"][0]["geometry"]["type"] == "Point"
    _, _, body = call(api, "sites.geojson")
    assert {f["properties"]["site_id"] for f in json.loads(body)["features"]} == {
        s["site_id"] for s in sites["sites"]
    }


def test_hostile_text_comes_back_as_data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("state"))
    plant(folder)
    api = http.Api(source_for(folder))
    _, _, body = call_json(api, "events", {"limit": ["1000"]})
    assert any(HOSTILE in (e.get("title") or "") for e in body["events"]), "returned as it is, as a string"
    status, _, raw = call(api, "events.csv", {"limit": ["1000"]})
    assert status == 200 and b"<script>alert(2)</script>" in raw
    cells = [c for row in csv.reader(io.StringIO(raw.decode())) for c in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells), "formula-safe"


def test_the_openapi_description_covers_every_resource_and_parameter():
    spec = document()
    assert spec["openapi"] == "3.1.0"
    assert {f"/api/v1/{r}" for r in RESOURCES} | {"/api/v1/sites/{site_id}"} == set(spec["paths"])
    parameters = spec["components"]["parameters"]
    for path in spec["paths"].values():
        for given in path["get"]["parameters"]:
            if "$ref" in given:
                assert given["$ref"].split("/")[-1] in parameters
        assert {"200", "304", "400", "401", "429"} <= set(path["get"]["responses"])
    assert {"sector", "region", "actor", "asof", "radius", "limit", "offset", "format"} <= set(parameters)


def test_past_its_workers_a_request_waits_then_is_told_to_come_back(monkeypatch):
    api = http.Api(source_for(DATA), slots=1)
    monkeypatch.setattr(http, "QUEUE_WAIT", 0.1)
    assert api.slots.acquire()  # the one worker is busy
    status, headers, body = call_json(api, "overview")
    assert status == 503 and headers["retry-after"] == "5" and body["title"] == "Busy"
    api.slots.release()
    assert call_json(api, "overview")[0] == 200
    assert http.workers({"GEORISK_API_WORKERS": "3"}) == 3 and http.workers({"GEORISK_API_WORKERS": "x"}) == 2
