"""Every page runs under AppTest, on the bundled data and on a folder with broken rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DATA, ROOT, open_page, set_cell, shown

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


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

    from georisk import ui

    app_env(DATA)
    open_page()
    dataset = ui.load()
    context = ui.context(dataset)
    st.cache_data.clear()
    st.cache_resource.clear()
    assert ui.load() is dataset
    assert ui.context(dataset) is context


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
