"""Links from an alert into the dashboard, and addresses shown without their secrets.

The dashboard's public address comes from GEORISK_PUBLIC_URL (e.g. https://risk.example.org),
because a message sent by the command line or a timer has no page whose address it could use.
A link opens the Map on the incident's day in its province with the site selected (the incident
is on the map, the site's panel beside it), or the Overview with the site's panel open.
"""

from __future__ import annotations

import datetime as dt
import os
import urllib.parse
from collections.abc import Mapping

PUBLIC_URL_ENV = "GEORISK_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://localhost:8501"


def public_url(environ: Mapping[str, str] = os.environ) -> str:
    return (environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")


def _day(value: object) -> str | None:
    text = str(value)[:10] if value is not None else ""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def alert_links(
    incident: Mapping, site_id: str | None, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """{"map": …, "site": …} for an incident alert (only those that make sense)."""
    base = public_url(environ)
    day = _day(incident.get("date"))
    params: dict[str, str] = {}
    if day:
        params |= {"from": day, "to": day}
    if incident.get("province"):
        params["region"] = str(incident["province"])
    if site_id:
        params["site"] = site_id
    found = {"map": f"{base}/Map?{urllib.parse.urlencode(params)}"}
    if site_id:
        found["site"] = f"{base}/?{urllib.parse.urlencode({'site': site_id})}"
    return found


def site_links(site_id: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    base = public_url(environ)
    query = urllib.parse.urlencode({"site": site_id})
    return {"site": f"{base}/?{query}", "map": f"{base}/Map?{query}"}


def feed_url(token: str, environ: Mapping[str, str] = os.environ) -> str:
    """The Atom feed's address (served by the app itself: georisk.app.routes)."""
    return f"{public_url(environ)}/alerts/feed/{token}.atom"


def masked(url: str) -> str:
    """A URL as the deliveries table shows it: scheme, host and path, no query or user info
    (Apprise and chat URLs carry their tokens there)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):  # chat URLs carry their tokens anywhere
        return f"{parts.scheme}://…"
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    path = parts.path if len(parts.path) <= 60 else parts.path[:57] + "..."
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{path}{query}"
