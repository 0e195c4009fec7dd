"""Browser tests: a real Streamlit server on a free port, driven by Playwright in Debian's Chromium.

Where Chromium is missing they skip with a message saying how to install it; in CI (`CI` set)
a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT, require_chromium

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The deployment recipe's host name (deploy/nginx.conf); the nginx test serves it on loopback.
PROXY_HOST = "dashboard.example.org"
# Without the first flags Chromium tries to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {PROXY_HOST} 127.0.0.1",
]
APP_IDLE = (
    '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path = DATA, extra_env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GEORISK_DATA": str(data_dir), **(extra_env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {process.stderr.read()}")
        try:
            urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("streamlit did not answer within 60 s")


@contextmanager
def running_app(data_dir: Path = DATA) -> Iterator[str]:
    """A server for the length of a `with` block (or a fixture): yields its base URL."""
    process, base = start_server(data_dir)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server() -> Iterator[str]:
    """A freshly started server for each test: deep links must work on a server that has never
    seen the session."""
    require_chromium()
    with running_app() as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A browser context whose pages must raise no page error (an uncaught exception in the page's
    JavaScript): a map that draws but throws is broken too."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []

    def watch(page) -> None:
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    context.on("page", watch)
    yield context
    context.close()
    assert not errors, "page errors in Chromium:\n" + "\n".join(errors)


def settle(page, timeout_ms: int = 30_000) -> None:
    """Wait until the app has finished its reruns: idle twice in a row, a moment apart."""
    deadline = time.time() + timeout_ms / 1000
    idle_streak = 0
    while time.time() < deadline:
        page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
        idle_streak = idle_streak + 1 if page.query_selector(APP_IDLE) else 0
        if idle_streak >= 3:
            return
        page.wait_for_timeout(250)
    raise TimeoutError("the app did not settle")
