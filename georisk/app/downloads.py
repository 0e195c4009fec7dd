"""Downloads of what is in view: tables as CSV bundles with their metadata, the sites as GeoJSON,
and the one-page briefing (HTML or PDF)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from georisk import limits
from georisk.app.cache import Loaded
from georisk.app.url import PAGE_PARAMS, session_id, share_link
from georisk.model import settings
from georisk.outputs import briefing, export, printing
from georisk.text import escape_markdown
from georisk.view import View


def download_table(
    view: View,
    model: settings.ModelSettings,
    table: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str,
) -> None:
    """A zip of the table as CSV with its metadata (filters, as-of date, model, sources). Pass a
    function for `table` when making it costs: it is then only made when someone clicks."""
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))

    def bundle() -> bytes:
        rows = table() if callable(table) else table
        return export.csv_bundle(rows, name, export.metadata(view, model, name, len(rows), page_params))

    st.download_button(
        label,
        data=bundle,
        file_name=f"{name}_{view.filters.asof.isoformat()}.zip",
        mime="application/zip",
        key=f"download.{name}",
        icon=":material/download:",
        on_click="ignore",
        help="A CSV file and a JSON file saying which view it comes from.",
    )


def download_sites(view: View, model: settings.ModelSettings, scores: pd.DataFrame) -> None:
    """The sites in view with their scores, as GeoJSON and as a CSV bundle (made when clicked)."""
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))

    def geojson() -> bytes:
        meta = export.metadata(view, model, "sites", len(scores), page_params)
        return export.sites_geojson(scores, view.sites, meta)

    columns = st.columns(2)
    columns[0].download_button(
        "Sites and scores (GeoJSON)",
        data=geojson,
        file_name=f"sites_{view.filters.asof.isoformat()}.geojson",
        mime="application/geo+json",
        key="download.sites.geojson",
        icon=":material/download:",
        on_click="ignore",
    )
    with columns[1]:
        download_table(
            view, model, lambda: export.site_table(scores, view.sites), "sites", "Sites and scores (CSV)"
        )


def briefing_buttons(view: View, model: settings.ModelSettings, since: dt.date) -> None:
    """Make the one-page briefing of what is on screen, as HTML or PDF (made when clicked).

    Any viewer can ask for these in a loop, so each session may ask for a few a minute and the
    PDFs are printed one at a time (georisk.outputs.printing). The files are made in a thread of
    Streamlit's, after a click, which can only refuse by raising: the browser then shows
    "Failed to generate file for download" under the button for five seconds, and this page
    says why on its next run (and disables the buttons while the session is over its rate)."""
    link = share_link(view.filters, view.choices)
    session = session_id()  # read now: the click's thread has no session of its own

    def refusing(make: Callable[[], bytes]) -> Callable[[], bytes]:
        def made() -> bytes:
            try:
                return make()
            except limits.Refused as err:
                printing.refused(session, err)
                raise

        return made

    def document() -> briefing.Briefing:
        printing.allow(session)
        made = Loaded.of(view.dataset.data_dir).summary(view, model, since, session)
        return briefing.build(made, link)

    name = f"briefing_{view.filters.asof.isoformat()}"
    chromium = printing.find_chromium()
    wait = printing.next_allowed(session)
    limited = (
        f"Briefing limit reached (at most {printing.BRIEFINGS_PER_MINUTE} a minute per viewer): the next "
        f"one in {limits.retry_text(wait)}."
        if wait
        else None
    )
    columns = st.columns(2)
    columns[0].download_button(
        "Briefing (PDF, one page)",
        data=refusing(lambda: printing.printed(document().html)),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        key="briefing.pdf",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        disabled=chromium is None or wait > 0,
        help=limited or (None if chromium else "Needs Chromium or Chrome on the server."),
    )
    columns[1].download_button(
        "Briefing (HTML, works offline)",
        data=refusing(lambda: document().html.encode("utf-8")),
        file_name=f"{name}.html",
        mime="text/html",
        key="briefing.html",
        icon=":material/description:",
        on_click="ignore",
        disabled=wait > 0,
        help=limited,
    )
    notice = limited or printing.last_refusal(session)
    if notice:
        st.caption(f":orange[{escape_markdown(notice)}]")
