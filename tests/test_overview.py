"""The overview's logic (headline, trend, what changed) and the page under AppTest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from georisk import overview, ratings, risk
from tests.conftest import DATA, open_page


@pytest.mark.parametrize(
    "current,previous,word",
    [
        (10, 10, "stable"),
        (1090, 1000, "stable"),
        (1100, 1000, "increase"),
        (1250, 1000, "sharp increase"),
        (900, 1000, "decrease"),
        (700, 1000, "sharp decrease"),
        (25, 0, "new activity"),
        (1, 2, "too few incidents to call a trend"),
        (5, 3, "too few incidents to call a trend"),  # not "sharp increase (+67 %)"
        (13, 10, "no clear change"),  # +30 %, but chance alone often gives that much with so few
        (125, 100, "no clear change"),
        (140, 100, "sharp increase"),
    ],
)
def test_trend_words_follow_the_10_and_25_percent_thresholds_with_enough_events(current, previous, word):
    assert overview.trend_words(current, previous)[0] == word


def test_window_counts_split_the_two_quarters():
    asof = pd.Timestamp("2016-12-15")
    # 90 days before 2016-12-15 is 2016-09-16; 90 days before that, 2016-06-18.
    dates = pd.Series(
        pd.to_datetime(["2016-12-15", "2016-09-17", "2016-09-16", "2016-06-19", "2016-06-18", "2016-12-16"])
    )
    near = np.array([True, True, True, True, True, True])
    assert overview.window_counts(dates, near, asof) == (2, 2), "later than the as-of date never counts"
    assert overview.window_counts(dates, ~near, asof) == (0, 0)


def scores_frame(bands: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": list(bands),
            "name": [s.upper() for s in bands],
            "band": list(bands.values()),
            "band_rank": [risk.BANDS.index(b) for b in bands.values()],
            "reason": ["r"] * len(bands),
        }
    )


def test_headline_takes_the_worst_site_and_says_the_movement():
    now = scores_frame({"a": "High", "b": "Low"})
    before = scores_frame({"a": "Medium", "b": "Low"})
    head = overview.headline(now, before, (140, 100))
    assert (head.band, head.previous_band, head.movement) == ("High", "Medium", "up")
    assert head.sentence() == "Portfolio risk is High. Up from Medium 90 days earlier. Most exposed: A."
    assert head.trend_sentence().startswith("Trend: sharp increase, +40 %")
    assert overview.headline(now.iloc[0:0], before, (0, 0)).sentence().startswith("No site in view")
    moved = overview.band_changes(before, now)
    assert list(moved["name"]) == ["A"] and list(moved["change"]) == ["up"]


def test_highest_threat_province_on_the_bundled_data():
    from georisk.dataset import load_dataset

    ctx = risk.context_of(load_dataset(DATA))
    provinces, level = ratings.highest(ctx.province_threats(pd.Timestamp("2016-12-15"), "analysts"))
    assert provinces == ["Balochistan"] and level == 5
    assert ratings.highest(ctx.province_threats(pd.Timestamp("2010-01-01"), "analysts")) == ([], None)


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
