"""Calling the API's endpoints in this process, without a server: a request built as Starlette
would build it, on a Source made from a data folder (georisk.api.http)."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from starlette.requests import Request

from georisk.analysis import overview
from georisk.api import http
from georisk.scenario.dataset import load_dataset
from georisk.store.alerts import AlertBook
from georisk.store.location import open_store
from georisk.view import choices_for


def source_for(data_dir: Path):
    dataset = load_dataset(data_dir)
    choices = choices_for(dataset)

    def alert_rows() -> list[dict]:
        store = open_store(data_dir, create=False)
        return AlertBook(store).alerts() if store is not None else []

    made = http.Source(dataset, choices, "test", overview_of, alert_rows)
    return lambda: made


def overview_of(view, model, since, who):
    return overview.summarise(view, model, since)


def call(api: http.Api, path: str, params: dict | list | None = None, headers: dict | None = None):
    """(status, headers, body) of GET /api/v1/<path>?<params>."""
    query = urllib.parse.urlencode(params or {}, doseq=True).encode()
    scope = {
        "type": "http",
        "method": "GET",
        "path": f"{http.PREFIX}/{path}",
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    if path.startswith("sites/"):
        scope["path_params"] = {"site_id": path.split("/", 1)[1]}
        answer = api.one_site(Request(scope))
    else:
        scope["path_params"] = {"resource": path}
        answer = api.resource(Request(scope))
    return answer.status_code, dict(answer.headers), answer.body


def call_json(api: http.Api, path: str, params=None, headers=None):
    status, found, body = call(api, path, params, headers)
    return status, found, json.loads(body) if body else None
