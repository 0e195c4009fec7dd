"""The Data page: the catalogue, the validation list, and importing a feed through the page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import open_page
from tests.test_feeds import ACLED_HEADER, acled_row


def data_page(app_env, data_dir: Path) -> AppTest:
    app_env(data_dir)
    return open_page("pages/4_Data.py")


def test_upload_is_checked_then_used_then_undone(app_env, data_copy: Path):
    at = data_page(app_env, data_copy)
    feed = "\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2", date="bad"), acled_row("PAK3")])
    at.file_uploader(key="import.file").upload("feed.csv", feed.encode("utf-8")).run()
    at.button(key="import.check").click().run()
    assert not at.exception
    assert any("read=3 imported=2 unmapped=0 rejected=1" in m.value for m in at.markdown)
    assert not (data_copy / "incidents.parquet").exists(), "nothing changes before the user confirms"
    at.button(key="import.use").click().run()
    assert (data_copy / "incidents.parquet").exists()
    assert any("imported acled feed" in i.value for i in at.info)
    at.button(key="import.curated").click().run()
    assert not (data_copy / "incidents.parquet").exists()
    assert (data_copy / "incidents.previous.parquet").exists(), "the import can be restored"
    at.button(key="import.restore").click().run()
    assert (data_copy / "incidents.parquet").exists()


def test_read_only_instance_refuses_imports(app_env, data_copy: Path, monkeypatch):
    monkeypatch.setenv("GEORISK_READ_ONLY", "1")
    at = data_page(app_env, data_copy)
    assert any("read-only" in i.value for i in at.info)
    assert not [u for u in at.get("file_uploader")]
