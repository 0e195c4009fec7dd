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
    assert re.search(r"^\s*GEORISK_READ_ONLY=1\s*$", containerfile, flags=re.MULTILINE)
