"""The map page under AppTest, with seeded query parameters."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, open_page


def run(app_env, **params) -> AppTest:
    app_env(DATA)
    return open_page("pages/2_Map.py", **params)


def trace_names(at: AppTest) -> list[str]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [t.get("name", "") for t in spec["data"]]


def param(at: AppTest, name: str):
    value = at.query_params[name]
    return value if isinstance(value, list) else [value]


def test_map_with_seeded_layers_and_site(app_env):
    at = run(app_env, asof="2016-12-15", to="2016-12-15", layers="provinces,density,sites", site="guddu-tps")
    assert not at.exception
    names = trace_names(at)
    assert "Threat level (provinces)" in names and "Incident density" in names
    assert not any(n.startswith("TTP (") for n in names), "incidents layer is off"
    assert at.get_by_key("site_panel") is not None
    assert any(s.value == "Guddu thermal power station" for s in at.header)
    assert param(at, "layers") == ["provinces,density,sites"]


def test_layer_choice_travels_in_the_url(app_env):
    at = run(app_env)
    at.button_group(key="map.layers").set_value(["incidents", "sites"]).run()
    assert not at.exception
    assert param(at, "layers") == ["incidents,sites"]
    names = trace_names(at)
    assert "Threat level (provinces)" not in names and any(n.startswith("TTP (") for n in names)


def test_quarter_buttons_step_the_asof_date(app_env):
    at = run(app_env, asof="2016-12-15", to="2016-12-15")
    at.button(key="map.back").click().run()
    assert not at.exception
    assert param(at, "asof") == ["2016-09-30"]
    assert param(at, "to") == ["2016-09-30"], "a period ending at the as-of date moves with it"
    at.button(key="map.forward").click().run()
    assert param(at, "asof") == ["2016-12-31"]


def test_map_page_offers_downloads_and_the_briefing(app_env):
    at = run(app_env, asof="2016-12-15", to="2016-12-15")
    labels = [b.proto.label for b in at.get("download_button")]
    for wanted in (
        "Briefing (PDF, one page)",
        "Briefing (HTML, works offline)",
        "Sites and scores (GeoJSON)",
        "Sites and scores (CSV)",
        "Incidents in view (CSV)",
    ):
        assert wanted in labels
