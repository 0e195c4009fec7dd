"""The settings a hosted link runs with, and the files that describe how to host it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

from tests.conftest import ROOT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_production_settings():
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["browser"]["gatherUsageStats"] is False
    assert 0 < CONFIG["server"]["maxUploadSize"] <= 200
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["client"]["toolbarMode"] == "viewer"
    hosts = CONFIG["server"]["allowedHosts"]
    assert hosts and "*" not in hosts  # an empty list or "*" would let any Host through


def test_sign_in_is_off_unless_configured():
    """No [auth] section ships: st.login is only offered when the operator writes one."""
    assert not (ROOT / ".streamlit" / "secrets.toml").exists()
    assert "auth" not in CONFIG


def test_the_nginx_recipe_refuses_uploads_and_its_analyst_limit_matches_streamlits():
    """Behind the recipe nobody is an analyst without sign-in: Streamlit's upload endpoint answers
    403 there. The commented lines an analysts' deployment puts in instead keep Streamlit's limit."""
    recipe = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upload = re.search(r"location \^~ /_stcore/upload_file/ \{([^}]*)\}", recipe)
    assert upload, "deploy/nginx.conf has no location for the upload endpoint"
    live = [
        line.strip()
        for line in upload.group(1).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert live == ["return 403;"], live
    limit = re.search(r"#\s*client_max_body_size (\d+)m;", upload.group(1))
    assert limit and int(limit.group(1)) == CONFIG["server"]["maxUploadSize"]


def test_the_app_is_served_with_the_upload_gate():
    """`streamlit run dashboard.py` must find the st.App that installs the gate (georisk/app/access.py)."""
    from pathlib import Path

    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(Path(ROOT / "dashboard.py"))
    assert found.is_asgi_app and found.import_string == "dashboard:app"
    assert "Middleware(access.UploadGate)" in (ROOT / "dashboard.py").read_text(encoding="utf-8")


def test_the_container_runs_the_documented_command():
    containerfile = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    assert "requirements.txt" in containerfile
    assert re.search(r'CMD \[.*"streamlit", "run", "dashboard.py"', containerfile)
    assert "USER " in containerfile  # not as root
    # A shared link is for viewing: the image is viewer-only unless its operator turns it off.
    assert re.search(r"^\s*GEORISK_READ_ONLY=1\s*\\?\s*$", containerfile, flags=re.MULTILINE)
    # The store is kept outside the (read-only) data folder, in a volume the unprivileged user owns.
    assert re.search(r"^\s*GEORISK_STATE=/var/lib/georisk\s*$", containerfile, flags=re.MULTILINE)
    assert "VOLUME /var/lib/georisk" in containerfile and "chown georisk /var/lib/georisk" in containerfile


def _unit(name: str) -> dict[str, dict[str, str]]:
    """A systemd unit file's sections and keys (the last value of a key wins, as in systemd)."""
    sections: dict[str, dict[str, str]] = {}
    section = None
    for line in (ROOT / "deploy" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            section[key] = value
    return sections


def test_the_refresh_runs_from_systemd_and_cron_with_the_documented_command():
    service, timer = _unit("georisk-refresh.service"), _unit("georisk-refresh.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert re.search(r"-m georisk refresh --data ", service["Service"]["ExecStart"])
    assert service["Service"]["User"] != "root" and "EnvironmentFile" in service["Service"]
    assert timer["Timer"]["Unit"] == "georisk-refresh.service" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        checked = subprocess.run(
            ["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
    # The cron line the deployment guide gives runs the same command, under flock so that runs
    # never pile up, and never with credentials on the line.
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    cron = [line for line in guide.splitlines() if re.match(r"^(\S+\s+){5}.*-m georisk refresh", line)]
    assert cron, "docs/deploy.md gives a cron line for the refresh"
    assert all("flock" in line and "PASSWORD" not in line.upper().split("#")[0] for line in cron)


def test_the_alerts_are_sent_from_systemd_and_cron_with_the_documented_command():
    service, timer = _unit("georisk-alerts.service"), _unit("georisk-alerts.timer")
    assert service["Service"]["Type"] == "oneshot"
    assert re.search(r"-m georisk alerts send --data ", service["Service"]["ExecStart"])
    assert service["Service"]["User"] != "root" and "EnvironmentFile" in service["Service"]
    assert (
        timer["Timer"]["Unit"] == "georisk-alerts.service" and timer["Install"]["WantedBy"] == "timers.target"
    )
    if shutil.which("systemd-analyze"):
        checked = subprocess.run(
            ["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    cron = [line for line in guide.splitlines() if re.match(r"^(\S+\s+){5}.*-m georisk alerts send", line)]
    assert cron and all("flock" in line for line in cron)


def test_streamlits_agent_api_stays_off():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableAgentApi"] is False
