"""Every page runs under AppTest, on the bundled data and on a folder with broken rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from georisk.analysis import cooperation
from georisk.app import cache
from georisk.link import MODEL_PARAMS
from georisk.model import context as model_context
from georisk.model import settings
from georisk.scenario import schema
from georisk.scenario.dataset import load_dataset
from tests.conftest import DATA, ROOT, open_page, set_cell, shown
from tests.support import PAGES, bundled


@pytest.mark.parametrize("page", [None, *PAGES])
def test_page_runs_without_exception(app_env, page):
    app_env(DATA)
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"
    assert not at.error


def test_app_lists_rejected_rows_and_keeps_the_rest(app_env, data_copy: Path):
    row = set_cell(data_copy / "incidents.csv", 0, "date", "not a date")
    app_env(data_copy)
    at = open_page()
    assert not at.exception
    assert any("1 row(s) were rejected" in w.value for w in at.sidebar.warning)

    at = open_page("pages/4_Data.py")
    problems = at.dataframe[1].value
    hit = problems[(problems["file"] == "incidents.csv") & (problems["row"] == row)]
    assert list(hit["column"]) == ["date"]
    assert "ISO" in hit["reason"].iloc[0]


def test_missing_file_gives_a_message_not_a_traceback(app_env, data_copy: Path):
    (data_copy / "sites.geojson").unlink()
    app_env(data_copy)
    for page in [None, *PAGES]:
        at = open_page(page)
        assert not at.exception, (page, at.exception)
        assert any("sites.geojson could not be loaded" in shown(e.value) for e in at.error)


def test_missing_data_folder_is_explained(app_env, tmp_path: Path):
    app_env(tmp_path / "nowhere")
    at = open_page()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)


def test_clearing_streamlit_caches_keeps_the_loaded_scenario(app_env):
    """Any viewer can send the message that clears Streamlit's caches: the scenario stays loaded."""
    import streamlit as st

    app_env(DATA)
    open_page()
    dataset = cache.loaded().dataset
    context = model_context.shared(dataset)
    st.cache_data.clear()
    st.cache_resource.clear()
    assert cache.loaded().dataset is dataset
    assert model_context.shared(dataset) is context


def test_with_sign_in_configured_a_visitor_sees_only_the_sign_in(app_env):
    app_env(DATA)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "https://dashboard.example.org/oauth2callback",
        "cookie_secret": "not-a-real-secret",
        "client_id": "georisk",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.multiselect  # no filters, no data
    assert not at.get("plotly_chart") and not at.metric


def test_without_sign_in_configured_the_dashboard_opens(app_env):
    app_env(DATA)
    at = open_page()
    assert "Sign in" not in [b.label for b in at.button]
    assert at.sidebar.multiselect


def _edges(setting) -> list[str]:
    return [f"{setting.low:g}", f"{setting.high:g}"]


@pytest.mark.parametrize("edge", [0, 1])
@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_setting_a_link_may_carry_can_be_shown(app_env, page, edge):
    """The link parser and the widgets share one range per setting: a link at either end of every
    range opens every page (a slider narrower than the parser raised on every page)."""

    app_env(DATA)
    params = {
        name: _edges(settings.SETTINGS[attribute])[edge]
        for name, attribute in MODEL_PARAMS.items()
        if attribute in settings.SETTINGS
    }
    params["w_exposure"] = "1"  # the two weights may not both be zero
    low, high = settings.CUT_RANGE
    params["cuts"] = (
        f"{low},{low + 1},{low + 2},{high}" if edge else f"{high - 3},{high - 2},{high - 1},{high}"
    )
    indicators = sorted(bundled().indicators["indicator"].unique())
    params["iw"] = ",".join(f"{name}:{_edges(cooperation.WEIGHT)[edge]}" for name in indicators)
    if edge == 0:
        params["iw"] = f"{indicators[0]}:1," + params["iw"].split(",", 1)[1]  # not every weight zero
    at = open_page(page, **params)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "could not be used" in w.value], "every edge is usable"


def test_data_at_the_edges_of_its_plausible_windows_opens_every_page(app_env, data_copy: Path):
    """The earliest and latest dates each table may hold: every date control, quarter step and
    yearly axis copes with them (a year-1 date once made the quarter control raise)."""
    from tests.conftest import read_rows, write_rows

    def edge(table: str, column: str, end: bool) -> str:
        window = schema.date_window(table, column)
        return (window.end if end else window.start).isoformat()

    for table, column in [("events", "date"), ("incidents", "date")]:
        rows = read_rows(data_copy / f"{table}.csv")
        rows[0][column], rows[1][column] = edge(table, column, False), edge(table, column, True)
        write_rows(data_copy / f"{table}.csv", rows)
    rows = read_rows(data_copy / "indicators.csv")
    rows[0]["year"], rows[1]["year"] = (
        edge("indicators", "year", False)[:4],
        edge("indicators", "year", True)[:4],
    )
    write_rows(data_copy / "indicators.csv", rows)

    loaded = load_dataset(data_copy)
    assert not [p for p in loaded.problems if p.severity == "error"], "the edges are inside the windows"
    assert loaded.events["date"].min().date().isoformat() == edge("events", "date", False)
    assert loaded.incidents["date"].max().date().isoformat() == edge("incidents", "date", True)
    app_env(data_copy)
    for page in [None, *PAGES]:
        at = open_page(page)
        assert not at.exception, (page, at.exception)
    at = open_page("pages/2_Map.py")
    at.button(key="map.back").click().run()
    assert not at.exception
