"""The sections of the Timeline page: its caption, the lanes chart and the marker a click selects,
the selected event's or incident's details, the events search and table."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from georisk.app import site_panel
from georisk.app.url import guarded
from georisk.scenario.schema import split_list
from georisk.text import count_text, escape_markdown
from georisk.view import View

CHART = "timeline.chart"
SELECTED = "timeline.selected"


def caption(view: View) -> None:
    """What is on the timeline, and how to read it."""
    filters = view.filters
    st.caption(
        f"{len(view.events):,} events and {view.incident_count:,} incidents from {filters.start.isoformat()} "
        f"to {filters.end.isoformat()}. Markers: events sized by significance, incidents by deaths. Dotted "
        "lines: the key cooperation milestones. Click a marker for its details."
    )


def selected_item() -> list[str] | None:
    """The marker a click selected: [kind, id], kind "event" or "incident"; None before any."""
    return st.session_state.get(SELECTED)


@guarded
def _on_select() -> None:
    chosen = site_panel.chart_selection(CHART)
    st.session_state[SELECTED] = list(chosen[0]) if chosen else None


def chart(figure: go.Figure) -> None:
    """The timeline chart; a click on a marker selects it (selected_item)."""
    st.plotly_chart(
        figure,
        key=CHART,
        on_select=_on_select,
        selection_mode="points",
        config={"displaylogo": False},
        alt="Timeline of events and incidents in lanes, with incidents per month beneath",
    )


def detail(view: View, selected: list[str] | None) -> None:
    """The selected event's or incident's details, with links to the map for an event's sites."""
    if not (selected and selected[0] in ("event", "incident")):
        return
    kind, item = selected
    table = view.events.set_index("event_id") if kind == "event" else view.incidents.set_index("incident_id")
    if item not in table.index:
        return
    row = table.loc[item]
    with st.container(border=True, key="timeline_detail"):
        title = row["title"] if kind == "event" else f"{row['location']}: {row['group']}"
        st.header(escape_markdown(title), anchor=False)
        st.caption(
            f"{row['date'].date()} ({escape_markdown(row['date_precision'])} precision) · "
            f"{escape_markdown(row['confidence'])}"
        )
        st.markdown(escape_markdown(row["summary"]))
        if kind == "event":
            st.markdown(
                f"**Actors:** {escape_markdown(row['actors'])}  \n"
                f"**Where:** {escape_markdown(row['location'])} · **significance** {row['significance']}"
            )
            site_names = dict(zip(view.dataset.sites["site_id"], view.dataset.sites["name"], strict=True))
            for site_id in split_list(row["site_ids"]):
                if site_id in site_names:
                    site_panel.map_link(view, site_id, f"Open {site_names[site_id]} on the map")
        else:
            st.markdown(
                f"**Attack:** {escape_markdown(row['attack_type'])} on "
                f"{escape_markdown(row['target_type'])} · **killed** {count_text(row['killed'])} · "
                f"**wounded** {count_text(row['wounded'])} · **attribution** "
                f"{escape_markdown(row['attribution'] if pd.notna(row['attribution']) else 'not stated')}"
                f" · **placed at** {escape_markdown(row['geo_precision'])} level"
            )
        st.markdown(f"**Source:** {escape_markdown(row['source'])}")
        if isinstance(row.get("notes"), str):
            st.markdown(f"**Notes:** {escape_markdown(row['notes'])}")


def search_box() -> str:
    """The words to search the events for."""
    return st.text_input(
        "Search the events", key="timeline.search", placeholder="Words in the title, summary, actors or place"
    )


def events_table(events: pd.DataFrame) -> None:
    """The events found, with their sources."""
    st.dataframe(
        events[
            [
                "date",
                "title",
                "category",
                "sector",
                "actors",
                "location",
                "significance",
                "confidence",
                "source",
            ]
        ],
        hide_index=True,
        column_config={"date": st.column_config.DateColumn("date", format="YYYY-MM-DD")},
    )
