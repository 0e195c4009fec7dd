"""No silent defaults where data is missing: no rating is "no rating" (never level 1) everywhere
a rating shows; derived ratings follow their stated rule and say they are derived."""

from __future__ import annotations

import json

from tests.conftest import DATA, open_page, shown


def test_overview_page_warns_in_its_headline_box_before_the_ratings(app_env):
    app_env(DATA)
    at = open_page(asof="2013-06-30", to="2013-06-30", site="pakistan-steel-mills")
    assert not at.exception, "also with a site open and no event yet"
    assert any("outside the threat ratings' coverage" in w.value for w in at.warning)
    reasons = shown(" ".join(m.value for m in at.markdown))
    assert "no threat rating as of 2013-06-30" in reasons


def test_derived_ratings_travel_in_the_link(app_env):
    app_env(DATA)
    at = open_page(asof="2016-12-15", to="2016-12-15", ratings="derived")
    assert not at.exception
    assert at.query_params["ratings"] in ("derived", ["derived"])
    assert at.radio(key="model.ratings").value == "derived"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"], "the matrix still draws"
