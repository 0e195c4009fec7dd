"""The event timeline: events and incidents in lanes on one time axis, incidents per month beneath.

Lanes: one per cooperation category (diplomatic, military, economic, energy, political), one for
security events (attacks abroad, declarations, operations), then one per actor family for the
incidents, the busiest first. Markers are sized by an event's significance or an incident's
death toll. The key cooperation milestones (significance 5) are drawn across all lanes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from georisk.mapping import family_colours
from georisk.text import plain

COOPERATION = ("diplomatic", "military", "economic", "energy", "political")
CATEGORY_COLOURS = {
    "diplomatic": "#1f4e79",
    "military": "#6a3d9a",
    "economic": "#b15928",
    "energy": "#33a02c",
    "political": "#525252",
    "security": "#e31a1c",
}
SECURITY_EVENTS = "Security events"
MILESTONE_SIGNIFICANCE = 5


def incident_lane(family: str) -> str:
    return f"Incidents: {family}"


def lanes(events: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per marker: lane, date, size, colour, hover text, and what it is (kind, id)."""
    event_lane = events["category"].map(lambda c: c.capitalize() if c in COOPERATION else SECURITY_EVENTS)
    event_rows = pd.DataFrame(
        {
            "lane": event_lane,
            "date": events["date"],
            "size": 6 + 3 * events["significance"].astype(float),
            "colour": events["category"].map(CATEGORY_COLOURS),
            "hover": [
                f"<b>{plain(t)}</b><br>{d.date()} · {plain(c)} · significance {s}<br>{plain(m)[:200]}<br>"
                f"<i>{plain(src)[:120]}</i>"
                for t, d, c, s, m, src in zip(
                    events["title"],
                    events["date"],
                    events["category"],
                    events["significance"],
                    events["summary"],
                    events["source"],
                    strict=True,
                )
            ],
            "kind": "event",
            "id": events["event_id"],
        }
    )
    colours = family_colours(incidents["actor_family"])
    killed = incidents["killed"].to_numpy(dtype=float, na_value=0.0)
    incident_rows = pd.DataFrame(
        {
            "lane": incidents["actor_family"].map(incident_lane),
            "date": incidents["date"],
            "size": 6 + 3 * np.sqrt(killed),
            "colour": incidents["actor_family"].map(colours),
            "hover": [
                f"<b>{plain(loc)}</b><br>{d.date()} · {plain(g)}<br>"
                f"killed: {'unknown' if pd.isna(k) else int(k)}<br>{plain(m)[:200]}<br>"
                f"<i>{plain(src)[:120]}</i>"
                for loc, d, g, k, m, src in zip(
                    incidents["location"],
                    incidents["date"],
                    incidents["group"],
                    incidents["killed"],
                    incidents["summary"],
                    incidents["source"],
                    strict=True,
                )
            ],
            "kind": "incident",
            "id": incidents["incident_id"],
        }
    )
    return pd.concat([event_rows, incident_rows], ignore_index=True)


def lane_order(rows: pd.DataFrame) -> list[str]:
    """Cooperation lanes first, in a fixed order, then security, then the busiest families."""
    present = set(rows["lane"])
    order = [c.capitalize() for c in COOPERATION if c.capitalize() in present]
    if SECURITY_EVENTS in present:
        order.append(SECURITY_EVENTS)
    incident_lanes = rows.loc[rows["kind"] == "incident", "lane"].value_counts()
    return order + list(incident_lanes.index)


def monthly(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per calendar month and actor family: month (first day), family, count."""
    if incidents.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns]"),
                "family": pd.Series(dtype=str),
                "count": pd.Series(dtype=int),
            }
        )
    # to_period is many times faster than a Grouper on large feeds (DESIGN.md §6).
    months = incidents["date"].dt.to_period("M")
    counts = incidents.groupby([months, incidents["actor_family"]]).size().reset_index(name="count")
    counts.columns = ["month", "family", "count"]
    counts["month"] = counts["month"].dt.to_timestamp()
    return counts


def milestones(events: pd.DataFrame) -> pd.DataFrame:
    key = events[events["category"].isin(COOPERATION) & (events["significance"] >= MILESTONE_SIGNIFICANCE)]
    return key.sort_values("date")


def figure(
    events: pd.DataFrame, incidents: pd.DataFrame, start, end, selected: str | None = None
) -> go.Figure:
    rows = lanes(events, incidents)
    order = lane_order(rows)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.72, 0.28], vertical_spacing=0.04)
    for lane in order:
        part = rows[rows["lane"] == lane]
        fig.add_trace(
            go.Scatter(
                x=part["date"],
                y=part["lane"],
                mode="markers",
                marker={
                    "size": part["size"],
                    "color": part["colour"],
                    "opacity": 0.8,
                    "line": {"width": [2 if i == selected else 0 for i in part["id"]], "color": "#000"},
                },
                customdata=np.stack([part["kind"], part["id"]], axis=1),
                hovertext=part["hover"],
                hoverinfo="text",
                name=lane,
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    counts = monthly(incidents)
    colours = family_colours(incidents["actor_family"])
    for family in counts.groupby("family")["count"].sum().sort_values(ascending=False).index:
        part = counts[counts["family"] == family]
        fig.add_trace(
            go.Bar(
                x=part["month"],
                y=part["count"],
                name=family,
                marker={"color": colours.get(family)},
                hovertemplate="%{x|%b %Y}: %{y} incident(s)<extra>" + plain(family) + "</extra>",
                xperiod="M1",
                xperiodalignment="middle",
            ),
            row=2,
            col=1,
        )
    for event in milestones(events).itertuples():
        fig.add_vline(x=event.date, line={"width": 1, "dash": "dot", "color": "#1f4e79"}, row="all", col=1)
        fig.add_annotation(
            x=event.date,
            y=1.0,
            yref="paper",
            text=plain(event.title[:28]),
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 9, "color": "#1f4e79"},
        )
    fig.update_layout(
        barmode="stack",
        height=max(460, 28 * len(order) + 260),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.08, "title": {"text": "Incidents per month by actor family"}},
        clickmode="event+select",
        hovermode="closest",
        font={"family": "Source Sans, sans-serif"},
    )
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), row=1, col=1)
    fig.update_yaxes(title={"text": "incidents / month"}, row=2, col=1)
    fig.update_xaxes(range=[pd.Timestamp(start), pd.Timestamp(end)], row=2, col=1)
    return fig


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
