"""The API's OpenAPI 3.1 description (/api/v1/openapi.json), made from the same lists the API and
the link parse, so that it cannot drift from them."""

from __future__ import annotations

from georisk import __version__
from georisk.api import answers
from georisk.link import DATE_PARAMS, LIST_PARAMS, MODEL_PARAMS
from georisk.model.settings import MODEL_VERSION

VIEW_WORDS = {
    "sector": "Sites' sector (repeat for several).",
    "region": "Province (repeat for several).",
    "actor": "Actor family (repeat for several).",
    "category": "Event category (repeat for several).",
    "attribution": "Attribution of incidents: claimed, attributed, suspected, unknown (repeat).",
    "outcome": "Outcome of incidents: succeeded, failed, unknown (repeat).",
    "from": "First day of the period (YYYY-MM-DD).",
    "to": "Last day of the period (YYYY-MM-DD).",
    "asof": "The as-of date the risk is scored at (YYYY-MM-DD; default the data's last date).",
    "radius": "Model: exposure radius in km.",
    "halflife": "Model: recency half-life in days.",
    "w_threat": "Model: weight of the threat rating.",
    "w_exposure": "Model: weight of exposure.",
    "cuts": "Model: band cut-offs on likelihood x impact, comma-separated.",
    "ratings": "Model: where threat ratings come from: analysts, derived or combined.",
    "since": "What changed since this date (YYYY-MM-DD; default one 90-day window before the as-of date).",
    "site": "The open site's id (as in the page link).",
    "iw": "Cooperation index weights, indicator:weight,...",
}
RESOURCES = {
    "overview": "Headline band and trend, key figures and the three most exposed sites with their reasons.",
    "sites": "Every site in view, most exposed first: band, score (likelihood x impact, 1-25), threat, "
    "exposure, impact, incidents near (counted and left out for imprecision), worst segment, reason, "
    "and each component in words. Formats: JSON, CSV, GeoJSON.",
    "incidents": "The incidents in view, newest first, paged (limit <= 1000): date, place, precision "
    "(geo_precision), actor, killed, wounded, source, confidence. Formats: JSON, CSV, GeoJSON.",
    "events": "The events in view, newest first, paged. Formats: JSON, CSV.",
    "indicators": "The cooperation indicators' values (missing years stay missing) and the composite "
    "index. Formats: JSON, CSV.",
    "judgments": "The analysts' key judgments: statement, likelihood term, probability band, "
    "confidence, horizon, evidence, source. Formats: JSON, CSV.",
    "changes": "What changed since `since`: band changes, new incidents near sites, new events.",
    "alerts": "The open (and acknowledged) alerts of the watch rules, in view, paged. Formats: JSON, CSV.",
}


def _parameter(name: str, words: str, schema: dict, array: bool = False) -> dict:
    found = {"name": name, "in": "query", "required": False, "description": words, "schema": schema}
    if array:
        found |= {"schema": {"type": "array", "items": schema}, "style": "form", "explode": True}
    return found


def parameters() -> list[dict]:
    found = [_parameter(name, VIEW_WORDS[name], {"type": "string"}, array=True) for name in LIST_PARAMS]
    found += [
        _parameter(name, VIEW_WORDS[name], {"type": "string", "format": "date"}) for name in DATE_PARAMS
    ]
    found += [_parameter(name, VIEW_WORDS[name], {"type": "string"}) for name in MODEL_PARAMS]
    found += [_parameter(name, VIEW_WORDS[name], {"type": "string"}) for name in ("since", "site", "iw")]
    found += [
        _parameter(
            "limit",
            "Rows per page.",
            {"type": "integer", "minimum": 1, "maximum": answers.MAX_LIMIT, "default": answers.DEFAULT_LIMIT},
        ),
        _parameter("offset", "Rows to skip.", {"type": "integer", "minimum": 0, "default": 0}),
        _parameter(
            "format",
            "json, csv or geojson (or a .csv / .geojson suffix, or Accept).",
            {"type": "string", "enum": list(answers.FORMATS)},
        ),
    ]
    return found


def _responses(formats: tuple[str, ...]) -> dict:
    content = {"application/json": {"schema": {"type": "object"}}}
    if "csv" in formats:
        content["text/csv"] = {"schema": {"type": "string"}}
    if "geojson" in formats:
        content["application/geo+json"] = {"schema": {"type": "object"}}
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        "200": {
            "description": "The answer, with `meta`: view, model version, as-of date, sources, freshness.",
            "headers": {"ETag": {"schema": {"type": "string"}}},
            "content": content,
        },
        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
        "400": {"description": "A parameter cannot be used; `invalid_params` names it.", "content": problem},
        "401": {"description": "A token is needed, or the one given is not valid.", "content": problem},
        "404": {"description": "No such resource or site.", "content": problem},
        "406": {"description": "The resource has no such format.", "content": problem},
        "429": {"description": "Over the rate limit; see Retry-After.", "content": problem},
    }


FORMATS = {
    "sites": ("json", "csv", "geojson"),
    "incidents": ("json", "csv", "geojson"),
    "events": ("json", "csv"),
    "indicators": ("json", "csv"),
    "judgments": ("json", "csv"),
    "alerts": ("json", "csv"),
}


def document() -> dict:
    paths: dict = {}
    for name, words in RESOURCES.items():
        paths[f"/api/v1/{name}"] = {
            "get": {
                "operationId": name,
                "summary": words,
                "parameters": [{"$ref": f"#/components/parameters/{p['name']}"} for p in parameters()],
                "responses": _responses(FORMATS.get(name, ("json",))),
                "security": [{}, {"bearer": []}],
            }
        }
    paths["/api/v1/sites/{site_id}"] = {
        "get": {
            "operationId": "site",
            "summary": "One site's score and why, with each scoring segment (a pipeline is scored in "
            "segments).",
            "parameters": [
                {"name": "site_id", "in": "path", "required": True, "schema": {"type": "string"}},
                *[{"$ref": f"#/components/parameters/{p['name']}"} for p in parameters()],
            ],
            "responses": _responses(("json",)),
            "security": [{}, {"bearer": []}],
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Geopolitical risk dashboard API",
            "version": __version__,
            "description": "The dashboard's answers as data, for a view given by the page link's "
            f"parameters. Risk model {MODEL_VERSION}. Read-only. A token (Authorization: Bearer) is "
            "needed when the deployment is hosted or has sign-in; a local run is open.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "parameters": {p["name"]: p for p in parameters()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details.",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "invalid_params": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                            },
                        },
                    },
                    "required": ["title", "status"],
                }
            },
        },
    }
