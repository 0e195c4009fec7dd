"""The event timeline: events and incidents in lanes on one time axis, incidents per month beneath.

Lanes: one per cooperation category (diplomatic, military, economic, energy, political), one for
security events (attacks abroad, declarations, operations), then one per actor family for the
incidents, the busiest first. Markers are sized by an event's significance or an incident's
death toll. The key cooperation milestones (significance 5) are drawn across all lanes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from georisk.text import plain

COOPERATION = ("diplomatic", "military", "economic", "energy", "political")
SECURITY_EVENTS = "Security events"
MILESTONE_SIGNIFICANCE = 5


def incident_lane(family: str) -> str:
    # Lane names become axis labels, which plotly reads as (a little) HTML.
    return f"Incidents: {plain(family)}"


def lane_order(rows: pd.DataFrame) -> list[str]:
    """Cooperation lanes first, in a fixed order, then security, then the busiest families."""
    present = set(rows["lane"])
    order = [c.capitalize() for c in COOPERATION if c.capitalize() in present]
    if SECURITY_EVENTS in present:
        order.append(SECURITY_EVENTS)
    incident_lanes = rows.loc[rows["kind"] != "event", "lane"].value_counts()
    return order + list(incident_lanes.index)


def monthly(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per calendar month and actor family: month (first day), family, count, killed."""
    if incidents.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns]"),
                "family": pd.Series(dtype=str),
                "count": pd.Series(dtype=int),
                "killed": pd.Series(dtype=float),
            }
        )
    # Counted in numpy on integer keys: grouping a million rows by text and period in pandas
    # takes seconds, this takes milliseconds.
    family_code, families = pd.factorize(incidents["actor_family"], sort=True)
    months = incidents["date"].to_numpy(dtype="datetime64[M]").astype(np.int64)
    first = months.min()
    span = int(months.max() - first + 1)
    key = family_code.astype(np.int64) * span + (months - first)
    size = len(families) * span
    counts = np.bincount(key, minlength=size)
    killed = np.bincount(key, weights=incidents["killed"].to_numpy(dtype=float, na_value=0.0), minlength=size)
    keys = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            "month": (first + keys % span).astype("datetime64[M]").astype("datetime64[ns]"),
            "family": np.asarray(families, dtype=object)[keys // span],
            "count": counts[keys],
            "killed": killed[keys],
        }
    )


def milestones(events: pd.DataFrame) -> pd.DataFrame:
    key = events[events["category"].isin(COOPERATION) & (events["significance"] >= MILESTONE_SIGNIFICANCE)]
    return key.sort_values("date")


def search(events: pd.DataFrame, query: str) -> pd.DataFrame:
    """The events whose title, summary, actors or place contain every word of the query."""
    words = [w for w in (query or "").lower().split() if w]
    if not words:
        return events
    text = (
        events["title"].fillna("")
        + " "
        + events["summary"].fillna("")
        + " "
        + events["actors"].fillna("")
        + " "
        + events["location"].fillna("")
    ).str.lower()
    keep = np.ones(len(events), dtype=bool)
    for word in words:
        keep &= text.str.contains(word, regex=False).to_numpy()
    return events[keep]
