"""The "what changed since" date of the Overview (and of the briefing on the Map page): from the
link's `since`, else one trend window before the as-of date; and its date picker."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from georisk.analysis import overview
from georisk.app.url import guarded, page_param, set_page_param
from georisk.link import parse_date
from georisk.view import View


@guarded
def _on_since() -> None:
    value = st.session_state["overview.since"]
    set_page_param("since", [value.isoformat()] if value else [])


def since_date(view: View) -> dt.date:
    """The "what changed since" date: from the link (`since`), else one trend window before the
    as-of date (overview.since_default), kept inside the data's dates and the as-of date."""
    given = page_param("since")
    default = overview.since_default(view.filters.asof, view.choices.first_date)
    chosen = parse_date(given[-1]) if given else default
    # A later change of the as-of date may leave the chosen date after it.
    return min(max(chosen, view.choices.first_date), view.filters.asof)


def since_picker(since: dt.date, view: View) -> None:
    """The "Compare with" date picker; a change travels in the URL as `since`."""
    st.session_state["overview.since"] = since
    st.date_input(
        "Compare with",
        key="overview.since",
        min_value=view.choices.first_date,
        max_value=view.filters.asof,
        format="YYYY-MM-DD",
        on_change=_on_since,
    )
