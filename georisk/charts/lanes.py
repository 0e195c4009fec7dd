"""georisk.charts.lanes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from georisk.analysis.timeline import (
    COOPERATION,
    SECURITY_EVENTS,
    incident_lane,
    lane_order,
    milestones,
    monthly,
)
from georisk.charts.style import CATEGORY_COLOURS, FONT
from georisk.scenario.schema import DateLike
from georisk.text import count_text, plain

# Beyond this many incidents the incident lanes show one marker per family and month: a few
# thousand overlapping markers in one lane read as a smear.
MAX_TIMELINE_MARKERS = 2_000


def lanes(
    events: pd.DataFrame,
    incidents: pd.DataFrame,
    colours: dict[str, str],
    max_points: int = MAX_TIMELINE_MARKERS,
) -> pd.DataFrame:
    """One row per marker: lane, date, size, colour, hover text, and what it is (kind, id).

    Beyond `max_points` incidents, each incident lane shows one marker per month (sized by the
    number of incidents) instead of one per incident: a browser cannot draw a large feed point
    by point."""
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
    if len(incidents) > max_points:
        return pd.concat([event_rows, monthly_markers(incidents, colours)], ignore_index=True)
    killed = incidents["killed"].to_numpy(dtype=float, na_value=0.0)
    incident_rows = pd.DataFrame(
        {
            "lane": incidents["actor_family"].map(incident_lane),
            "date": incidents["date"],
            "size": 6 + 3 * np.sqrt(killed),
            "colour": incidents["actor_family"].map(colours),
            "hover": [
                f"<b>{plain(loc)}</b><br>{d.date()} · {plain(g)}<br>"
                f"killed: {count_text(k)}<br>{plain(m)[:200]}<br>"
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


def monthly_markers(incidents: pd.DataFrame, colours: dict[str, str]) -> pd.DataFrame:
    """One marker per actor family and month: the aggregate lanes of a large feed."""
    groups = monthly(incidents)
    dates = groups["month"] + pd.Timedelta(days=14)
    return pd.DataFrame(
        {
            "lane": groups["family"].map(incident_lane),
            "date": dates,
            "size": 6 + 2 * np.sqrt(groups["count"].to_numpy(dtype=float)),
            "colour": groups["family"].map(colours),
            "hover": [
                f"<b>{plain(f)}</b><br>{m.strftime('%b %Y')}: {c:,} incidents, {int(k):,} killed"
                for f, m, c, k in zip(
                    groups["family"], groups["month"], groups["count"], groups["killed"], strict=True
                )
            ],
            "kind": "month",
            "id": groups["family"] + "|" + groups["month"].dt.strftime("%Y-%m"),
        }
    )


def milestone_labels(dates: pd.Series, start: DateLike, end: DateLike, slots: int = 45) -> np.ndarray:
    """Which milestones get a written label: each at least 1/slots of the axis after the previous
    labelled one, so that no two labels overlap (the others are still drawn and listed in the
    milestones lane's hover)."""
    span = max((pd.Timestamp(end) - pd.Timestamp(start)).days, 1)
    gap = pd.Timedelta(days=span / slots)
    keep, last = np.zeros(len(dates), dtype=bool), None
    for i, date in enumerate(dates):
        if last is None or date - last >= gap:
            keep[i], last = True, date
    return keep


def timeline_figure(
    events: pd.DataFrame,
    incidents: pd.DataFrame,
    start: DateLike,
    end: DateLike,
    colours: dict[str, str],
    selected: str | None = None,
) -> go.Figure:
    rows = lanes(events, incidents, colours)
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
                name=plain(lane),
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    counts = monthly(incidents)
    for family in counts.groupby("family")["count"].sum().sort_values(ascending=False).index:
        part = counts[counts["family"] == family]
        fig.add_trace(
            go.Bar(
                x=part["month"],
                y=part["count"],
                name=plain(family),
                marker={"color": colours.get(family)},
                hovertemplate="%{x|%b %Y}: %{y} incident(s)<extra>" + plain(family) + "</extra>",
                xperiod="M1",
                xperiodalignment="middle",
            ),
            row=2,
            col=1,
        )
    key = milestones(events)
    labelled = milestone_labels(key["date"], start, end)
    for event, label in zip(key.itertuples(), labelled, strict=True):
        fig.add_vline(x=event.date, line={"width": 1, "dash": "dot", "color": "#1f4e79"}, row="all", col=1)
        if label:
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
        font={"family": FONT},
    )
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(order)), row=1, col=1)
    fig.update_yaxes(title={"text": "incidents / month"}, row=2, col=1)
    fig.update_xaxes(range=[pd.Timestamp(start), pd.Timestamp(end)], row=2, col=1)
    return fig
