"""The Data page: the catalogue, the validation list, and importing a feed through the page."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from georisk.feeds.store import FolderStore
from tests.conftest import open_page, shown
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
    # One row in three is defective: more than the limit, so the page asks the user to insist.
    assert any("incomplete set" in e.value for e in at.error)
    assert at.button(key="import.use").disabled
    at.checkbox(key="import.force").check().run()
    at.button(key="import.use").click().run()
    assert (data_copy / "incidents.parquet").exists()
    assert any("ACLED feed feed.csv" in shown(i.value) for i in at.info), "the page names the feed in use"
    catalogue = at.dataframe[0].value.set_index("file")
    assert catalogue.at["incidents.parquet", "source"].startswith("Armed Conflict")
    at.button(key="import.curated").click().run()
    assert not (data_copy / "incidents.parquet").exists()
    assert len(FolderStore(data_copy).versions()) == 1, "the import is kept and can be put back"
    at.button(key="import.restore").click().run()
    assert (data_copy / "incidents.parquet").exists()


def test_flagged_locations_are_listed(app_env, data_copy: Path):
    far = acled_row("PAK9", admin1="Sindh")  # coordinates in Peshawar, far from Sindh
    feed = "\n".join([ACLED_HEADER, *[acled_row(f"PAK{i}") for i in range(1, 9)], far])
    path = data_copy / "feed.csv"
    path.write_text(feed, encoding="utf-8")
    from georisk import feeds

    feeds.import_file("acled", path, data_copy)
    at = data_page(app_env, data_copy)
    assert not at.exception
    assert any("coordinates disagree with their feed (1)" in h.value for h in at.subheader)


def test_read_only_instance_refuses_imports(app_env, data_copy: Path, monkeypatch):
    monkeypatch.setenv("GEORISK_READ_ONLY", "1")
    at = data_page(app_env, data_copy)
    assert any("read-only" in i.value for i in at.info)
    assert not [u for u in at.get("file_uploader")]
