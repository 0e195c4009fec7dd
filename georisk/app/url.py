"""The view in the URL and in the session: read the link once, write the view back on every run,
the pages' own parameters (`site`, `layers`, `since`, `iw`), the share link, guarded callbacks."""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from typing import ParamSpec, TypeVar

import streamlit as st

from georisk.link import Link, link_params, parse_link
from georisk.model import settings
from georisk.scenario.dataset import Dataset
from georisk.text import escape_markdown
from georisk.view import Choices, Filters

VIEW = "view.filters"
PAGE_PARAMS = "view.page_params"
NOTICES = "view.notices"
MODEL = "view.model"
MODEL_ERROR = "view.model_error"

P = ParamSpec("P")
R = TypeVar("R")


def session_id() -> str:
    """Streamlit's id of this session: it stays the same when a viewer clears the caches (which
    also clears st.session_state, so an id kept there would give a fresh allowance)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else ""


# ---------------------------------------------------------------------------------------------
# URL <-> session


def _query_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params.keys()}


def read_url(dataset: Dataset, choices: Choices) -> None:
    link = parse_link(
        _query_params(), choices, set(dataset.sites["site_id"]), set(dataset.indicators["indicator"])
    )
    st.session_state[VIEW] = link.filters
    st.session_state[MODEL] = link.model
    st.session_state[PAGE_PARAMS] = link.page_params
    st.session_state[NOTICES] = link.notices


def current_params(filters: Filters, choices: Choices) -> dict[str, list[str]]:
    """The URL parameters of the whole view: filters, model settings, the pages' own."""
    link = Link(
        filters, st.session_state.get(MODEL, settings.DEFAULTS), st.session_state.get(PAGE_PARAMS, {})
    )
    return link_params(link, choices)


def write_url(filters: Filters, choices: Choices) -> None:
    wanted = current_params(filters, choices)
    if wanted != _query_params():
        st.query_params.from_dict(wanted)


def page_param(name: str) -> list[str]:
    """The values of a page's own URL parameter (e.g. `site`), as the link or the page set them."""
    return list(st.session_state.get(PAGE_PARAMS, {}).get(name, []))


def set_page_param(name: str, values: list[str]) -> None:
    """Record a page's own parameter so that it travels in the URL; empty removes it."""
    page_params = dict(st.session_state.get(PAGE_PARAMS, {}))
    if values:
        page_params[name] = list(values)
    else:
        page_params.pop(name, None)
    st.session_state[PAGE_PARAMS] = page_params
    if values:
        st.query_params[name] = list(values)
    elif name in st.query_params:
        del st.query_params[name]


def show_notices() -> None:
    notices = st.session_state.get(NOTICES) or []
    if notices:
        st.warning(
            "Some parts of the link could not be used and were ignored:\n\n"
            + "\n".join(f"- {escape_markdown(n)}" for n in notices),
            icon="⚠️",
        )
        if st.button("Dismiss", key="view.dismiss"):
            st.session_state[NOTICES] = []
            st.rerun()


def share_link(filters: Filters, choices: Choices) -> str:
    """The full link of the current view, for anyone who opens it."""
    query = urllib.parse.urlencode(current_params(filters, choices), doseq=True)
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?{query}" if query else base


def guarded(function: Callable[P, R]) -> Callable[P, R | None]:
    """Mark a widget callback that needs the session's state. Callbacks run before the page, and
    the state may be gone by then: Streamlit's clear-cache message, which any viewer can send,
    clears it. The callback is then skipped, and the page rebuilds the view from its URL."""

    @functools.wraps(function)
    def run_if_state(*args: P.args, **kwargs: P.kwargs) -> R | None:
        if VIEW in st.session_state:
            return function(*args, **kwargs)
        return None

    return run_if_state


def update_view(**changes: object) -> None:
    """Change some of the view's filters (in a widget's callback; the frame writes the URL)."""
    st.session_state[VIEW] = replace(st.session_state[VIEW], **changes)
