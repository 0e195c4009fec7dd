"""Which alerts a view keeps: the Alerts page, the Overview's line and the API show the alerts of
the sites, places, actors and period in view, by this one rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from georisk.view import View


def in_view(rows: Sequence[Mapping], view: View) -> list[Mapping]:
    """The alerts the sidebar's view keeps, newest first: a site alert when its site is in view, an
    alert without a site when its province is in the region filter (or there is none); an incident
    alert when its actor family is in the actor filter (or there is none), and when its date is in
    the period. Band and threat alerts have no family, nor a date: those filters leave them be."""
    filters = view.filters
    sites = set(view.sites["site_id"])
    end = (
        min(d for d in (filters.end, filters.asof) if d is not None) if filters.end or filters.asof else None
    )
    kept = []
    for row in rows:
        details = row.get("details") or {}
        if row.get("site_id"):
            if row["site_id"] not in sites:
                continue
        elif filters.regions and row.get("province") not in filters.regions:
            continue
        if (
            filters.actors
            and row.get("kind") == "incident"
            and details.get("actor_family") not in filters.actors
        ):
            continue
        day = _day(row.get("event_date"))
        if day is not None and (
            (filters.start is not None and day < filters.start) or (end is not None and day > end)
        ):
            continue
        kept.append(row)
    return sorted(kept, key=lambda r: (str(r.get("raised") or ""), r.get("id") or 0), reverse=True)


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
