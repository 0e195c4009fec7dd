"""deploy/nginx.conf run for real: app processes behind Debian's nginx on loopback, the recipe as
shipped with only its ports and certificate paths changed. Used by tests/browser/test_nginx.py and
benchmarks/load.py."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.conftest import PROXY_HOST, free_port, start_server
from tests.conftest import DATA, ROOT

RECIPE = ROOT / "deploy" / "nginx.conf"
HOST = PROXY_HOST  # the recipe's server_name; the apps allow only this host


def require_nginx() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(path).exists():
        return path
    if os.environ.get("CI"):
        pytest.fail("nginx is missing: .ci/run installs it with apt-get install nginx")
    pytest.skip("nginx is missing: apt-get install nginx")


def configure(recipe: str, folder: Path, apps: list[int], http_port: int, https_port: int) -> str:
    """The recipe with these ports and the test certificate; each edit must hit exactly one line,
    so that a change to the recipe that the tests no longer cover fails here."""
    edits = {
        "    server 127.0.0.1:8501;  # app 1\n    server 127.0.0.1:8502;  # app 2\n": "".join(
            f"    server 127.0.0.1:{port};\n" for port in apps
        ),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/ssl/certs/dashboard.example.org.pem": str(folder / "cert.pem"),
        "/etc/ssl/private/dashboard.example.org.key": str(folder / "key.pem"),
    }
    for old, new in edits.items():
        assert recipe.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
        recipe = recipe.replace(old, new)
    return recipe


@dataclass
class Proxy:
    https: int
    http: int
    apps: list[str]  # each app's own base URL (for its metrics)
    folder: Path
    pids: list[int]

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https}"


def insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed test certificate
    return context


def request(method: str, path: str, port: int, tls: bool = True, headers: dict | None = None):
    """One request to nginx on loopback, naming the recipe's host."""
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=insecure())
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@contextmanager
def proxied(folder: Path, processes: int = 2, data_dir: Path = DATA):
    """`processes` app processes behind nginx configured by the recipe; yields a Proxy."""
    nginx = require_nginx()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")]
        + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"],
        check=True,
        capture_output=True,
    )
    apps = [
        start_server(data_dir, extra_env={"STREAMLIT_SERVER_ALLOWED_HOSTS": HOST}) for _ in range(processes)
    ]
    ports = [int(base.rsplit(":", 1)[1]) for _, base in apps]
    http_port, https_port = free_port(), free_port()
    (folder / "georisk.conf").write_text(
        configure(RECIPE.read_text(encoding="utf-8"), folder, ports, http_port, https_port), encoding="utf-8"
    )
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    (folder / "nginx.conf").write_text(
        # Workers run as the caller: as root, nginx would switch to "nobody", who cannot write
        # the buffers of large responses (plotly's bundle) into this private folder.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/georisk.conf;
}}
""",
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
        + ["-g", "daemon off;"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 20
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"nginx did not start: {server.stderr.read()}")
            try:
                request("GET", "/_stcore/health", https_port)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield Proxy(https_port, http_port, [base for _, base in apps], folder, [p.pid for p, _ in apps])
    finally:
        server.terminate()
        server.wait(timeout=10)
        for process, _ in apps:
            process.terminate()
            process.wait(timeout=10)
