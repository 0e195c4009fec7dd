"""The deployment recipe, run for real: two app processes behind Debian's nginx on loopback, with
deploy/nginx.conf as shipped (only its ports and certificate paths changed, tests/proxy.py)."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest
import streamlit

from tests.browser.conftest import settle
from tests.proxy import HOST, insecure, proxied, request
from tests.sessions import Tally, Viewer, check, drive

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Strict-Transport-Security",
)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    with proxied(tmp_path_factory.mktemp("nginx")) as running:
        yield running


def metrics(base: str) -> dict[str, float]:
    """An app's own counters, read from the process directly (nginx keeps them private)."""
    text = urllib.request.urlopen(f"{base}/_stcore/metrics", timeout=10).read().decode()
    return {name: float(value) for name, value in re.findall(r"^(\S+) ([0-9.]+)$", text, flags=re.MULTILINE)}


def test_every_response_carries_the_security_headers(proxy):
    for path in ("/", "/Map?site=nsgp", "/_stcore/health", "/app/static/fonts/NOTICE.md"):
        response = request("GET", path, proxy.https)
        missing = [h for h in SECURITY_HEADERS if len(response.headers.get_all(h) or []) != 1]
        assert not missing, (path, response.status, missing)  # each header present, exactly once
    assert response.getheader("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_plain_http_is_sent_to_https(proxy):
    response = request("GET", "/Map?site=nsgp", proxy.http, tls=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/Map?site=nsgp"


def test_operator_endpoints_stay_private(proxy):
    assert request("GET", "/_stcore/metrics", proxy.https).status == 403
    assert request("POST", "/_stcore/agent/interact", proxy.https).status == 403
    assert "active_sessions" in metrics(proxy.apps[0])  # still there for the operator


def test_uploads_are_refused_by_nginx(proxy):
    """Streamlit's upload endpoint takes a file for any live session; behind the recipe nobody is an
    analyst, so nginx answers 403 itself (the app's own gate would say "analyst"), in every spelling
    of the path."""
    import http.client

    body = b'--B\r\nContent-Disposition: form-data; name="file"; filename="f.csv"\r\n\r\nx\r\n--B--\r\n'
    for path in ("/_stcore/upload_file/s/f", "//_stcore/upload_file/s/f", "/_stcore/%75pload_file/s/f"):
        connection = http.client.HTTPSConnection("127.0.0.1", proxy.https, timeout=10, context=insecure())
        connection.request(
            "PUT", path, body=body, headers={"Host": HOST, "Content-Type": "multipart/form-data; boundary=B"}
        )
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        connection.close()
        assert response.status == 403, (path, response.status, text)
        assert "analyst" not in text, (path, "reached the app: nginx let the upload through")


def test_the_script_hash_in_the_policy_is_streamlits(proxy):
    """The policy allows one inline script by its hash; a Streamlit upgrade that changes it fails here."""
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script>(.*?)</script>", index, flags=re.DOTALL)
    policy = request("GET", "/", proxy.https).getheader("Content-Security-Policy")
    for script in scripts:
        digest = b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_sessions_work_through_nginx_and_stay_on_their_process(proxy):
    """Viewers, each with the cookie nginx gives, browse through the proxy; then each drops its
    connection and comes back: only the process that holds its session can resume it."""

    async def scenario() -> tuple[Tally, list[str]]:
        tally, lost = Tally(), []
        viewers = []
        for index in range(8):
            cookie = request("GET", "/", proxy.https).getheader("Set-Cookie").split(";")[0]
            viewer = Viewer(
                f"https://{HOST}",
                headers={"Cookie": cookie},
                tls=insecure(),
                connect_to=("127.0.0.1", proxy.https),
            )
            check(await viewer.open(), {}, f"viewer {index}", tally)
            sector = sorted(viewer.widgets["filter.sector"].options)[index % 3]
            run = await viewer.set_filters({"filter.sector": [sector]})
            check(run, {"sector": [sector]}, f"viewer {index}", tally)
            viewers.append((viewer, sector))
        for index, (viewer, sector) in enumerate(viewers):
            await viewer.close()
            run = await viewer.open(resume=True)
            check(run, {}, f"viewer {index} after reconnecting", tally)
            if run.query.get("sector") != [sector]:
                lost.append(f"viewer {index} came back to {run.query.get('sector')}, had {sector}")
            await viewer.close()
        return tally, lost

    before = [metrics(base) for base in proxy.apps]
    tally, lost = drive(scenario())
    after = [metrics(base) for base in proxy.apps]
    assert not tally.problems, tally.problems
    assert not lost, lost
    connects = [
        a['session_events_total{type="connect"}'] - b['session_events_total{type="connect"}']
        for a, b in zip(after, before, strict=True)
    ]
    reconnects = [
        a['session_events_total{type="reconnect"}'] - b['session_events_total{type="reconnect"}']
        for a, b in zip(after, before, strict=True)
    ]
    assert sum(connects) == 8 and all(c > 0 for c in connects), connects  # both processes serve
    assert reconnects == connects, (connects, reconnects)  # each came back to its own process


def test_a_host_not_listed_is_refused(proxy):
    """server.allowedHosts: a websocket that names another host gets no session."""

    async def attempt() -> str:
        viewer = Viewer("http://evil.example", connect_to=("127.0.0.1", int(proxy.apps[0].rsplit(":", 1)[1])))
        try:
            await viewer.open()
        except Exception as err:
            return type(err).__name__
        return "connected"

    assert drive(attempt()) != "connected"


def test_pages_render_under_the_policy_in_chromium(proxy, browser, tmp_path):
    """The Content-Security-Policy blocks nothing the app needs: every page draws, no violation."""
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    violations, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.expose_function("reportViolation", lambda v: violations.append(v))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    # Through the proxy: the overview and the map (its workers, blobs and canvas); every page under
    # the app's own copy of the policy is tests/browser/test_headers.py's.
    for path in ("/?site=nsgp", "/Map?site=nsgp"):
        page.goto(f"{proxy.url}{path}")  # the recipe's host name, mapped to loopback (CHROMIUM_ARGS)
        try:
            settle(page)
        except Exception as err:
            raise AssertionError((path, violations, errors)) from err
        drawn = {"/Map": "canvas.maplibregl-canvas", "/Data": '[data-testid="stDataFrame"] canvas'}
        page.wait_for_selector(drawn.get(path.split("?")[0], ".js-plotly-plot .main-svg"), timeout=30_000)
        page.screenshot(path=str(tmp_path / f"{path.strip('/?').split('?')[0] or 'overview'}.png"))
    context.close()
    assert not violations, violations
    assert not [e for e in errors if "Content Security Policy" in e], errors
    log = (proxy.folder / "error.log").read_text(encoding="utf-8")
    assert not re.findall(r"\[(?:crit|alert|emerg)\].*", log), log
