"""The risk model's settings in force, and the "adjust the risk model" panel in the sidebar."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from georisk.app.url import MODEL, MODEL_ERROR, guarded
from georisk.model import ratings, settings

# Widget keys of the "adjust the model" panel, by ModelSettings attribute (cut-offs: one per band).
MODEL_WIDGETS = {
    "radius_km": "model.radius",
    "half_life_days": "model.halflife",
    "w_threat": "model.w_threat",
    "w_exposure": "model.w_exposure",
}
CUT_WIDGETS = ("model.cut.low", "model.cut.medium", "model.cut.high", "model.cut.very_high")
RATINGS_WIDGET = "model.ratings"
MODEL_LABELS = {
    "radius_km": "Radius (km)",
    "half_life_days": "Half-life (days)",
    "w_threat": "Weight of threat",
    "w_exposure": "Weight of exposure",
}
MODEL_HELP = {
    "radius_km": "Incidents within this distance of a site count toward its exposure.",
    "half_life_days": "An incident this old counts half as much as one on the as-of date.",
}


def _set_model(model: settings.ModelSettings) -> None:
    # The frame writes the settings to the URL on the rerun this callback precedes.
    st.session_state[MODEL] = model


@guarded
def _on_model_widget() -> None:
    state = st.session_state
    candidate = replace(
        state[MODEL],
        **{attribute: float(state[key]) for attribute, key in MODEL_WIDGETS.items()},
        cuts=tuple(int(state[key]) for key in CUT_WIDGETS),
        ratings=state[RATINGS_WIDGET],
    )
    problems = candidate.validate()
    if problems:
        state[MODEL_ERROR] = f"Not applied: {problems[0]}."
        return
    state[MODEL_ERROR] = None
    _set_model(candidate)


@guarded
def _on_model_reset() -> None:
    st.session_state[MODEL_ERROR] = None
    _set_model(settings.DEFAULTS)


def model_in_force() -> settings.ModelSettings:
    """The model's settings without drawing the panel (for pages that do not score)."""
    return st.session_state.get(MODEL, settings.DEFAULTS)


def model_settings() -> settings.ModelSettings:
    """The "adjust the model" panel in the sidebar; returns the settings in force."""
    model = model_in_force()
    for attribute, key in MODEL_WIDGETS.items():
        st.session_state[key] = float(getattr(model, attribute))
    for key, cut in zip(CUT_WIDGETS, model.cuts, strict=True):
        st.session_state[key] = int(cut)
    st.session_state[RATINGS_WIDGET] = model.ratings
    changed = model != settings.DEFAULTS
    with st.sidebar.expander("Adjust the risk model" + (" (changed)" if changed else ""), expanded=changed):
        for attribute, key in MODEL_WIDGETS.items():
            # The ranges are the model's own (settings.SETTINGS), so any setting a link may carry fits.
            setting = settings.SETTINGS[attribute]
            st.slider(
                MODEL_LABELS[attribute],
                setting.low,
                setting.high,
                step=setting.step,
                key=key,
                on_change=_on_model_widget,
                help=MODEL_HELP.get(attribute),
            )
        st.radio(
            "Threat ratings",
            list(ratings.SOURCES),
            format_func=lambda source: ratings.SOURCE_LABELS[source].capitalize(),
            key=RATINGS_WIDGET,
            help="Derived ratings come from the incidents in use by a stated rule (see the methodology) and "
            "are labelled as derived wherever they are used.",
            on_change=_on_model_widget,
        )
        st.caption("Bands start at these likelihood × impact scores (1–25):")
        columns = st.columns(2)
        for i, (key, band) in enumerate(zip(CUT_WIDGETS, settings.BANDS[1:], strict=True)):
            columns[i % 2].number_input(
                band, *settings.CUT_RANGE, step=1, key=key, on_change=_on_model_widget
            )
        if st.session_state.get(MODEL_ERROR):
            st.warning(st.session_state[MODEL_ERROR])
        st.button("Default settings", key="model.reset", on_click=_on_model_reset, disabled=not changed)
    return model
