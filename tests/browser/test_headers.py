"""One instance served without nginx sends the security headers itself (georisk/app/security.py):
on pages, static files, our own routes and their 404s, and the websocket handshake; keeps
Streamlit's metrics for the operator; and every page draws in Chromium under its own policy."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
import websockets

from georisk.app.security import CONTENT_SECURITY_POLICY, HEADERS, METRICS_ALLOW_ENV
from tests.browser.conftest import running_app, settle, start_server
from tests.sessions import drive  # a thread of its own: Playwright may hold this thread's loop

PAGES = ("/?site=nsgp", "/Timeline", "/Map?site=nsgp", "/Cooperation", "/Data", "/Alerts")
DRAWN = {
    "/Map": "canvas.maplibregl-canvas",
    "/Data": '[data-testid="stDataFrame"] canvas',
    "/Alerts": 'h1:has-text("Alerts")',
}


@pytest.fixture(scope="module")
def app():
    with running_app() as base:
        yield base


def get(url: str, headers: dict | None = None):
    """The response, an error status included (urllib raises those)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=20) as answer:
            answer.read()
            return answer
    except urllib.error.HTTPError as err:
        err.read()
        return err


def each_once(headers, where: str) -> None:
    """Every security header present exactly once, with the app's value; no HSTS on plain http."""
    wrong = {
        name: headers.get_all(name) for name, value in HEADERS.items() if headers.get_all(name) != [value]
    }
    assert not wrong, (where, wrong)
    assert not headers.get_all("Strict-Transport-Security"), where  # a plain-http instance claims no TLS


def test_pages_static_files_and_our_routes_carry_the_headers(app):
    html = urllib.request.urlopen(f"{app}/", timeout=20).read().decode("utf-8")
    scripts = re.findall(r'<script[^>]+src="\.?(/static/[^"]+\.js)"', html)
    assert scripts, "index.html names no static script"
    answers = {
        "/": 200,
        "/Map?site=nsgp": 200,
        scripts[0]: 200,  # Streamlit's own JavaScript bundle
        "/app/static/fonts/NOTICE.md": 200,  # the project's static/ folder
        "/_stcore/health": 200,
        "/alerts/feed/x.atom": 404,  # our route: an unknown token still gets the headers
        "/alerts/feed/nothing": 200,  # not our route: Streamlit's index page, as for any page name
        "/api/v1/overview": 200,  # an API answer
        "/api/v1/sites?sector=nope": 400,  # an API problem detail
        "/api/v1/openapi.json": 200,
    }
    for path, status in answers.items():
        response = get(f"{app}{path}")
        assert response.status == status, (path, response.status)
        each_once(response.headers, path)
    feed = get(f"{app}/alerts/feed/x.atom")
    assert feed.headers.get_all("X-Content-Type-Options") == ["nosniff"]  # the route's own copy replaced


def test_the_websocket_handshake_carries_the_headers(app):
    async def handshake():
        async with websockets.connect(
            app.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], ping_interval=None
        ) as socket:
            return socket.response

    response = drive(handshake())
    assert response.status_code == 101
    for name, value in HEADERS.items():
        assert response.headers.get_all(name) == [value], name
    assert not response.headers.get_all("Strict-Transport-Security")


def test_metrics_are_for_a_client_on_this_machine_reaching_the_server_directly(app):
    direct = get(f"{app}/_stcore/metrics")
    assert direct.status == 200 and direct.headers.get_content_type() == "application/openmetrics-text"
    each_once(direct.headers, "metrics")
    for proxy in ({"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"}):
        refused = get(f"{app}/_stcore/metrics", headers=proxy)
        assert refused.status == 403, proxy
        assert refused.headers.get_content_type() == "text/plain", proxy
        each_once(refused.headers, f"metrics refused {proxy}")
    assert get(f"{app}//_stcore/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status == 403


def test_the_operator_may_open_the_metrics():
    process, base = start_server(extra_env={METRICS_ALLOW_ENV: "1"})
    try:
        answer = get(f"{base}/_stcore/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
        assert answer.status == 200
        each_once(answer.headers, "metrics allowed")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pages_render_under_the_apps_own_policy_in_chromium(app, browser, tmp_path):
    """No nginx: the policy comes from the app, and blocks nothing any page needs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    violations, errors, policies = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            policies.append(r.headers.get("content-security-policy"))
            if r.request.is_navigation_request()
            else None
        ),
    )
    page.expose_function("reportViolation", lambda v: violations.append(v))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    for path in PAGES:
        page.goto(f"{app}{path}")
        try:
            settle(page)
            page.wait_for_selector(DRAWN.get(path.split("?")[0], ".js-plotly-plot .main-svg"), timeout=30_000)
        except Exception as err:
            raise AssertionError((path, violations, errors)) from err
        page.screenshot(path=str(tmp_path / f"{path.strip('/?').split('?')[0] or 'overview'}.png"))
    context.close()
    assert policies and set(policies) == {CONTENT_SECURITY_POLICY}, policies  # the app's own, on each page
    assert not violations, violations
    assert not [e for e in errors if "Content Security Policy" in e], errors
