"""Shared test helpers: the bundled data folder, editable copies of it, AppTest set-up."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from georisk import cli
from georisk.app import cache

# Viewers get no error details (.streamlit/config.toml); a failing AppTest should say what failed.
streamlit_config.set_option("client.showErrorDetails", "full")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
EXTERNAL = ROOT.parent / "shared" / "external"


def external(name: str) -> Path:
    """A third-party file of ../shared/external/ (tests only; never copied into the project). A
    fresh clone outside this team skips with a message; CI must have it."""
    path = EXTERNAL / name
    if path.exists():
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing: CI must run this test")
    pytest.skip("../shared/external is absent (a fresh clone outside this team): the real-file test needs it")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled scenario that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target, ignore=shutil.ignore_patterns("state"))  # not a local run's store
    return target


def open_page(page: str | None = None, **params: str | list[str]) -> AppTest:
    """Open the app as a link does: the URL's parameters, the home page, then `page` (a script
    under pages/) through the sidebar, as a user would. Point it at a data folder first."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(page).run() if page else at


def georisk_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m georisk ARGS`, run in this process through `cli.main` (what the command calls)
    from the project root, with what it prints captured. tests/unit/test_cli.py runs the real
    command once, as a subprocess, to check that the two agree."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(
        ["python", "-m", "georisk", *args], code, out.getvalue(), err.getvalue()
    )


def georisk_command(*args: str) -> subprocess.CompletedProcess:
    """`python -m georisk ARGS` as a user runs it: a new process, from the project root."""
    return subprocess.run([sys.executable, "-m", "georisk", *args], cwd=ROOT, capture_output=True, text=True)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_rows(path: Path, rows: list[dict[str, str]], fieldnames: list[str] | None = None) -> None:
    fieldnames = fieldnames or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def set_cell(path: Path, index: int, column: str, value: str) -> int:
    """Change one cell of a CSV; return the spreadsheet row number of that row (header = 1)."""
    rows = read_rows(path)
    rows[index][column] = value
    write_rows(path, rows)
    return index + 2


@pytest.fixture(autouse=True)
def own_run_allowance(monkeypatch: pytest.MonkeyPatch):
    """Every AppTest session has the same id ("test session id"), so without this the whole suite
    would share one viewer's allowance of page runs (georisk.app.page.RUNS) and, past its burst,
    wait two seconds a run. Each test is one viewer, with an allowance of its own."""
    from georisk import limits
    from georisk.app import page

    monkeypatch.setattr(page, "RUNS", limits.RateLimit(page.RUNS_PER_MINUTE, page.RUNS_BURST))


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch):
    """AppTest runs in this process and shares Streamlit's caches: start each test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    cache.Loaded.current = None  # start from the files

    def point_at(data_dir: Path) -> None:
        monkeypatch.setenv("GEORISK_DATA", str(data_dir))

    yield point_at
    st.cache_data.clear()
    st.cache_resource.clear()
    cache.Loaded.current = None  # start from the files


def require_chromium() -> str:
    """Debian's Chromium, or a skip that says how to get it; in CI a missing browser fails."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(path).exists():
        return path
    message = "Chromium not found: install it with `sudo apt-get install chromium` (Debian/Ubuntu)"
    if os.environ.get("CI"):
        pytest.fail(message + " — CI must run these tests")
    pytest.skip(message)


def shown(markdown: str) -> str:
    """The text a reader sees in a Markdown element: data is escaped before it is rendered."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server of the test session's own (tests/pg.py): the URL of its database.
    Without PostgreSQL's binaries this fails in CI and skips elsewhere."""
    from tests import pg

    bindir = pg.binaries()
    if bindir is None:
        pg.missing(
            "PostgreSQL not found (no /usr/lib/postgresql/*/bin/initdb): install it with "
            "`sudo apt-get install postgresql` (Debian/Ubuntu)"
        )
    server = pg.Server(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The URL of an empty store of this test's own, on SQLite and on PostgreSQL (a new database
    of the session's server). Its engine is closed afterwards so that the server's connections
    do not pile up over the session, and open_store forgets what it opened."""
    from georisk.store import database, location

    if request.param == "sqlite":
        url = database.sqlite_url(tmp_path / "state" / "georisk.sqlite")
        (tmp_path / "state").mkdir(exist_ok=True)
    else:
        from tests import pg

        url = pg.fresh_database(request.getfixturevalue("postgres_url"))
    location.forget()
    yield url
    location.forget()
    engine = database._ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()
