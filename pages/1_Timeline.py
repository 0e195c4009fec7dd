"""The event timeline: cooperation milestones and security incidents on one time axis."""

import pandas as pd
import streamlit as st

from georisk import mapping, timeline, ui
from georisk.schema import split_list
from georisk.text import count_text, escape_markdown

frame = ui.page_frame("Timeline")
filters = frame.filters
st.title("Event timeline")
st.caption(
    f"{len(frame.events):,} events and {frame.incident_count:,} incidents from {filters.start.isoformat()} "
    f"to {filters.end.isoformat()}. Markers: events sized by significance, incidents by deaths. Dotted "
    "lines: the key cooperation milestones. Click a marker for its details."
)


@ui.guarded
def _on_select() -> None:
    chosen = ui.chart_selection("timeline.chart")
    st.session_state["timeline.selected"] = list(chosen[0]) if chosen else None


selected = st.session_state.get("timeline.selected")
st.plotly_chart(
    timeline.figure(
        frame.events,
        frame.incidents,
        filters.start,
        filters.end,
        mapping.family_colours(frame.choices.actors),
        selected[1] if selected else None,
    ),
    key="timeline.chart",
    on_select=_on_select,
    selection_mode="points",
    config={"displaylogo": False},
    alt="Timeline of events and incidents in lanes, with incidents per month beneath",
)

if selected and selected[0] in ("event", "incident"):
    kind, item = selected
    table = (
        frame.events.set_index("event_id") if kind == "event" else frame.incidents.set_index("incident_id")
    )
    if item in table.index:
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
                site_names = dict(
                    zip(frame.dataset.sites["site_id"], frame.dataset.sites["name"], strict=True)
                )
                for site_id in split_list(row["site_ids"]):
                    if site_id in site_names:
                        ui.map_link(frame, site_id, f"Open {site_names[site_id]} on the map")
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

st.header("Events in view", anchor=False)
query = st.text_input(
    "Search the events", key="timeline.search", placeholder="Words in the title, summary, actors or place"
)
events = timeline.search(frame.events, query)
st.dataframe(
    events[
        ["date", "title", "category", "sector", "actors", "location", "significance", "confidence", "source"]
    ],
    hide_index=True,
    column_config={"date": st.column_config.DateColumn("date", format="YYYY-MM-DD")},
)
ui.download_table(frame, ui.model_in_force(), events, "events", "Download these events (CSV)")
