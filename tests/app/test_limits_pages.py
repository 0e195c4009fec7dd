"""What any viewer can make the server do is bounded (issue 14, §5): the token bucket, the
printer's slot, the PDF cache, the summary cache's per-session quota and rate."""

from __future__ import annotations

from georisk.outputs import printing
from tests.conftest import DATA, open_page


def test_the_page_disables_the_briefing_while_the_session_is_over_its_rate(app_env, monkeypatch):
    app_env(DATA)
    monkeypatch.setattr(printing, "next_allowed", lambda session: 42.0)
    at = open_page(asof="2016-12-15", to="2016-12-15")
    assert not at.exception
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("download_button")}
    assert buttons["briefing.pdf"].disabled and buttons["briefing.html"].disabled
    assert not buttons["download.sites.geojson"].disabled
    assert any("next one in about 42 s" in c.value for c in at.caption)
