"""The shared filters in a real browser: deep links, URL following changes, page switches."""

from __future__ import annotations

import re
import urllib.parse
from functools import cache

from georisk.link import filters_from_params
from georisk.view import choices_for, filtered
from tests.browser.conftest import settle
from tests.support import bundled

DEEP_LINK = {
    "sector": ["energy"],
    "region": ["Sindh", "Balochistan"],
    "actor": ["IS-Khorasan"],
    "from": ["2015-01-01"],
    "to": ["2016-12-15"],
    "asof": ["2016-12-15"],
}


@cache
def expected_counts(query: str) -> tuple[int, int, int]:
    """What the package says the view holds: (events, incidents, sites)."""
    dataset = bundled()
    choices = choices_for(dataset)
    filters = filters_from_params(urllib.parse.parse_qs(query), choices).filters
    return (
        len(filtered(dataset.events, "events", filters)),
        len(filtered(dataset.incidents, "incidents", filters)),
        len(filtered(dataset.sites, "sites", filters)),
    )


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    settle(page)
    return page


def multiselect(page, label: str):
    return page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{label}$"))
    )


def selected(page, label: str) -> list[str]:
    return (
        multiselect(page, label)
        .locator("[data-tag] span[title]")
        .evaluate_all("els => els.map(e => e.title)")
    )


def choose(page, label: str, option: str) -> None:
    box = multiselect(page, label).locator("input[role=combobox]")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    settle(page)


def date_value(page, label: str) -> str:
    widget = page.locator('[data-testid="stDateInput"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(f"^{label}$"))
    )
    return widget.locator("input[type=date]").input_value()


def in_view(page) -> tuple[int, int, int]:
    text = page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(r"^In view:")).text_content()
    events, incidents, sites = re.findall(r"(\d+) (?:events|incidents|sites)", text)
    return int(events), int(incidents), int(sites)


def widget_state(page) -> dict:
    return {
        "sector": selected(page, "Sector"),
        "region": selected(page, "Region"),
        "actor": selected(page, "Actor family"),
        "category": selected(page, "Event category"),
        "from": date_value(page, "From"),
        "to": date_value(page, "To"),
        "asof": date_value(page, "As of"),
    }


def url_params(page) -> dict[str, list[str]]:
    """The page's URL parameters; several values of one name in any order."""
    return canonical(urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query))


def canonical(params: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: sorted(values) for name, values in params.items()}


def test_deep_link_on_a_fresh_server_restores_widgets_and_data(server, context):
    query = urllib.parse.urlencode(DEEP_LINK, doseq=True)
    page = open_page(context, f"{server}/Map?{query}")
    state = widget_state(page)
    assert state["sector"] == ["energy"]
    assert sorted(state["region"]) == ["Balochistan", "Sindh"]
    assert state["actor"] == ["IS-Khorasan"]
    assert (state["from"], state["to"], state["asof"]) == ("2015-01-01", "2016-12-15", "2016-12-15")
    assert in_view(page) == expected_counts(query)
    assert url_params(page) == canonical(DEEP_LINK)


def test_changing_a_filter_changes_the_url_and_the_data(server, context):
    page = open_page(context, server)
    before = in_view(page)
    choose(page, "Region", "Punjab")
    assert url_params(page)["region"] == ["Punjab"]
    after = in_view(page)
    assert after != before
    assert after == expected_counts(urllib.parse.urlparse(page.url).query)


def test_switching_page_keeps_the_filters(server, context):
    query = urllib.parse.urlencode(DEEP_LINK, doseq=True)
    page = open_page(context, f"{server}/?{query}")
    before = widget_state(page)
    for label, path in (("Timeline", "/Timeline"), ("Cooperation", "/Cooperation"), ("Overview", "/")):
        page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text=label).click()
        page.wait_for_url(re.compile(re.escape(server + path) + r"(\?|$)"))
        settle(page)
        assert url_params(page) == canonical(DEEP_LINK), label
        assert widget_state(page) == before, label
        assert in_view(page) == expected_counts(query), label


def test_the_link_restores_the_view_in_a_fresh_browser(server, browser, context):
    page = open_page(context, f"{server}/Timeline")
    choose(page, "Actor family", "Baloch separatists")
    choose(page, "Event category", "security")
    shared_url, state, counts = page.url, widget_state(page), in_view(page)

    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = open_page(fresh, shared_url)
        assert widget_state(other) == state
        assert in_view(other) == counts
    finally:
        fresh.close()


def test_share_control_shows_the_full_link(server, context):
    query = urllib.parse.urlencode(DEEP_LINK, doseq=True)
    page = open_page(context, f"{server}/Map?{query}")
    page.get_by_role("button", name=re.compile("Share this view")).click()
    link = page.locator('[data-testid="stPopoverBody"] code').text_content()
    assert link.startswith(f"{server}/Map?")
    assert canonical(urllib.parse.parse_qs(urllib.parse.urlparse(link).query)) == canonical(DEEP_LINK)


def test_bad_parameters_give_a_notice_and_the_defaults(server, context):
    huge = "x" * 100_000
    query = urllib.parse.urlencode(
        {
            "sector": ["sports"],
            "region": [huge],
            "from": ["2017-01-01"],
            "to": ["2015-01-01"],
            "asof": ["not-a-date"],
            "colour": ["red"],
        },
        doseq=True,
    )
    page = open_page(context, f"{server}/?{query}")
    notice = page.locator('[data-testid="stAlert"]').filter(has_text="could not be used").text_content()
    for words in (
        "sector='sports'",
        "not a known region",
        "starts after it ends",
        "not a date",
        "unknown link parameter 'colour'",
    ):
        assert words in notice, words
    assert len(notice) < 2_000, "a huge value is not echoed in full"
    state = widget_state(page)
    defaults = choices_for(bundled()).defaults()
    assert state["sector"] == state["region"] == []
    assert (state["from"], state["to"], state["asof"]) == (
        defaults.start.isoformat(),
        defaults.end.isoformat(),
        defaults.asof.isoformat(),
    )
    assert "colour" not in url_params(page) and "sector" not in url_params(page)
