"""Who may change the data (georisk/app/access.py): the role in every deployment mode, and Streamlit's
own upload endpoint refused to viewers on a real server."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager

import pytest

from georisk.app import access
from tests.browser.conftest import free_port
from tests.conftest import DATA, ROOT
from tests.sessions import Viewer, drive

LISTED = frozenset({"ana@example.org"})


def role(address="127.0.0.1", sign_in=False, email=None, analysts=LISTED, env=None, proxied=False):
    return access.decide(
        address=address, sign_in=sign_in, email=email, analysts=analysts, env=env or {}, proxied=proxied
    )


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1", "127.0.1.1", "[::1]"])
def test_a_local_run_is_an_analyst(address):
    decision = role(address)
    assert decision.analyst and "local run" in decision.reason


@pytest.mark.parametrize(
    "address", [None, "", "0.0.0.0", "::", "192.0.2.7", "dashboard.example.org", "unix:///s"]
)
def test_a_server_others_can_reach_has_only_viewers_without_sign_in(address):
    decision = role(address)
    assert not decision.analyst
    assert decision.role == access.VIEWER and decision.reason


def test_a_local_process_reached_through_a_proxy_has_only_viewers():
    """deploy/nginx.conf binds each process to loopback: the world reaches it through nginx."""
    assert not role("127.0.0.1", proxied=True).analyst
    assert access.forwarded({"Host": "x", "X-Forwarded-For": "203.0.113.9"})
    assert access.forwarded(["forwarded"])
    assert not access.forwarded({"Host": "localhost:8501", "Origin": "http://localhost:8501"})


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_read_only_is_viewer_only_in_every_mode(value):
    env = {access.READ_ONLY_ENV: value}
    assert not role("127.0.0.1", env=env).analyst
    assert not role("0.0.0.0", sign_in=True, email="ana@example.org", env=env).analyst
    assert "GEORISK_READ_ONLY" in role(env=env).reason


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_read_only_off_leaves_the_other_rules(value):
    assert role("127.0.0.1", env={access.READ_ONLY_ENV: value}).analyst
    assert not role("0.0.0.0", env={access.READ_ONLY_ENV: value}).analyst


def test_with_sign_in_only_listed_users_are_analysts():
    assert role("0.0.0.0", sign_in=True, email="ana@example.org").analyst
    assert role("0.0.0.0", sign_in=True, email="  ANA@Example.org ").analyst  # providers differ in case
    assert role("0.0.0.0", sign_in=True, email="ana@example.org", proxied=True).analyst  # behind nginx
    outsider = role("0.0.0.0", sign_in=True, email="eve@example.org")
    assert not outsider.analyst and "not on the analysts' list" in outsider.reason
    assert not role("0.0.0.0", sign_in=True, email=None).analyst
    assert not role("0.0.0.0", sign_in=True, email="ana@example.org.evil").analyst


def test_with_sign_in_a_local_run_is_not_enough():
    """Sign-in configured: the allow-list decides, even on loopback; an empty list means nobody."""
    assert not role("127.0.0.1", sign_in=True, email="eve@example.org").analyst
    nobody = role("127.0.0.1", sign_in=True, email="ana@example.org", analysts=frozenset())
    assert not nobody.analyst and access.ANALYSTS_ENV in nobody.reason


def test_the_allow_list_is_read_from_its_variable():
    assert access.analysts_from("ana@example.org, Ben@Example.org;cy@x.org  dee@x.org") == {
        "ana@example.org",
        "ben@example.org",
        "cy@x.org",
        "dee@x.org",
    }
    assert access.analysts_from(None) == frozenset()
    assert access.analysts_from(" , ") == frozenset()


def test_the_upload_gate_knows_only_sessions_recorded_as_analysts():
    session = str(uuid.uuid4())
    assert not access.may_upload(session, {})  # never seen: refused
    access.remember(session, role("127.0.0.1"))
    assert access.may_upload(session, {})
    assert not access.may_upload(session, {access.READ_ONLY_ENV: "1"})
    access.remember(session, role("0.0.0.0"))  # the role was lost (signed out, list changed)
    assert not access.may_upload(session, {})


@pytest.mark.parametrize(
    "path",
    ["/_stcore/upload_file/S/F", "//_stcore/upload_file/S/F", "/base/_stcore/upload_file/S/F"],
)
def test_the_gate_finds_the_session_of_every_upload_path(path):
    assert access.upload_session(path) == "S"
    assert access.upload_session("/_stcore/health") is None


def test_the_gate_answers_403_before_the_app_reads_the_body(monkeypatch):
    monkeypatch.delenv(access.READ_ONLY_ENV, raising=False)
    reached, sent = [], []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def send(message):
        sent.append(message)

    async def call(method, path):
        await access.UploadGate(app)({"type": "http", "method": method, "path": path}, None, send)

    analyst = str(uuid.uuid4())
    access.remember(analyst, role("127.0.0.1"))
    drive(call("PUT", f"/_stcore/upload_file/{uuid.uuid4()}/f"))
    assert sent[0]["status"] == 403 and not reached
    drive(call("PUT", f"/_stcore/upload_file/{analyst}/f"))
    drive(call("GET", "/_stcore/health"))
    assert reached == [f"/_stcore/upload_file/{analyst}/f", "/_stcore/health"]


# ---------------------------------------------------------------------------------------------
# A real server, as `streamlit run dashboard.py` starts it, and a file PUT to its upload endpoint
# by a session holding the XSRF cookie: what a viewer can do without any uploader on the page.


@contextmanager
def serving(address: str | None, env: dict[str, str] | None = None):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "dashboard.py"),
        "--server.port",
        str(port),
    ]
    if address is not None:
        command += ["--server.address", address]
    inherited = {k: v for k, v in os.environ.items() if k not in (access.READ_ONLY_ENV, access.ANALYSTS_ENV)}
    environment = {**inherited, "GEORISK_DATA": str(DATA), **(env or {})}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited: {process.stderr.read()}")
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def put_a_file(base: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Open a session over the websocket (as a browser does), take the XSRF cookie the server
    hands out, and PUT a file for that session: the answer's status and body."""
    port = int(base.rsplit(":", 1)[1])
    health = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    health.request("GET", "/_stcore/health")
    answer = health.getresponse()
    answer.read()
    cookie = next(v.split(";")[0] for k, v in answer.getheaders() if k.lower() == "set-cookie")
    viewer = Viewer(base, headers=headers or {})
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="feed.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + b"x" * 100_000 + b"\r\n--B--\r\n"
    )

    async def scenario() -> tuple[int, bytes]:
        run = await viewer.open()
        assert not run.exceptions, run.exceptions
        try:  # the session is live while the file is sent, as in a browser
            upload = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            upload.request(
                "PUT",
                f"/_stcore/upload_file/{viewer.session_id}/{uuid.uuid4()}",
                body=body,
                headers={
                    "Content-Type": "multipart/form-data; boundary=B",
                    "Cookie": cookie,
                    "X-Xsrftoken": cookie.split("=", 1)[1],
                },
            )
            response = upload.getresponse()
            return response.status, response.read()
        finally:
            await viewer.close()

    return drive(scenario())


@pytest.mark.parametrize(
    ("address", "env", "headers"),
    [
        pytest.param(None, {}, None, id="every-interface-no-sign-in"),
        pytest.param(
            "0.0.0.0", {access.READ_ONLY_ENV: "0"}, None, id="container-analyst-flag-but-no-sign-in"
        ),
        pytest.param("127.0.0.1", {access.READ_ONLY_ENV: "1"}, None, id="read-only"),
        pytest.param("127.0.0.1", {}, {"X-Forwarded-For": "203.0.113.9"}, id="loopback-behind-a-proxy"),
    ],
)
def test_a_viewer_only_server_refuses_uploads(address, env, headers):
    with serving(address, env) as base:
        status, body = put_a_file(base, headers)
    assert status == 403, (status, body)
    assert b"analyst" in body  # refused by the app's gate, not by the XSRF check


def test_a_local_analyst_run_still_takes_uploads():
    with serving("127.0.0.1") as base:
        status, body = put_a_file(base)
    assert status == 204, (status, body)
