"""The data behind the dashboard: where each file comes from, and what was wrong with it."""

import json

import streamlit as st

from georisk import ui
from georisk.text import escape_markdown

frame = ui.page_frame("Data")
dataset = frame.dataset
st.title("Data")
st.caption(f"Folder: {escape_markdown(dataset.data_dir)}")

st.header("Files")
st.dataframe(
    dataset.catalogue(),
    hide_index=True,
    column_config={
        "description": st.column_config.TextColumn(width="large"),
        "source": st.column_config.TextColumn(width="large"),
    },
)

last_import = dataset.data_dir / "import_report.json"
if (dataset.data_dir / "incidents.parquet").exists() and last_import.exists():
    report = json.loads(last_import.read_text(encoding="utf-8"))
    st.info(
        f"Incidents come from an imported {escape_markdown(report.get('kind', ''))} feed, "
        f"{escape_markdown(report.get('file', ''))}, imported {escape_markdown(report.get('created', ''))}: "
        f"{escape_markdown(report.get('summary', ''))}. The rows it could not import as they came are listed "
        "in import_rows.csv in the data folder.",
        icon=":material/upload_file:",
    )

st.header("Validation")
problems = dataset.problems_frame()
if problems.empty:
    st.success("Every row of every file passed validation.")
else:
    st.write(
        f"{len(problems)} problem(s). Each rejected row was left out of every page; "
        "the row number is the spreadsheet row (the header is row 1) or the GeoJSON feature number."
    )
    st.dataframe(problems, hide_index=True)

st.header("Bring your own scenario")
st.markdown(
    "Every file's columns are described in `data/README.md`. Point the app at another folder with "
    "`GEORISK_DATA=/path/to/folder streamlit run dashboard.py`, and check it first with "
    "`python -m georisk validate /path/to/folder`."
)

st.header("Import an incident feed", anchor=False)
st.caption(
    "ACLED exports, Global Terrorism Database files (CSV or Excel) or any CSV with a mapping file. The feed "
    "is checked first and every row accounted for; nothing changes until you choose to use it. The same "
    "from the command line: `python -m georisk import acled|gtd|csv FILE [--mapping M] --out DATA_DIR`."
)
ui.import_panel(dataset)
