"""The API's answers: the data behind each page, for a view given by the same query parameters as
the page's link (georisk.link). Each answer is computed by the functions the pages use
(overview.summarise, View.scores, the breakdown, the cooperation index, the alerts' view rule),
never by a second implementation, and carries what it rests on: the model version, the as-of
date, the sources and their freshness (georisk.outputs.export.metadata).

Every item that states a fact carries its own `source` and `confidence` where the data has them,
so that a reader (or an assistant) can cite it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from georisk.alerts import deliver, viewing
from georisk.alerts.records import OPEN_STATES
from georisk.analysis import cooperation, overview
from georisk.link import Link, parse_link
from georisk.model import breakdown, settings
from georisk.outputs import export
from georisk.scenario.dataset import Dataset
from georisk.view import Choices, View

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000  # rows per page of a list; a larger list is paged, never built whole
OWN_PARAMS = ("limit", "offset", "format")
FORMATS = ("json", "csv", "geojson")
INCIDENT_FIELDS = (
    "incident_id",
    "date",
    "date_precision",
    "lat",
    "lon",
    "geo_precision",
    "location",
    "district",
    "province",
    "group",
    "actor_family",
    "attribution",
    "attack_type",
    "target_type",
    "killed",
    "wounded",
    "source",
    "confidence",
    "location_flag",
)
EVENT_FIELDS = (
    "event_id",
    "date",
    "date_precision",
    "title",
    "summary",
    "category",
    "sector",
    "actors",
    "province",
    "significance",
    "related_sites",
    "source",
    "confidence",
)


class BadParameter(ValueError):
    """Parameters the API cannot use: (name, reason) pairs, for a problem detail."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Query:
    link: Link
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    format: str = "json"
    params: dict[str, list[str]] = field(default_factory=dict)  # the view's own, as given


_NAMED = re.compile(
    r"^Ignored (?:repeated |the unknown link parameter |\d+ values of |index weight )?['\"]?([A-Za-z_]+)"
)


def _name_of(notice: str) -> str:
    found = _NAMED.match(notice)
    return found.group(1) if found else "query"


def _whole(
    params: Mapping[str, list[str]], name: str, default: int, low: int, high: int
) -> tuple[int, str | None]:
    values = params.get(name)
    if not values:
        return default, None
    if len(values) > 1:
        return default, f"give {name} once"
    try:
        number = int(values[0])
    except ValueError:
        return default, f"{values[0]!r} is not a whole number"
    if not low <= number <= high:
        return default, f"must be from {low} to {high:,}"
    return number, None


def parse_query(
    params: Mapping[str, list[str]], choices: Choices, dataset: Dataset, fmt: str | None = None
) -> Query:
    """A view's query, checked strictly: whatever the page would drop with a notice is an error
    here, named by its parameter (BadParameter)."""
    problems: list[tuple[str, str]] = []
    limit, why = _whole(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    if why:
        problems.append(("limit", why))
    offset, why = _whole(params, "offset", 0, 0, 10**9)
    if why:
        problems.append(("offset", why))
    chosen = fmt or (params.get("format") or ["json"])[-1]
    if chosen not in FORMATS:
        problems.append(("format", f"{chosen!r} is not one of: {', '.join(FORMATS)}"))
        chosen = "json"
    view_params = {k: list(v) for k, v in params.items() if k not in OWN_PARAMS}
    link = parse_link(
        view_params, choices, set(dataset.sites["site_id"]), set(dataset.indicators["indicator"])
    )
    problems += [(_name_of(notice), notice.removeprefix("Ignored ")) for notice in link.notices]
    if problems:
        raise BadParameter(problems)
    return Query(link, limit, offset, chosen, view_params)


def _value(value: object) -> object:
    """A cell as JSON: dates as ISO dates, missing as null (never NaN), numpy as Python."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    return value


def records(frame: pd.DataFrame, fields: Sequence[str] | None = None) -> list[dict]:
    columns = [c for c in (fields or frame.columns) if c in frame.columns]
    return [{k: _value(v) for k, v in row.items()} for row in frame[columns].to_dict("records")]


def meta(view: View, query: Query, table: str, rows: int, **extra) -> dict:
    """What an answer rests on: the page's export metadata (view, model, sources, freshness)."""
    return {**export.metadata(view, query.link.model, table, rows, query.link.page_params), **extra}


# -- answers; `summary` is the overview of the query's view (shared with the pages' cache)

Summarise = Callable[[View, settings.ModelSettings, dt.date | None], overview.Summary]


def view_of(dataset: Dataset, choices: Choices, query: Query) -> View:
    return View.of(dataset, query.link.filters, choices)


def _site_row(summary: overview.Summary, row: Mapping, rank: int) -> dict:
    """A site's score as the site panel gives it: its row, its rank and its components in words."""
    parts = breakdown.components(pd.Series(row), summary.model, summary.view.filters.start, summary.asof)
    found = {"rank": rank, **{k: _value(v) for k, v in row.items() if k != "band_rank"}}
    found["components"] = records(parts)
    return found


def headline(summary: overview.Summary, query: Query) -> dict:
    head = summary.headline
    top = summary.scores.head(3)
    return {
        "band": head.band,
        "previous_band": head.previous_band,
        "movement": head.movement,
        "change": head.change(),
        "worst_site": head.worst_site,
        "trend": head.trend,
        "change_pct": _value(head.change_pct),
        "incidents_near_sites": {
            "now": head.incidents_now,
            "before": head.incidents_before,
            "window_days": overview.WINDOW_DAYS,
            "left_out_for_imprecision": summary.left_out_now,
        },
        "sites_high_or_very_high": summary.top_two,
        "sites": len(summary.scores),
        "highest_threat_provinces": summary.provinces,
        "highest_threat_level": summary.top_level,
        "most_exposed": [
            {"site_id": r["site_id"], "name": r["name"], "band": r["band"], "reason": r["reason"]}
            for r in top.to_dict("records")
        ],
        "meta": meta(summary.view, query, "overview", len(summary.scores)),
    }


def sites(summary: overview.Summary, query: Query) -> dict:
    """Every site in view, most exposed first: score, components, worst segment, reason."""
    rows = [
        _site_row(summary, row, rank) for rank, row in enumerate(summary.scores.to_dict("records"), start=1)
    ]
    return {"sites": rows, "meta": meta(summary.view, query, "sites", len(rows))}


def site(summary: overview.Summary, query: Query, site_id: str) -> dict:
    found = [r for r in sites(summary, query)["sites"] if r["site_id"] == site_id]
    if not found:
        raise NotFound(f"no site {site_id!r} in view")
    units = summary.units[summary.units["site_id"] == site_id]
    segments = records(units.drop(columns=["geometry"], errors="ignore"))
    return {"site": found[0], "segments": segments, "meta": meta(summary.view, query, "site", 1)}


def paging(total: int, query: Query) -> dict:
    """Where a page of a list stands: total, limit, offset, the next offset (None at the end)."""
    following = query.offset + query.limit
    return {
        "total": total,
        "limit": query.limit,
        "offset": query.offset,
        "next_offset": following if following < total else None,
    }


def page(frame: pd.DataFrame, query: Query, fields: Sequence[str]) -> tuple[list[dict], dict]:
    """One page of a list (only its rows are made into records), and its paging."""
    return records(frame.iloc[query.offset : query.offset + query.limit], fields), paging(len(frame), query)


def incidents(view: View, query: Query) -> dict:
    """The incidents in view, newest first, a page at a time, each with its precision and source."""
    frame = view.incidents.sort_values(["date", "incident_id"], ascending=[False, True])
    rows, paging = page(frame, query, INCIDENT_FIELDS)
    return {"incidents": rows, "paging": paging, "meta": meta(view, query, "incidents", len(rows))}


def events(view: View, query: Query) -> dict:
    frame = view.events.sort_values(["date", "event_id"], ascending=[False, True])
    rows, paging = page(frame, query, EVENT_FIELDS)
    return {"events": rows, "paging": paging, "meta": meta(view, query, "events", len(rows))}


def indicators(view: View, query: Query) -> dict:
    """Each indicator's values by year (missing years stay missing), and the composite index."""
    table = cooperation.series(view.indicators)
    weights = {**cooperation.default_weights(view.indicators), **query.link.weights}
    composite = (
        cooperation.index(cooperation.normalise(table), weights) if not table.empty else pd.DataFrame()
    )
    return {
        "indicators": records(view.indicators),
        "index": records(composite.reset_index()) if not composite.empty else [],
        "weights": weights,
        "meta": meta(view, query, "indicators", len(view.indicators)),
    }


def judgments(view: View, query: Query) -> dict:
    frame = view.dataset.judgments
    return {"judgments": records(frame), "meta": meta(view, query, "judgments", len(frame))}


def changes(summary: overview.Summary, query: Query) -> dict:
    """What changed since `since` (default: one trend window before the as-of date)."""
    return {
        "since": summary.since.isoformat(),
        "band_changes": records(summary.moved),
        "new_incidents": records(summary.new_incidents, INCIDENT_FIELDS),
        "new_events": records(summary.new_events, EVENT_FIELDS),
        "meta": meta(summary.view, query, "changes", len(summary.moved)),
    }


def alerts(view: View, query: Query, rows: Sequence[Mapping]) -> dict:
    """The open alerts in view (`rows`: the store's open and acknowledged alerts)."""
    kept = viewing.in_view([r for r in rows if r["state"] in OPEN_STATES], view)
    chunk = [deliver.alert_of(r).to_dict() for r in kept[query.offset : query.offset + query.limit]]
    return {
        "alerts": chunk,
        "paging": paging(len(kept), query),
        "meta": meta(view, query, "alerts", len(chunk)),
    }
