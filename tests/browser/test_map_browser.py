"""The map in a real browser: a click on a site opens it; every layer draws with no other host."""

from __future__ import annotations

import urllib.parse

from tests.browser.conftest import settle

MAP = "document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot')._fullLayout.map._subplot.map"
MAP_READY = """() => {
  const gd = document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot');
  return !!(gd && gd._fullLayout.map && gd._fullLayout.map._subplot.map.loaded());
}"""
RENDERED = (
    """() => {
  const m = """
    + MAP
    + """;
  const counts = {};
  for (const f of m.queryRenderedFeatures()) counts[f.layer.type] = (counts[f.layer.type] || 0) + 1;
  return counts;
}"""
)


def open_map(page, url: str) -> None:
    page.goto(url)
    settle(page)
    page.wait_for_function(MAP_READY, timeout=30_000)


def test_clicking_a_site_on_the_map_opens_its_panel(server, context):
    page = context.new_page()
    open_map(page, f"{server}/Map?asof=2016-12-15&to=2016-12-15")
    assert page.locator(".st-key-site_panel").count() == 0
    # Where the map draws the Muzaffargarh power station (its coordinates in sites.geojson).
    x, y = page.evaluate(f"""() => {{
      const m = {MAP};
      const p = m.project([71.1688, 30.1062]); const r = m.getCanvas().getBoundingClientRect();
      return [r.left + p.x, r.top + p.y]; }}""")
    page.mouse.click(x, y)
    page.wait_for_url(lambda url: "site=" in url)
    settle(page)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["site"] == ["muzaffargarh-tps"]
    assert page.locator(".st-key-site_panel h2").first.text_content() == "Muzaffargarh thermal power station"


def test_every_layer_draws_with_other_hosts_blocked(server, context):
    blocked: list[str] = []

    def only_our_server(route):
        url = route.request.url
        if url.startswith((server, "blob:", "data:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page = context.new_page()
    page.route("**/*", only_our_server)
    layers = "provinces,density,incidents,rings,sites"
    open_map(page, f"{server}/Map?asof=2016-12-15&to=2016-12-15&layers={layers}")
    counts = page.evaluate(RENDERED)
    assert counts.get("fill", 0) >= 8, "provinces and density cells"
    assert counts.get("circle", 0) > 20, "incidents and sites"
    assert counts.get("line", 0) > 0, "boundaries, rings and the pipeline"
    assert counts.get("symbol", 0) > 0, "province and town labels, drawn with the app's own glyphs"
    assert blocked == [], f"the map asked another host for {blocked}"
