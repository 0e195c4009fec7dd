"""The API and the MCP server behind their access layer on a real app process, as a hosted
deployment runs them (tokens required): a missing token, a good one, a revoked one, the rate
limit, and an unchanged view answered 304 through the whole stack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from georisk.feeds.store import store_for
from georisk.store.tokens import TokenBook
from tests.browser.conftest import start_server


def ask(url: str, token: str | None = None, data: bytes | None = None, headers: dict | None = None):
    sent = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    if data is not None:
        sent |= {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=sent), timeout=60
        ) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    import shutil

    from tests.conftest import DATA

    folder = tmp_path_factory.mktemp("hosted") / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("state"))
    book = TokenBook(store_for(folder))
    good, _ = book.create("reporting", "test")
    doomed, _ = book.create("leaked", "test")
    process, base = start_server(folder, {"GEORISK_HOSTED": "1", "GEORISK_API_RATE": "30"})
    try:
        yield base, book, good, doomed
    finally:
        process.terminate()
        process.wait(timeout=30)


LIST_TOOLS = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}).encode()


def test_a_hosted_api_needs_a_good_token(hosted):
    base, book, good, doomed = hosted
    status, headers, body = ask(f"{base}/api/v1/overview")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(body)["status"] == 401 and headers["Content-Type"] == "application/problem+json"
    assert ask(f"{base}/api/v1/overview", "grk_not-a-token")[0] == 401
    status, headers, body = ask(f"{base}/api/v1/overview", good)
    assert status == 200 and json.loads(body)["meta"]["model_version"]
    assert ask(f"{base}/api/v1/overview", good, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert ask(f"{base}/mcp", data=LIST_TOOLS)[0] == 401, "the MCP server is behind the same guard"
    status, _, body = ask(f"{base}/mcp", good, data=LIST_TOOLS)
    assert status == 200 and "portfolio_risk" in body.decode()
    assert ask(f"{base}/api/v1/sites", doomed)[0] == 200
    book.revoke("leaked", "test")
    assert ask(f"{base}/api/v1/sites", doomed)[0] == 401, "revoked: refused at once, with no restart"
    assert ask(f"{base}/", None)[0] == 200, "the pages need no token"


def test_past_the_rate_limit_a_client_waits(hosted):
    base, book, _, _ = hosted
    secret, _ = book.create("busy", "test")
    statuses = [ask(f"{base}/api/v1", secret)[0] for _ in range(40)]
    assert statuses[:25].count(200) == 25 and 429 in statuses
    status, headers, body = ask(f"{base}/api/v1", secret)
    assert status == 429 and int(headers["Retry-After"]) >= 1 and json.loads(body)["status"] == 429
