"""The cooperation index's weights: from the link (`iw`), else the defaults, with sliders."""

from __future__ import annotations

import streamlit as st

from georisk.analysis import cooperation
from georisk.app.url import guarded, page_param, set_page_param
from georisk.link import parse_weights, weights_param


@guarded
def _on_weight(defaults: dict[str, float]) -> None:
    weights = {name: float(st.session_state[f"index.w.{name}"]) for name in defaults}
    text = weights_param(weights, defaults)
    set_page_param("iw", [text] if text else [])


def index_weights(defaults: dict[str, float], names: dict[str, str]) -> dict[str, float]:
    """The cooperation index's weights (from the link, else the defaults), with sliders to change
    them; the changes travel in the URL as `iw`."""
    given = page_param("iw")
    chosen, _ = parse_weights(given[-1], set(defaults)) if given else ({}, [])
    weights = {**defaults, **chosen}
    with st.expander("Index weights" + (" (changed)" if chosen else ""), expanded=bool(chosen)):
        columns = st.columns(3)
        for i, (name, weight) in enumerate(weights.items()):
            st.session_state[f"index.w.{name}"] = weight
            columns[i % 3].slider(
                names.get(name, name),
                cooperation.WEIGHT.low,
                cooperation.WEIGHT.high,
                step=cooperation.WEIGHT.step,
                key=f"index.w.{name}",
                on_change=_on_weight,
                args=(defaults,),
            )
    return weights
