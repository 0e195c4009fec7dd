"""Credit the source in use wherever its numbers appear; one colour per actor family; a density
scale and a timeline that stay readable on large real feeds; the catalogue's schema version; and
mangled source links flagged by validate."""

from __future__ import annotations

from georisk.app import cache
from tests.conftest import DATA, open_page, shown
from tests.support import imported_copy


def test_the_overview_footer_and_the_cooperation_caution_follow_the_source(app_env, tmp_path, data_copy):
    app_env(DATA)
    at = open_page("pages/3_Cooperation.py")
    assert any("curated sample" in w.value for w in at.warning), "the curated file is a sample"
    app_env(imported_copy(tmp_path, data_copy))

    cache.Loaded.current = None  # start from the files
    at = open_page()
    assert any("Incidents: ACLED feed export.csv" in shown(c.value) for c in at.caption)
    at = open_page("pages/3_Cooperation.py")
    assert not any("curated sample" in w.value for w in at.warning), "an imported feed is not a sample"
