"""The Data page: the catalogue, the validation list, and importing a feed through the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from georisk.app import imports, roles
from georisk.feeds.store import store_for
from georisk.store import location
from tests.conftest import ROOT, open_page, shown
from tests.support import ACLED_HEADER, acled_row

DATA_CHANGING = ("import.check", "import.use", "import.restore", "import.curated", "refresh.now")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "c",
    "client_secret": "s",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def data_page(app_env, data_dir: Path) -> AppTest:
    app_env(data_dir)
    return open_page("pages/4_Data.py")


@pytest.fixture
def server_address():
    """Set streamlit's server.address for the test (AppTest reads the process's config), as
    `--server.address` does; put back afterwards."""
    before = streamlit_config.get_option("server.address")

    def set_to(address: str | None) -> None:
        streamlit_config.set_option("server.address", address)

    yield set_to
    streamlit_config.set_option("server.address", before)


@pytest.fixture
def local_run(server_address, monkeypatch):
    """A local run: bound to loopback, no sign-in, not read-only. Its user is an analyst."""
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    server_address("127.0.0.1")


def with_one_import(data_dir: Path) -> None:
    """A kept version in use, so that restore and curated have something to act on."""
    from georisk import feeds

    path = data_dir / "feed.csv"
    path.write_text("\n".join([ACLED_HEADER, *[acled_row(f"PAK{i}") for i in range(1, 6)]]), encoding="utf-8")
    feeds.import_file("acled", path, data_dir)


@pytest.fixture(autouse=True)
def fresh_stores():
    """Each test's data copy has a store of its own: forget the ones earlier tests opened."""
    location.forget()
    yield
    location.forget()


def store_state(data_dir: Path) -> tuple:
    """Every run and the version in use: what any change to the store would alter."""
    store = location.open_store(data_dir)
    if store is None:
        return ()
    return tuple((r.id, r.outcome, r.current) for r in store.runs()), store.in_use()


def in_use(data_dir: Path) -> str | None:
    store = location.open_store(data_dir)
    return store.in_use() if store is not None else None


def page_text(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "error", "warning", "success")
        for e in at.get(kind)
    ]
    return "\n".join(shown(str(p)) for p in parts)


def assert_viewer_page(at: AppTest, data_dir: Path) -> None:
    assert not at.exception
    assert not list(at.get("file_uploader")), "a viewer gets no uploader"
    keys = {b.key for b in at.button}
    assert not keys & set(DATA_CHANGING), keys
    text = page_text(at)
    assert "Russian-backed projects in Pakistan" in text, "the scenario is named"
    assert str(data_dir) not in text and str(data_dir.parent) not in text, "no server path for viewers"
    assert "GEORISK_ANALYSTS" in text and "--server.address 127.0.0.1" in text, "says how to enable analysts"
    assert "Analysts refresh the feeds from their services here" in text, "says why there is no Refresh now"


def test_upload_is_checked_then_used_then_undone(app_env, data_copy: Path, local_run):
    at = data_page(app_env, data_copy)
    feed = "\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2", date="bad"), acled_row("PAK3")])
    at.file_uploader(key="import.file").upload("feed.csv", feed.encode("utf-8")).run()
    at.button(key="import.check").click().run()
    assert not at.exception
    assert any("read=3 imported=2 unmapped=0 rejected=1" in m.value for m in at.markdown)
    assert in_use(data_copy) is None, "nothing changes before the user confirms"
    # One row in three is defective: more than the limit, so the page asks the user to insist.
    assert any("incomplete set" in e.value for e in at.error)
    assert at.button(key="import.use").disabled
    at.checkbox(key="import.force").check().run()
    at.button(key="import.use").click().run()
    assert not at.exception
    version = in_use(data_copy)
    assert version is not None
    assert any(version in shown(s.value) for s in at.success), "the page says what was committed"
    assert any("ACLED feed feed.csv, imported" in shown(i.value) for i in at.info), (
        "the page names the feed in use"
    )
    catalogue = at.dataframe[0].value.set_index("file")
    assert catalogue.at[f"store version {version}", "source"].startswith("Armed Conflict")
    run = location.open_store(data_copy).run(version)
    assert run.actor == "Data page" and (run.added, run.rejected) == (2, 1)
    at.button(key="import.curated").click().run()
    assert in_use(data_copy) is None
    assert len(location.open_store(data_copy).versions()) == 1, "the import is kept and can be put back"
    at.button(key="import.restore").click().run()
    assert in_use(data_copy) is not None


def test_flagged_locations_are_listed(app_env, data_copy: Path, local_run):
    far = acled_row("PAK9", admin1="Sindh")  # coordinates in Peshawar, far from Sindh
    feed = "\n".join([ACLED_HEADER, *[acled_row(f"PAK{i}") for i in range(1, 9)], far])
    path = data_copy / "feed.csv"
    path.write_text(feed, encoding="utf-8")
    from georisk import feeds

    feeds.import_file("acled", path, data_copy)
    at = data_page(app_env, data_copy)
    assert not at.exception
    assert any("coordinates disagree with their feed (1)" in h.value for h in at.subheader)


def test_read_only_instance_refuses_imports(app_env, data_copy: Path, monkeypatch, server_address):
    server_address("127.0.0.1")  # even a local run
    monkeypatch.setenv("GEORISK_READ_ONLY", "1")
    at = data_page(app_env, data_copy)
    assert any("viewer-only" in shown(i.value) for i in at.info)
    assert_viewer_page(at, data_copy)


@pytest.mark.parametrize("address", [None, "0.0.0.0", "::", "192.0.2.7"])
def test_a_server_others_can_reach_is_viewer_only_without_sign_in(
    app_env, data_copy, monkeypatch, server_address, address
):
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    server_address(address)
    with_one_import(data_copy)  # so that restore and curated would be offered to an analyst
    before = store_state(data_copy)
    at = data_page(app_env, data_copy)
    assert_viewer_page(at, data_copy)
    assert store_state(data_copy) == before


def sign_in_page(app_env, data_dir: Path, email: str) -> AppTest:
    app_env(data_dir)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": email}
    at.run()
    return at.switch_page("pages/4_Data.py").run()


def test_with_sign_in_only_listed_users_may_import(app_env, data_copy, monkeypatch, server_address):
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    monkeypatch.setenv("GEORISK_ANALYSTS", "ana@example.org, ben@example.org")
    server_address("127.0.0.1")  # a local run does not count once sign-in is configured
    at = sign_in_page(app_env, data_copy, "eve@example.org")
    assert_viewer_page(at, data_copy)
    assert any("not on the analysts' list" in i.value for i in at.info)

    at = sign_in_page(app_env, data_copy, "Ben@Example.org")
    assert not at.exception
    assert [u for u in at.get("file_uploader")], "a listed analyst gets the uploader"
    assert str(data_copy) in page_text(at), "and sees the data folder"


def test_a_forged_state_from_a_viewer_changes_nothing(app_env, data_copy, monkeypatch, server_address):
    """The checked feed planted in session state, and clicks on every data-changing button, sent
    by a session that is a viewer: the store is as it was."""
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    server_address("127.0.0.1")
    with_one_import(data_copy)
    store_for(data_copy).use_curated()  # the import kept, not in use: "Put this version in use" is enabled
    at = data_page(app_env, data_copy)  # an analyst's page: the buttons exist
    at.file_uploader(key="import.file").upload(
        "f.csv", "\n".join([ACLED_HEADER, acled_row("PAK7")]).encode()
    ).run()
    at.button(key="import.check").click().run()
    assert at.button(key="import.use") and at.button(key="import.restore")
    before = store_state(data_copy)
    server_address("0.0.0.0")  # from now on this session is a viewer's
    at.session_state[imports.IMPORT] = at.session_state[imports.IMPORT]
    for key in ("import.use", "import.restore"):  # the enabled ones (AppTest clicks no disabled button)
        at.button(key=key).click()
    at.run()
    assert not at.exception
    assert store_state(data_copy) == before
    assert_viewer_page(at, data_copy)


@pytest.mark.parametrize("key", ["import.use", "import.restore", "import.curated"])
def test_each_action_asks_for_the_role_when_it_acts(app_env, data_copy, local_run, monkeypatch, key):
    """The page was drawn for an analyst; when the click arrives the session is no longer one
    (imports_allowed is what every action asks at that moment): nothing changes."""
    with_one_import(data_copy)
    store_for(data_copy).use_curated()  # the import kept, the curated file in use: restore is enabled
    at = data_page(app_env, data_copy)
    at.file_uploader(key="import.file").upload(
        "f.csv", "\n".join([ACLED_HEADER, acled_row("PAK7")]).encode()
    ).run()
    at.button(key="import.check").click().run()
    if key == "import.curated":
        store = store_for(data_copy)
        store.restore(store.versions()[0].id)
        at.run()
    assert not at.button(key=key).disabled
    before = store_state(data_copy)
    monkeypatch.setattr(roles, "imports_allowed", lambda: False)
    at.button(key=key).click().run()
    assert not at.exception
    assert store_state(data_copy) == before
    assert any("Only an analyst" in e.value for e in at.error)
