"""The JSON API over HTTP (Starlette routes, served beside the pages by st.App: georisk.app.routes).

    GET /api/v1                          what there is
    GET /api/v1/openapi.json             the OpenAPI 3.1 description
    GET /api/v1/overview                 headline, trend, key figures, the most exposed sites
    GET /api/v1/sites[.csv|.geojson]     every site's score, components, worst segment, reason
    GET /api/v1/sites/{site_id}          one site, with each scoring segment
    GET /api/v1/incidents[.csv|.geojson] the incidents in view, paged
    GET /api/v1/events[.csv]             the events in view, paged
    GET /api/v1/indicators[.csv]         the cooperation indicators and the composite index
    GET /api/v1/judgments[.csv]          the analysts' key judgments
    GET /api/v1/changes                  what changed since `since`
    GET /api/v1/alerts[.csv]             the open alerts in view

A view is given by the page link's own parameters (georisk.link): a view's link and its API call
differ only in the path. Formats by suffix, or by Accept (text/csv, application/geo+json).
Errors are RFC 9457 problem details naming the parameter at fault; never a traceback. Every answer
has an ETag: a client that sends it back in If-None-Match gets 304, and nothing is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from georisk.api import answers
from georisk.api.openapi import document as openapi_document
from georisk.model.settings import MODEL_VERSION
from georisk.outputs import export
from georisk.scenario.dataset import Dataset
from georisk.text import csv_text
from georisk.view import Choices

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
WORKERS_ENV = "GEORISK_API_WORKERS"
DEFAULT_WORKERS = 2
QUEUE_WAIT = 30.0  # seconds a request waits for a worker before it is told to come back
PROBLEM = "application/problem+json"
TABLES = {  # resource -> the list a CSV of it holds
    "sites": "sites",
    "incidents": "incidents",
    "events": "events",
    "indicators": "indicators",
    "judgments": "judgments",
    "alerts": "alerts",
}
GEOJSON = ("sites", "incidents")
RESOURCES = ("overview", "sites", "incidents", "events", "indicators", "judgments", "changes", "alerts")


@dataclass(frozen=True)
class Source:
    """What the API reads, from the app: the dataset in use with its choices, a key that changes
    when the data does, the overview of a view (summarise(view, model, since, who): shared with
    the pages' cache, `who` taking its share as a session does), and the store's alerts (rows; a
    function, so that only the alerts endpoint reads them)."""

    dataset: Dataset
    choices: Choices
    key: str
    summarise: Callable
    alert_rows: Callable[[], list[dict]]


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _params(request: Request) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        found.setdefault(name, []).append(value)
    return found


def _format(request: Request, suffix: str | None) -> str | None:
    if suffix:
        return suffix
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        return "csv"
    if "application/geo+json" in accept:
        return "geojson"
    return None


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")


def _incidents_geojson(answer: dict) -> bytes:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
        }
        for row in answer["incidents"]
        if row.get("lat") is not None and row.get("lon") is not None
    ]
    document = {
        "type": "FeatureCollection",
        "metadata": answer["meta"],
        "paging": answer["paging"],
        "features": features,
    }
    return _json(document)


def _csv(rows: list[dict]) -> bytes:
    flat = [
        {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v) for k, v in r.items()}
        for r in rows
    ]
    return csv_text(pd.DataFrame.from_records(flat)).encode("utf-8")


def workers(environ=os.environ) -> int:
    """How many API requests one process works on at once (GEORISK_API_WORKERS, default 2)."""
    try:
        return max(1, int(environ.get(WORKERS_ENV, DEFAULT_WORKERS)))
    except ValueError:
        return DEFAULT_WORKERS


class Api:
    def __init__(self, source: Callable[[], Source], slots: int | None = None) -> None:
        self.source = source
        # The pages' sessions and the API share the process's one busy core (Python runs one
        # thread at a time). Twenty clients asking as fast as they are answered made the sessions'
        # reruns 14x slower (benchmarks/api_load.py); a few requests at a time, the rest queued,
        # leave the sessions their turn.
        self.slots = threading.BoundedSemaphore(slots or workers())

    def routes(self) -> list[Route]:
        return [
            Route(PREFIX, self.index, methods=["GET"]),
            Route(PREFIX + "/openapi.json", self.openapi, methods=["GET"]),
            Route(PREFIX + "/sites/{site_id}", self.one_site, methods=["GET"]),
            Route(PREFIX + "/{resource}", self.resource, methods=["GET"]),
        ]

    # Plain functions: Starlette runs them in its thread pool, off the event loop that serves
    # every session's websocket.
    def index(self, request: Request) -> Response:
        return JSONResponse(
            {
                "resources": {name: f"{PREFIX}/{name}" for name in RESOURCES},
                "openapi": f"{PREFIX}/openapi.json",
                "model_version": MODEL_VERSION,
                "parameters": "the page link's own: sector, region, actor, category, attribution, outcome, "
                "from, to, asof, site, since, radius, halflife, w_threat, w_exposure, cuts, ratings, iw; "
                "and limit, offset, format",
            }
        )

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document())

    def one_site(self, request: Request) -> Response:
        site_id = request.path_params["site_id"]
        return self._answer(request, "site", None, lambda s, q: answers.site(s.summarise_for(q), q, site_id))

    def resource(self, request: Request) -> Response:
        name, _, suffix = request.path_params["resource"].partition(".")
        if name not in RESOURCES:
            return problem(
                404, "Not found", f"no resource {name!r}; the resources are {', '.join(RESOURCES)}"
            )
        if suffix and suffix not in ("csv", "geojson", "json"):
            return problem(404, "Not found", f"no format .{suffix}; the formats are .json, .csv, .geojson")
        return self._answer(request, name, suffix or None, ANSWERS[name])

    def _answer(self, request: Request, name: str, suffix: str | None, make) -> Response:
        if not self.slots.acquire(timeout=QUEUE_WAIT):
            busy = problem(503, "Busy", f"every API worker was busy for {QUEUE_WAIT:g} s; try again")
            busy.headers["Retry-After"] = "5"
            return busy
        try:
            return self._answer_now(request, name, suffix, make)
        finally:
            self.slots.release()

    def _answer_now(self, request: Request, name: str, suffix: str | None, make) -> Response:
        try:
            source = self.source()
            query = answers.parse_query(
                _params(request), source.choices, source.dataset, _format(request, suffix)
            )
        except answers.BadParameter as err:
            invalid = [{"name": n, "reason": r} for n, r in err.problems]
            return problem(400, "Bad parameter", str(err), invalid_params=invalid)
        if query.format == "csv" and name not in TABLES:
            return problem(406, "Not acceptable", f"{name} has no CSV form; ask for JSON")
        if query.format == "geojson" and name not in GEOJSON:
            return problem(406, "Not acceptable", f"{name} has no GeoJSON form; ask for JSON")
        alerts_key = ""
        if name == "alerts":
            rows = source.alert_rows()
            alerts_key = hashlib.sha256(
                _json({"a": [(r["id"], r["updated"], r["state"]) for r in rows]})
            ).hexdigest()
        tag = (
            '"'
            + hashlib.sha256(
                _json(
                    {
                        "path": request.url.path,
                        "q": sorted(_params(request).items()),
                        "data": source.key,
                        "model": MODEL_VERSION,
                        "format": query.format,
                        "alerts": alerts_key,
                    }
                )
            ).hexdigest()[:32]
            + '"'
        )
        if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={"ETag": tag})
        try:
            context = _Context(source, query, rows if name == "alerts" else None, _who(request))
            answer = make(context, query)
        except answers.NotFound as err:
            return problem(404, "Not found", str(err))
        except Exception:  # noqa: BLE001 - a client gets a problem detail, the log the traceback
            log.exception("API %s failed", request.url.path)
            return problem(500, "Internal error", "the answer could not be made; the server log says why")
        headers = {"ETag": tag, "Cache-Control": "private, max-age=0, must-revalidate"}
        meta = answer.get("meta", {})
        headers["X-Georisk-Model-Version"] = MODEL_VERSION
        if meta.get("asof"):
            headers["X-Georisk-Asof"] = meta["asof"]
        if query.format == "csv":
            return Response(_csv(answer[TABLES[name]]), media_type="text/csv; charset=utf-8", headers=headers)
        if query.format == "geojson":
            if name == "sites":
                summary = context.summarise_for(query)
                body = export.sites_geojson(summary.scores, summary.view.sites, meta)
            else:
                body = _incidents_geojson(answer)
            return Response(body, media_type="application/geo+json", headers=headers)
        return Response(_json(answer), media_type="application/json", headers=headers)


def _who(request: Request) -> str:
    """Whose request it is, for the shared cache's per-client share: the token's name when the
    access layer checked one (georisk.api.access), else the client's address."""
    token = request.scope.get("state", {}).get("api_token")
    if token is not None:
        return f"api:{getattr(token, 'name', token)}"
    return f"api:{request.client.host if request.client else 'local'}"


class _Context:
    """One request's reads, each made once: the view, its overview."""

    def __init__(self, source: Source, query: answers.Query, alert_rows: list[dict] | None, who: str) -> None:
        self.source = source
        self.query = query
        self.alert_rows = alert_rows or []
        self.who = who
        self._view = None
        self._summary = None

    @property
    def view(self):
        if self._view is None:
            self._view = answers.view_of(self.source.dataset, self.source.choices, self.query)
        return self._view

    def summarise_for(self, query: answers.Query):
        if self._summary is None:
            self._summary = self.source.summarise(self.view, query.link.model, query.link.since, self.who)
        return self._summary


ANSWERS = {
    "overview": lambda c, q: answers.headline(c.summarise_for(q), q),
    "sites": lambda c, q: answers.sites(c.summarise_for(q), q),
    "changes": lambda c, q: answers.changes(c.summarise_for(q), q),
    "incidents": lambda c, q: answers.incidents(c.view, q),
    "events": lambda c, q: answers.events(c.view, q),
    "indicators": lambda c, q: answers.indicators(c.view, q),
    "judgments": lambda c, q: answers.judgments(c.view, q),
    "alerts": lambda c, q: answers.alerts(c.view, q, c.alert_rows),
}
