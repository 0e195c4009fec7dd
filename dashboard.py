"""Home page: the executive overview. Headline risk and trend, the most exposed sites and why,
what changed, and the analysts' key judgments.

The file is also the app's ASGI entry (DESIGN.md §5): `streamlit run dashboard.py` first imports
it, with no Streamlit runtime yet, to find `app`, and serves that; every session then runs this
file as its home page, with the runtime, and only then is the page drawn."""

import streamlit as st
from starlette.middleware import Middleware

from georisk.app import access, cache, downloads, model_panel, overview_page, page, since_control, site_panel
from georisk.charts import matrix
from georisk.text import escape_markdown


def draw() -> None:
    view = page.page_frame("Overview")
    model = model_panel.model_settings()
    since = since_control.since_date(view)
    summary = cache.summary(view, model, since)
    site = site_panel.selected_site()

    st.title(escape_markdown(view.dataset.scenario.get("title", "Risk overview")))
    overview_page.headline_box(summary)
    downloads.briefing_buttons(view, model, since)
    overview_page.key_figures(summary)
    overview_page.open_alerts(view.dataset)
    overview_page.exposed_sites(summary, matrix.risk_matrix(summary.scores, model.cuts, site), site)
    site_panel.site_panel(view, model, site)
    downloads.download_sites(view, model, summary.scores)

    st.header("What changed", anchor=False)
    overview_page.what_changed(summary)
    st.header("Key judgments", anchor=False)
    overview_page.judgments(view.dataset)
    overview_page.methodology(summary)
    overview_page.footer(view)


if st.runtime.exists():
    draw()
else:
    # Streamlit's upload endpoint takes a file for any live session, uploader on the page or
    # not: the gate refuses it to every session but an analyst's (georisk/app/access.py).
    # The app's own routes (the JSON API, the MCP server at /mcp, the alerts' Atom feeds) are
    # served beside the pages: georisk/app/routes.py; ApiGuard asks for tokens where they are
    # needed. The MCP server's lifespan runs its SDK's session manager while the server runs.
    from georisk.api.access import ApiGuard
    from georisk.app.routes import MCP, ROUTES
    from georisk.app.security import SecurityHeaders

    # Outermost first: the headers go on every answer, the API's refusals included.
    app = st.App(
        "dashboard.py",
        routes=ROUTES,
        middleware=[Middleware(SecurityHeaders), Middleware(ApiGuard), Middleware(access.UploadGate)],
        lifespan=MCP.lifespan,
    )
