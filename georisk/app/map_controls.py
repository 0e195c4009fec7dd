"""The Map page's controls: the layers, and the quarter-by-quarter time control with "Play"."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from georisk.app.url import VIEW, guarded, page_param, set_page_param, update_view
from georisk.view import Choices, View, quarter_end, quarter_labels, quarter_of


@guarded
def _on_layers() -> None:
    set_page_param("layers", [",".join(st.session_state["map.layers"])])


def layer_picker(labels: dict[str, str], default: tuple[str, ...]) -> tuple[str, ...]:
    """The map layers in force (from the link, else the default); the choice travels as `layers`."""
    given = page_param("layers")
    chosen = tuple(v for v in given[-1].split(",") if v) if given else default
    st.session_state["map.layers"] = list(chosen)
    st.pills(
        "Layers",
        list(labels),
        format_func=labels.get,
        selection_mode="multi",
        key="map.layers",
        on_change=_on_layers,
    )
    return chosen


def _shift_asof(target: dt.date) -> None:
    current = st.session_state[VIEW]
    # A period that ended at the as-of date keeps ending there.
    end = target if current.end == current.asof or current.end > target else current.end
    update_view(asof=target, end=end, start=min(current.start, end))


@guarded
def _on_quarter(choices: Choices) -> None:
    _shift_asof(quarter_end(st.session_state["map.quarter"], choices))


@guarded
def _step_quarter(step: int, choices: Choices) -> None:
    quarters = quarter_labels(choices)
    here = quarters.index(quarter_of(st.session_state[VIEW].asof))
    target = quarters[min(max(here + step, 0), len(quarters) - 1)]
    _shift_asof(quarter_end(target, choices))


def quarter_control(view: View) -> None:
    """Step the as-of date by quarter, or play through the quarters."""
    quarters = quarter_labels(view.choices)
    st.session_state["map.quarter"] = quarter_of(view.filters.asof)
    left, middle, right, play = st.columns([1, 6, 1, 2], vertical_alignment="bottom")
    left.button(
        "◀",
        key="map.back",
        help="One quarter earlier",
        on_click=_step_quarter,
        args=(-1, view.choices),
        disabled=st.session_state["map.quarter"] == quarters[0],
    )
    middle.select_slider(
        "As of the end of quarter", quarters, key="map.quarter", on_change=_on_quarter, args=(view.choices,)
    )
    right.button(
        "▶",
        key="map.forward",
        help="One quarter later",
        on_click=_step_quarter,
        args=(1, view.choices),
        disabled=st.session_state["map.quarter"] == quarters[-1],
    )
    play.toggle("Play", key="map.play", help="Step through the quarters, one every two seconds")
    if st.session_state.get("map.play"):
        _player(view.choices)


@st.fragment(run_every=2.0)
def _player(choices: Choices) -> None:
    # Runs every two seconds while "Play" is on: advance one quarter and redraw the page.
    quarters = quarter_labels(choices)
    if not st.session_state.get("map.play"):
        return
    if quarter_of(st.session_state[VIEW].asof) == quarters[-1]:
        st.session_state["map.play"] = False
        st.rerun()
    _step_quarter(1, choices)
    st.rerun()
