"""The axe accessibility audit on every page, at desktop and phone widths: no serious or critical
violation, and headings that never skip a level (a moderate rule, but screen-reader users move
through a page by its headings). axe-core comes inside the axe-playwright-python package
(requirements-dev.txt)."""

from __future__ import annotations

from importlib.resources import files

import pytest

from tests.browser.conftest import running_app, settle
from tests.conftest import require_chromium

PAGES = (
    "/?site=nsgp&asof=2016-12-15&to=2016-12-15",
    "/?sector=energy&region=Sindh",
    "/Timeline",
    "/Map?site=nsgp",
    "/Cooperation",
    "/Data",
    "/Alerts",
)
AXE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def app():
    require_chromium()
    with running_app() as base:
        yield base


@pytest.mark.parametrize("width", [1400, 400])
def test_no_serious_accessibility_violation(app, browser, width):
    # The audit's script is injected into the page, which the app's own Content-Security-Policy
    # refuses, as it should: the policy is tested on its own (tests/browser/test_headers.py).
    context = browser.new_context(viewport={"width": width, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    found = {}
    try:
        for path in PAGES:
            page.goto(f"{app}{path}")
            settle(page)
            page.add_script_tag(content=AXE)
            violations = page.evaluate(
                """async () => (await axe.run()).violations
                    .filter(v => ['serious', 'critical'].includes(v.impact) || v.id === 'heading-order')
                    .map(v => [v.id, v.impact, v.nodes.length, v.nodes[0].html.slice(0, 160)])"""
            )
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert not found, found
