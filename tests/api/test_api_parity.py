"""The API answers what the page shows: for 20 random views, the Overview's headline band, its
most exposed sites in order, its count of sites at High or Very high, and the sidebar's count of
incidents in view equal the API's overview, sites and incidents for the same query parameters."""

from __future__ import annotations

import random
import re

import pytest

from georisk.api import http
from tests.api.support import call_json, source_for
from tests.conftest import DATA, open_page, shown
from tests.support import bundled

VIEWS = 20


def random_views(seed: int = 17) -> list[dict[str, list[str]]]:
    data = bundled()
    rng = random.Random(seed)
    sectors = sorted(data.sites["sector"].unique())
    regions = sorted(data.boundaries["name"].unique())
    families = sorted(data.incidents["actor_family"].dropna().unique())
    dates = sorted(data.incidents["date"].dt.date.unique())
    views = []
    for _ in range(VIEWS):
        view: dict[str, list[str]] = {}
        if rng.random() < 0.5:
            view["sector"] = rng.sample(sectors, rng.randint(1, min(2, len(sectors))))
        if rng.random() < 0.4:
            view["region"] = rng.sample(regions, rng.randint(1, 2))
        if rng.random() < 0.3:
            view["actor"] = rng.sample(families, 1)
        if rng.random() < 0.7:
            asof = rng.choice(dates[len(dates) // 4 :])
            view["asof"] = [asof.isoformat()]
            view["to"] = [asof.isoformat()]
        if rng.random() < 0.3:
            view["radius"] = [str(rng.choice([25, 50, 100]))]
        views.append(view)
    return views


@pytest.fixture(scope="module")
def api():
    return http.Api(source_for(DATA))


@pytest.mark.parametrize("number", range(VIEWS))
def test_the_api_says_what_the_overview_shows(api, app_env, number):
    params = random_views()[number]
    app_env(DATA)
    at = open_page(None, **params)
    assert not at.exception, at.exception
    markdown = [shown(m.value) for m in at.markdown]
    status, _, head = call_json(api, "overview", params)
    assert status == 200, head
    status, _, sites = call_json(api, "sites", params)
    status, _, incidents = call_json(api, "incidents", {**params, "limit": ["1"]})

    band = next((m for m in markdown if m.startswith("## Portfolio risk")), None)
    if head["band"] is None:
        assert band is None
    else:
        assert band is not None and head["band"] in band
        assert f"Most exposed: **{head['worst_site']}**" in " ".join(markdown)
    # The most exposed sites, in the page's order.
    listed = [re.search(r"\*\*(.+?)\*\*\s*\n", m) for m in markdown if "\n" in m and m.count("**") >= 2]
    page_names = [found.group(1) for found in listed if found]
    api_names = [site["name"] for site in sites["sites"]]
    assert page_names and page_names[: len(head["most_exposed"])] == [s["name"] for s in head["most_exposed"]]
    assert [s["name"] for s in head["most_exposed"]] == api_names[:3]
    high = next(m for m in at.metric if m.label == "Sites at High or Very high")
    assert high.value == f"{head['sites_high_or_very_high']} of {head['sites']}"
    sidebar = " ".join(shown(c.value) for c in at.sidebar.caption)
    assert f"{incidents['paging']['total']:,} incidents" in sidebar
    assert f"{len(sites['sites'])} sites" in sidebar
