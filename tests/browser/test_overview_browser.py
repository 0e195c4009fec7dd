"""The overview in a real browser: a click on the matrix opens a site and puts it in the URL."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import expect

from tests.browser.conftest import settle


def test_click_on_the_matrix_opens_the_site(server, context):
    page = context.new_page()
    page.goto(f"{server}/?asof=2016-12-15&to=2016-12-15")
    settle(page)
    assert page.locator(".st-key-site_panel").count() == 0
    points = page.locator('[data-testid="stPlotlyChart"] g.scatterlayer path.point')
    # Plotly draws the matrix after the app has gone idle: wait for the five sites, not just count.
    expect(points).to_have_count(5, timeout=15_000)
    points.nth(0).click(force=True)
    page.wait_for_url(lambda url: "site=" in url)
    settle(page)
    site = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["site"]
    assert len(site) == 1
    panel = page.locator(".st-key-site_panel")
    assert panel.count() == 1
    assert panel.get_by_text("Incidents within 50 km").count() == 1

    # The same link opened elsewhere shows the same site.
    other = context.browser.new_context()
    try:
        again = other.new_page()
        again.goto(page.url)
        settle(again)
        assert (
            again.locator(".st-key-site_panel h2").first.text_content()
            == panel.locator("h2").first.text_content()
        )
    finally:
        other.close()


def test_overview_reads_on_a_phone(server, browser):
    phone = browser.new_context(viewport={"width": 400, "height": 860}, device_scale_factor=2, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(f"{server}/?asof=2016-12-15&to=2016-12-15")
        settle(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 400, "no sideways scrolling on a phone"
        assert page.get_by_text("Portfolio risk").first.is_visible()
    finally:
        phone.close()


def test_briefing_button_downloads_a_one_page_pdf(server, context, tmp_path):
    from pypdf import PdfReader

    page = context.new_page()
    page.goto(f"{server}/?asof=2016-12-15&to=2016-12-15&sector=energy")
    settle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Briefing (PDF, one page)").click()
    path = tmp_path / "briefing.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename == "briefing_2016-12-15.pdf"
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    assert "sector: energy" in " ".join(reader.pages[0].extract_text().split())
