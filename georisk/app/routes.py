"""The app's own HTTP routes, served by the Streamlit server beside the pages (st.App, DESIGN.md
§5): one process and one port for everything.

    GET /alerts/feed/{token}.atom    the Atom feed of one rule, or of every rule (the token says
                                     which); feed readers cannot send headers, so the secret is
                                     in the URL, and a wrong one gets 404 (never a hint).
    GET /api/v1/...                  the JSON API (georisk.api.http), on the data this process
                                     shows, with the pages' shared cache of overviews
    POST /mcp                        the MCP server (georisk.api.mcp_server): the same answers as
                                     tools, stateless streamable HTTP; st.App's lifespan= must
                                     run MCP.lifespan (the SDK's session manager)
"""

from __future__ import annotations

import sys

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from georisk.alerts import atom, deliver, links
from georisk.alerts.records import OPEN_STATES
from georisk.alerts.rules import rule_from_dict
from georisk.analysis import overview
from georisk.api import http, mcp_server
from georisk.app import cache
from georisk.scenario.dataset import data_dir_from
from georisk.store.alerts import ALL_RULES, AlertBook
from georisk.store.location import open_store

NOT_FOUND = Response("not found\n", status_code=404, media_type="text/plain")


def alert_feed(request: Request) -> Response:
    # A plain function: Starlette runs it in its thread pool, so the store's queries never block
    # the event loop that serves every session's websocket.
    token = request.path_params["token"]
    store = open_store(data_dir_from(sys.argv), create=False)
    if store is None or not token or len(token) > 100:
        return NOT_FOUND
    book = AlertBook(store)
    whose = book.feed_of_token(token)
    if whose is None:
        return NOT_FOUND
    if whose == ALL_RULES:
        rows, title, subtitle = (
            book.alerts(limit=atom.MAX_ENTRIES),
            "Georisk: every alert",
            "Every watch rule",
        )
    else:
        stored = book.rule(whose)
        rule = rule_from_dict(stored.definition)
        rows, title, subtitle = (
            book.alerts(rule_id=whose, limit=atom.MAX_ENTRIES),
            f"Georisk: {rule.name}",
            rule.words(),
        )
    body = atom.feed_xml(
        [deliver.alert_of(row) for row in rows],
        title=title,
        feed_id=f"urn:georisk:feed:{whose if whose != ALL_RULES else 'all'}",
        self_url=links.feed_url(token),
        dashboard_url=links.public_url() + "/Alerts",
        subtitle=subtitle,
    )
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"},
    )


def api_source() -> http.Source:
    """What the API reads: the scenario this process shows (loaded once, shared with the pages),
    its overviews from the pages' shared cache, and the store's open alerts."""
    data_dir = data_dir_from(sys.argv)
    loaded = cache.Loaded.of(data_dir)

    def summarise(view, model, since, who):
        since = since or overview.since_default(view.filters.asof, view.choices.first_date)
        return loaded.summary(view, model, since, session=who)

    def alert_rows() -> list[dict]:
        store = open_store(data_dir, create=False)
        return AlertBook(store).alerts(states=OPEN_STATES, limit=5000) if store is not None else []

    return http.Source(loaded.dataset, loaded.choices, loaded.key, summarise, alert_rows)


MCP = mcp_server.Server(api_source)
ROUTES = [
    Route("/alerts/feed/{token}.atom", alert_feed, methods=["GET"]),
    *http.Api(api_source).routes(),
    *MCP.routes(),
]
