"""The data behind the dashboard: where each file comes from, and what was wrong with it."""

import streamlit as st

from georisk import ui

frame = ui.page_frame("Data")
dataset = frame.dataset
st.title("Data")
st.caption(f"Folder: {dataset.data_dir}")

st.subheader("Files")
st.dataframe(
    dataset.catalogue(),
    hide_index=True,
    column_config={
        "description": st.column_config.TextColumn(width="large"),
        "source": st.column_config.TextColumn(width="large"),
    },
)

st.subheader("Validation")
problems = dataset.problems_frame()
if problems.empty:
    st.success("Every row of every file passed validation.")
else:
    st.write(
        f"{len(problems)} problem(s). Each rejected row was left out of every page; "
        "the row number is the spreadsheet row (the header is row 1) or the GeoJSON feature number."
    )
    st.dataframe(problems, hide_index=True)

st.subheader("Bring your own scenario")
st.markdown(
    "Every file's columns are described in `data/README.md`. Point the app at another folder with "
    "`GEORISK_DATA=/path/to/folder streamlit run dashboard.py`, and check it first with "
    "`python -m georisk validate /path/to/folder`."
)
