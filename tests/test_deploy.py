"""The settings a hosted link runs with, and the files that describe how to host it."""

from __future__ import annotations

import re
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


def test_the_nginx_upload_limit_matches_streamlits():
    recipe = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upload = re.search(r"location \^~ /_stcore/upload_file/ \{[^}]*client_max_body_size (\d+)m;", recipe)
    assert upload and int(upload.group(1)) == CONFIG["server"]["maxUploadSize"]


def test_the_container_runs_the_documented_command():
    containerfile = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    assert "requirements.txt" in containerfile
    assert re.search(r'CMD \[.*"streamlit", "run", "dashboard.py"', containerfile)
    assert "USER " in containerfile  # not as root
