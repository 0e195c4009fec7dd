"""The Alerts page's chart: what a rule would have raised per month (georisk.alerts.preview)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from georisk.charts.style import FONT


def per_month(months: pd.DataFrame) -> go.Figure:
    """Bars of the alerts per month (columns month, alerts)."""
    fig = go.Figure(
        go.Bar(
            x=months["month"],
            y=months["alerts"],
            marker={"color": "#1f4e79"},
            hovertemplate="%{x|%b %Y}: %{y} alert(s)<extra></extra>",
        )
    )
    fig.update_layout(
        height=280,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        font={"family": FONT},
        title={"text": "Alerts per month, had the rule been in force", "font": {"size": 14}},
        yaxis={"title": "alerts", "rangemode": "tozero"},
        bargap=0.15,
    )
    return fig
