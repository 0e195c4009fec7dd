"""The overview's logic (headline, trend, what changed) and the page under AppTest."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, open_page

# --- the page ------------------------------------------------------------------------------------


def run(app_env, **params) -> AppTest:
    app_env(DATA)
    return open_page(**params)


def param(at: AppTest, name: str) -> list[str]:
    value = at.query_params[name]
    return value if isinstance(value, list) else [value]


def matrix_sites(at: AppTest) -> list[str]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    (trace,) = [t for t in spec["data"] if t.get("name") == "sites"]
    return trace["customdata"]


def exposed(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value and "**" in m.value]


def test_overview_shows_headline_matrix_and_judgments(app_env):
    at = run(app_env, asof="2016-12-15", to="2016-12-15")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Portfolio risk" in text and "Medium" in text
    assert sorted(matrix_sites(at)) == sorted(
        ["nsgp", "jamshoro-ccpp", "guddu-tps", "pakistan-steel-mills", "muzaffargarh-tps"]
    )
    assert "North–South gas pipeline" in exposed(at)[0]
    assert "Trend" in text and "ACLED" in " ".join(c.value for c in at.caption)
    assert sum("violet-badge[likely]" in m.value for m in at.markdown) >= 8, "judgments with their words"


def test_site_in_the_link_opens_its_breakdown(app_env):
    at = run(app_env, asof="2016-12-15", to="2016-12-15", site="nsgp")
    assert not at.exception
    panel = at.get_by_key("site_panel")
    assert any(s.value.startswith("North–South gas pipeline") for s in at.header)
    assert panel is not None
    assert param(at, "site") == ["nsgp"]
    assert at.selectbox(key="site.choice").value == "nsgp"


def test_choosing_a_site_puts_it_in_the_url(app_env):
    at = run(app_env)
    at.selectbox(key="site.choice").set_value("guddu-tps").run()
    assert not at.exception
    assert param(at, "site") == ["guddu-tps"]


def test_unknown_site_in_the_link_gives_a_notice(app_env):
    at = run(app_env, site="atlantis")
    assert not at.exception
    assert any("site='atlantis'" in w.value for w in at.warning)
    assert "site" not in at.query_params


def test_model_settings_in_the_link_reorder_the_ranking(app_env):
    default = run(app_env, asof="2016-12-15", to="2016-12-15")
    tuned = run(app_env, asof="2016-12-15", to="2016-12-15", halflife="720")
    assert not tuned.exception
    assert "Jamshoro" in exposed(default)[1]
    assert "Pakistan Steel Mills" in exposed(tuned)[1]
    assert tuned.slider(key="model.halflife").value == 720.0
    assert any("halflife" in m.value or "720 days" in m.value for m in tuned.markdown)


def test_model_panel_change_travels_in_the_url(app_env):
    at = run(app_env)
    at.slider(key="model.radius").set_value(100.0).run()
    assert not at.exception
    assert param(at, "radius") == ["100"]
    at.number_input(key="model.cut.low").set_value(9).run()  # above the Medium cut-off: refused
    assert any("Not applied" in w.value for w in at.warning)
    assert "cuts" not in at.query_params
