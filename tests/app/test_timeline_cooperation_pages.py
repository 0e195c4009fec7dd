"""Timeline lanes and monthly counts, the cooperation index, and both pages under AppTest."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, open_page, shown
from tests.support import DATASET


def run(app_env, page, **params) -> AppTest:
    app_env(DATA)
    return open_page(page, **params)


def test_timeline_page_obeys_the_filters(app_env):
    at = run(
        app_env,
        "pages/1_Timeline.py",
        category="energy",
        **{"from": "2015-01-01"},
        to="2016-12-31",
        asof="2016-12-31",
    )
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["category"]) == {"energy"}
    assert table["date"].min() >= pd.Timestamp("2015-01-01")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not any(t.get("type") == "bar" for t in spec["data"]), "category energy: no incidents"
    at.text_input(key="timeline.search").set_value("Jamshoro").run()
    assert all("Jamshoro" in t for t in at.dataframe[0].value["title"])


def test_cooperation_page_with_seeded_weights(app_env):
    at = run(app_env, "pages/3_Cooperation.py", iw="high_level_visits:3")
    assert not at.exception
    assert at.slider(key="index.w.high_level_visits").value == 3.0
    assert any("Moving together is not cause" in w.value for w in at.warning)
    narrow = run(app_env, "pages/3_Cooperation.py", sector="trade")
    assert not narrow.exception
    spec = json.loads(narrow.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert all("trade" in t.lower() or "export" in t.lower() or "import" in t.lower() for t in titles)


def test_a_chosen_event_shows_its_details_and_links_to_its_sites_on_the_map(app_env):
    event = DATASET.events[DATASET.events["site_ids"].fillna("") != ""].iloc[0]
    at = run(app_env, "pages/1_Timeline.py")
    at.session_state["timeline.selected"] = ["event", event["event_id"]]
    at.run()
    assert not at.exception
    assert any(shown(h.value) == event["title"] for h in at.header)
    names = dict(zip(DATASET.sites["site_id"], DATASET.sites["name"], strict=True))
    links = [link.proto for link in at.get("page_link") if link.proto.label.startswith("Open ")]
    sites = [s.strip() for s in event["site_ids"].split(";") if s.strip() in names]
    assert sites, "the event names a site of the data"
    assert [shown(link.label) for link in links] == [f"Open {names[s]} on the map" for s in sites]
    assert all(
        link.page == "Map" and f"site={s}" in link.query_string for link, s in zip(links, sites, strict=True)
    )
