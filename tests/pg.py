"""A throw-away PostgreSQL server for the tests of the store.

Debian's PostgreSQL (`apt-get install postgresql`, which .ci/run installs) ships initdb and
pg_ctl under /usr/lib/postgresql/<major>/bin. The server runs in a temporary folder, listens on
127.0.0.1 on a free port and on a unix socket in that folder, and trusts the test user: nothing
of the machine's own clusters is used or needed. initdb refuses to run as root, so when the tests
run as root (CI's container) the server runs as the `postgres` system user the package makes.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

USER = "georisk"
SERVICE_USER = "postgres"  # the system user Debian's package makes


def binaries() -> Path | None:
    """The folder with initdb and pg_ctl (the newest major version installed), or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def missing(message: str) -> None:
    """No PostgreSQL: CI must have it (a skip there would hide the store's tests), elsewhere the
    tests that need it are skipped and say how to get it."""
    if os.environ.get("CI"):
        pytest.fail(message + " — CI must run the PostgreSQL tests (.ci/run installs it)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server in its own temporary folder; `url` reaches its database `georisk`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="georisk-pg-"))
        self.data = self.folder / "data"
        self.port = 0
        self._as: list[str] = []
        if os.geteuid() == 0:
            # initdb will not run as root: hand the folder to the service user and run as it.
            account = pwd.getpwnam(SERVICE_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as = ["runuser", "-u", SERVICE_USER, "--"]
        os.chmod(self.folder, 0o700)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self._as, *args], capture_output=True, text=True, timeout=120, cwd=self.folder, check=False
        )

    def start(self) -> str:
        done = self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        # The durability settings are off: the cluster lives for one test session. Enough
        # connections for the concurrency tests' processes, each with its own pool.
        settings = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        for _attempt in range(5):  # another process may take the free port before the server does
            self.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} {settings}"
            done = self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
                "-o", options, "-w", "-t", "60", "start",
            )  # fmt: skip
            if done.returncode == 0:
                break
        else:
            log = (self.folder / "log").read_text(errors="replace") if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log[-2000:]}")
        admin = sa.create_engine(self.url_of("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE georisk"))
        admin.dispose()
        return self.url_of("georisk")

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.data.exists():
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def fresh_database(url: str) -> str:
    """A new, empty database on the server of `url` (named t_<random>), so that each test has a
    store of its own: its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
