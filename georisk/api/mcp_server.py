"""The MCP server (Model Context Protocol, streamable HTTP) at /mcp: the JSON API's answers as
tools an assistant can call, served by the Streamlit process beside the pages (georisk.app.routes).

    portfolio_risk        the headline and every site's score            (answers.headline, .sites)
    site_risk             one site's score, why, and each segment        (answers.site)
    incidents_near_site   the incidents within the radius of a site      (model.breakdown.nearby)
    what_changed          band changes, new incidents and events         (answers.changes)
    open_alerts           the open alerts in view                        (answers.alerts)
    briefing://overview   the one-page briefing, as HTML                 (outputs.briefing)

Each tool takes the page link's own parameters (georisk.link), checked by the API's parse_query:
a bad value is a tool error naming the parameter. Answers are the API's, computed by the pages'
functions; nothing is summarised by a language model. Every item carries its own `source` and
`confidence` (a site's from the sites table), so that an assistant can cite it. Text in the data
comes back as plain strings in JSON, never as markup or instructions.

Stateless (every request stands alone; any replica can answer), with JSON responses. The SDK's
session manager must run for the life of the server: `lifespan` does that (st.App's lifespan=).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pandas as pd
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import Field
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from georisk.alerts import links
from georisk.api import answers, http
from georisk.link import link_params
from georisk.model import breakdown
from georisk.outputs import briefing

PATH = "/mcp"
BRIEFING_URI = "briefing://overview"
READ_ONLY = ToolAnnotations(
    readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False
)
INSTRUCTIONS = (
    "Georisk: the militant threat to a portfolio of sites, scored by a transparent model "
    "(likelihood 1-5 from threat and exposure, times impact 1-5; bands by cut-offs on the product "
    "1-25). Every answer is computed by the dashboard's own functions, never summarised; cite each "
    "item by its `source` and `confidence`. `meta` says what an answer rests on: model version, "
    "as-of date, the view's filters, the sources and their freshness, and a link_query that opens "
    "the same view in the dashboard. Dates are ISO dates (YYYY-MM-DD), distances km."
)

# The view a tool's caller may choose: the page link's parameters, in the link's own names.
Asof = Annotated[
    str | None,
    Field(
        description="The as-of date, YYYY-MM-DD (default: the data's last date); scores are as of this day."
    ),
]
Names = Annotated[
    str | list[str] | None,
    Field(description="Keep only these (one value or a list); default: all."),
]
Since = Annotated[
    str | None,
    Field(description="Compare with this date, YYYY-MM-DD (default: 90 days before the as-of date)."),
]
Limit = Annotated[
    int | None, Field(description=f"At most this many items, 1 to {answers.MAX_LIMIT:,} (default 100).")
]
Offset = Annotated[int | None, Field(description="Skip this many items first (paging; default 0).")]


def _params(**given: object) -> dict[str, list[str]]:
    """A tool's arguments as the link's query parameters (None: not given)."""
    found: dict[str, list[str]] = {}
    for name, value in given.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str | int | float) else list(value)
        found[name] = [f"{v:g}" if isinstance(v, float) else str(v) for v in values]
    return found


class Server:
    """The MCP server on what the API reads (`source`, as georisk.api.http.Api takes it)."""

    def __init__(self, source: Callable[[], http.Source]) -> None:
        self.source = source
        # log_level: the SDK configures the root logger if nothing has; INFO would log every call.
        self.mcp = MCPServer(
            name="georisk", title="Georisk: geopolitical risk", instructions=INSTRUCTIONS, log_level="WARNING"
        )
        for tool in (self.portfolio_risk, self.site_risk, self.incidents_near_site, self.what_changed):
            self.mcp.add_tool(tool, annotations=READ_ONLY, structured_output=True)
        self.mcp.add_tool(
            self.open_alerts,
            annotations=ToolAnnotations(readOnlyHint=True, destructiveHint=False, openWorldHint=False),
            structured_output=True,
        )
        self.mcp.resource(
            BRIEFING_URI,
            name="briefing",
            title="One-page briefing",
            description="The one-page briefing of the default view (the dashboard's Overview): headline "
            "band and trend, the risk matrix and map, the most exposed sites and why, what changed, key "
            "judgments, sources, model version and as-of date. A self-contained HTML page (plotly.js "
            "inlined, several MB), the same as the Overview's briefing download.",
            mime_type="text/html",
        )(self.briefing_html)
        app = self.mcp.streamable_http_app(
            streamable_http_path=PATH,
            json_response=True,
            stateless_http=True,
            transport_security=transport_security(),
        )
        # The SDK's own handler on exactly PATH, served in our app's route list, POST only.
        handler = next(r for r in app.routes if isinstance(r, Route) and r.path == PATH).endpoint
        self.route = Route(PATH, endpoint=_PostOnly(handler))

    def routes(self) -> list[Route]:
        return [self.route]

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """For st.App(lifespan=...): the SDK's session manager, running while the server runs."""
        async with self.mcp.session_manager.run():
            yield None

    # -- reading a view

    def _query(self, params: dict[str, list[str]], names: Mapping[str, str] = {}) -> tuple[http.Source, Any]:
        """The source and the checked query; a bad value is a ToolError naming the tool's parameter
        (`names`: link name -> the tool's name, where they differ)."""
        source = self.source()
        try:
            return source, answers.parse_query(params, source.choices, source.dataset)
        except answers.BadParameter as err:
            raise ToolError(
                "Bad parameter: " + "; ".join(f"{names.get(n, n)}: {reason}" for n, reason in err.problems)
            ) from None

    def _summary(self, source: http.Source, query: answers.Query):
        view = answers.view_of(source.dataset, source.choices, query)
        return view, source.summarise(view, query.link.model, query.link.since, "mcp")

    # -- the tools (plain functions: the SDK runs them in a worker thread, off the event loop)

    def portfolio_risk(
        self, asof: Asof = None, sector: Names = None, region: Names = None, actor: Names = None
    ) -> dict[str, Any]:
        """The portfolio's risk in the view: the headline (the worst band in view and its movement
        against 90 days before, the worst site, the trend of incidents near sites in the last 90 days
        against the 90 before, the sites in High or Very high, the highest-threat provinces) and every
        site in view, most exposed first, each with its rank, band (Very low, Low, Medium, High, Very
        high), score (likelihood class x impact, 1-25), likelihood (1.0-5.0) and its class (1-5),
        impact (1-5, the site's criticality), threat level (1-5, or null when its province has no
        rating), exposure (severity- and recency-weighted incidents within the radius, >= 0) and
        its level (1-5), incidents counted and left out for imprecision, worst segment, reason and
        components in words, and the site record's own source and confidence. The same answers as
        GET /api/v1/overview and /api/v1/sites."""
        source, query = self._query(_params(asof=asof, sector=sector, region=region, actor=actor))
        _, summary = self._summary(source, query)
        head = answers.headline(summary, query)
        cited = _sites_cited(source)
        head["most_exposed"] = [{**row, **cited(row["site_id"])} for row in head["most_exposed"]]
        rows = [{**row, **cited(row["site_id"])} for row in answers.sites(summary, query)["sites"]]
        return _plain({"headline": head, "sites": rows, "meta": head.pop("meta")})

    def site_risk(
        self,
        site_id: Annotated[str, Field(description="The site's id (site_id in portfolio_risk).")],
        asof: Asof = None,
    ) -> dict[str, Any]:
        """One site's risk as of a date and why: its rank, band (Very low to Very high), score
        (likelihood class x impact, 1-25), likelihood (1.0-5.0) and its class, impact and threat
        (1-5), exposure (>= 0) and its level (1-5), the components in words, the
        reason, the worst segment, and each scoring segment (a pipeline is cut into segments of at
        most 50 km; the site takes the worst), with the site record's source and confidence. Same as
        GET /api/v1/sites/{site_id}."""
        source, query = self._query(_params(site=site_id, asof=asof), {"site": "site_id"})
        _, summary = self._summary(source, query)
        try:
            answer = answers.site(summary, query, site_id)
        except answers.NotFound as err:
            raise ToolError(f"site_id: {err}") from None
        answer["site"].update(_sites_cited(source)(site_id))
        return _plain(answer)

    def incidents_near_site(
        self,
        site_id: Annotated[str, Field(description="The site's id (site_id in portfolio_risk).")],
        radius_km: Annotated[
            float | None,
            Field(description="The radius in km (default: the model's, 50 km); it is also the model's."),
        ] = None,
        since: Annotated[
            str | None, Field(description="Only incidents on or after this date, YYYY-MM-DD.")
        ] = None,
        asof: Asof = None,
        limit: Limit = None,
    ) -> dict[str, Any]:
        """The incidents whose points lie within the radius of any part of a site, on or before the
        as-of date, counted first and then nearest first (the site panel's table): each with its
        incident_id, date, distance_km (km from the nearest part of the site, to 0.1 km),
        geo_precision and date_precision, counted (true when placed precisely enough for the radius
        to count toward exposure; false: left out for imprecision), location, group, actor family,
        attack and target type, killed and wounded, source and confidence. Also the counts
        (counted, left out, total), the heading in words and the precision rule."""
        params = _params(site=site_id, radius=radius_km, since=since, asof=asof, limit=limit)
        source, query = self._query(params, {"site": "site_id", "radius": "radius_km"})
        view = answers.view_of(source.dataset, source.choices, query)
        sites = view.sites.set_index("site_id")
        if site_id not in sites.index:
            raise ToolError(f"site_id: no site {site_id!r} in view")
        model, start, asof_day = query.link.model, view.filters.start, view.filters.asof
        near = breakdown.nearby(
            view.ctx, sites.loc[site_id].geometry, model, start, asof_day, view.incident_mask
        )
        # The table keeps the incidents' own index: their ids, precision and confidence come from it.
        table = near.table.join(view.ctx.incidents[["incident_id", "date_precision", "confidence"]])
        table["counted"] = table["counted"] == "yes"
        if query.link.since is not None:
            table = table[table["date"] >= pd.Timestamp(query.link.since)]
        fields = ["incident_id", "date", "date_precision", "distance_km", "counted", "geo_precision"]
        fields += [c for c in breakdown.TABLE_COLUMNS if c not in fields] + ["confidence"]
        rows = answers.records(table.head(query.limit), fields)
        return _plain(
            {
                "site_id": site_id,
                "radius_km": model.radius_km,
                "heading": near.heading,
                "counted": int(table["counted"].sum()),
                "left_out_for_imprecision": int((~table["counted"]).sum()),
                "total": len(table),
                "since": query.link.since.isoformat() if query.link.since else None,
                "incidents": rows,
                "precision_rule": breakdown.precision_rule(model, view.ctx.district_km),
                "meta": answers.meta(view, query, "incidents", len(rows), site=_sites_cited(source)(site_id)),
            }
        )

    def what_changed(
        self,
        since: Since = None,
        asof: Asof = None,
        sector: Names = None,
        region: Names = None,
        actor: Names = None,
    ) -> dict[str, Any]:
        """What changed between `since` and the as-of date: the sites whose band moved (name, band
        before and now, up or down, reason, and the site record's source and confidence), the
        incidents and the events dated after `since` (each with its source and confidence). Same as
        GET /api/v1/changes."""
        params = _params(since=since, asof=asof, sector=sector, region=region, actor=actor)
        source, query = self._query(params)
        _, summary = self._summary(source, query)
        answer = answers.changes(summary, query)
        ids = dict(zip(summary.scores["name"], summary.scores["site_id"], strict=True))
        cited = _sites_cited(source)
        answer["band_changes"] = [
            {"site_id": ids.get(row["name"]), **row, **cited(ids.get(row["name"]))}
            for row in answer["band_changes"]
        ]
        return _plain(answer)

    def open_alerts(
        self,
        asof: Asof = None,
        sector: Names = None,
        region: Names = None,
        actor: Names = None,
        limit: Limit = None,
        offset: Offset = None,
    ) -> dict[str, Any]:
        """The open and acknowledged alerts whose site or province is in view, newest first: each
        with its id, rule, kind (incident, band or threat), state, when raised and updated (ISO 8601
        UTC), title and why in words, site, province, distance_km (km from the site, incident
        alerts), the incident as its feed gives it (date, location, group, casualties, precision,
        source, confidence; null for band and threat alerts, which the model raised) and links into
        the dashboard; with paging (total, limit, offset, next_offset). Same as GET /api/v1/alerts."""
        params = _params(asof=asof, sector=sector, region=region, actor=actor, limit=limit, offset=offset)
        source, query = self._query(params)
        view = answers.view_of(source.dataset, source.choices, query)
        return _plain(answers.alerts(view, query, source.alert_rows()))

    def briefing_html(self) -> str:
        source = self.source()
        query = answers.parse_query({}, source.choices, source.dataset)
        _, summary = self._summary(source, query)
        pairs = [(k, v) for k, values in link_params(query.link, source.choices).items() for v in values]
        try:
            return briefing.build(summary, f"{links.public_url()}/?{urllib.parse.urlencode(pairs)}").html
        except Exception as err:  # noqa: BLE001 - the SDK would log it; the client gets a plain error
            raise ResourceError("the briefing could not be made; the server log says why") from err


class _PostOnly:
    """An ASGI app: POST goes to the SDK's handler, any other method gets 405. A stateless server
    has nothing to push, and the SDK would hold a GET open as an empty event stream for as long as
    the client waits (its clients never ask without a session). Answered here rather than by the
    route's methods, which would let the page's catch-all route answer a GET with the app."""

    def __init__(self, handler: ASGIApp) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "POST":
            await self.handler(scope, receive, send)
            return
        refusal = PlainTextResponse("POST MCP messages here\n", status_code=405, headers={"Allow": "POST"})
        await refusal(scope, receive, send)


def _sites_cited(source: http.Source) -> Callable[[str | None], dict]:
    """A site's citation: its record's own source and confidence (the sites table)."""
    table = source.dataset.sites.drop_duplicates("site_id").set_index("site_id")[["source", "confidence"]]

    def cited(site_id: str | None) -> dict:
        if site_id is None or site_id not in table.index:
            return {"source": None, "confidence": None}
        row = table.loc[site_id]
        return {k: None if pd.isna(row[k]) else str(row[k]) for k in ("source", "confidence")}

    return cited


def _plain(answer: dict) -> dict[str, Any]:
    """The answer as plain JSON values (what the API would send)."""
    return json.loads(json.dumps(answer, ensure_ascii=False, allow_nan=False, default=str))


def transport_security(environ: Mapping[str, str] | None = None) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding check: requests must name this server, on loopback or at its public
    address (GEORISK_PUBLIC_URL, as the alerts' links do)."""
    public = urllib.parse.urlsplit(links.public_url() if environ is None else links.public_url(environ))
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if public.netloc:
        hosts += [public.netloc, f"{public.hostname}:*", public.hostname or ""]
        origins += [f"{public.scheme}://{public.netloc}"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=sorted(set(hosts) - {""}), allowed_origins=origins
    )
