"""Cooperation indicators over time."""

import streamlit as st

from georisk import ui

frame = ui.page_frame("Cooperation")
st.title("Cooperation indicators")

indicators = frame.indicators
st.caption(f"{indicators['indicator'].nunique()} indicators, {len(indicators)} yearly values in view.")
st.dataframe(indicators[["label", "year", "value", "unit", "source"]], hide_index=True)
