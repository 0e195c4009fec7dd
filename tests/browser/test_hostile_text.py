"""Hostile text in the data shows as text on every page: no dialog fires, no element is injected,
nothing is fetched from the address a markdown image names."""

from __future__ import annotations

import pytest

from georisk.analysis import overview
from georisk.model import settings
from georisk.outputs import briefing
from georisk.scenario.dataset import load_dataset
from georisk.view import View, choices_for
from tests.browser.conftest import running_app, settle
from tests.hostile import HOSTILE, plant

# Page, and whether the payload is in the page's text (tables draw on a canvas, outside the DOM).
PAGES = (
    ("/?site=nsgp&asof=2016-12-15&to=2016-12-15", True),
    ("/Timeline", False),
    ("/Map?site=guddu-tps", True),
    ("/Cooperation", False),
    ("/Data", False),
    ("/Alerts", True),
)
INJECTED = """() => ({
  images: document.querySelectorAll('img[src="x"], img[src*="tracker"]').length,
  scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.trim() === 'alert(2)').length,
  bold: document.querySelectorAll('#hostile').length,
  links: document.querySelectorAll('a[href^="javascript"]').length,
})"""


def plant_alert(folder) -> None:
    """A rule and an acknowledged alert whose every text is a payload (the Alerts page, the
    Overview's line)."""
    from georisk.feeds.store import store_for
    from georisk.store.alerts import AlertBook, Change

    book = AlertBook(store_for(folder))
    book.save_rule({"id": "hostile", "name": HOSTILE, "watch": "all", "tiers": [{"km": 10}]}, "page", HOSTILE)
    details = {"title": HOSTILE, "why": HOSTILE, "site_name": HOSTILE, "source": HOSTILE, "location": HOSTILE}
    change = Change(
        "raised", "hostile", "acled/x", "incident", details, site_id="nsgp", event_date="2016-12-01"
    )
    [alert_id] = book.apply(None, [change]).alert_ids
    book.act(alert_id, "acknowledged", HOSTILE, HOSTILE)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    import shutil

    from tests.conftest import DATA, require_chromium

    require_chromium()
    folder = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(DATA, folder)
    plant(folder)
    assert load_dataset(folder).errors == [], "the payloads are valid text: every row still loads"
    plant_alert(folder)
    with running_app(folder) as base:
        yield base, folder


@pytest.mark.parametrize("path,in_text", PAGES)
def test_hostile_text_stays_text(hostile_server, context, path, in_text):
    base, _ = hostile_server
    dialogs, fetched = [], []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: fetched.append(r.url) if "tracker" in r.url else None)
    page.goto(f"{base}{path}")
    settle(page)
    page.wait_for_timeout(1000)
    assert dialogs == []
    assert page.evaluate(INJECTED) == {"images": 0, "scripts": 0, "bold": 0, "links": 0}
    assert fetched == [], "a markdown image in the data made the browser fetch its address"
    text = page.locator('[data-testid="stMain"]').inner_text()
    if in_text:
        assert "<img src=x onerror=alert(1)>" in text, "the payload is shown, as text"


def test_briefing_of_hostile_data_opens_without_running_anything(hostile_server, context, tmp_path):
    _, folder = hostile_server
    dataset = load_dataset(folder)
    choices = choices_for(dataset)
    summary = overview.summarise(View.of(dataset, choices.defaults(), choices), settings.DEFAULTS)
    html = briefing.build(summary, f"https://example.org/?q={HOSTILE}").html
    path = tmp_path / "briefing.html"
    path.write_text(html, encoding="utf-8")
    dialogs = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_timeout(1500)
    assert dialogs == []
    assert page.evaluate(INJECTED) == {"images": 0, "scripts": 0, "bold": 0, "links": 0}
    assert "onerror=alert(1)" in page.inner_text("body")
