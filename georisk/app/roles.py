"""This session's role (viewer or analyst) and the optional sign-in (OpenID Connect through
st.login; docs/deploy.md)."""

from __future__ import annotations

import os

import streamlit as st

from georisk.app import access
from georisk.text import escape_markdown


def sign_in_configured() -> bool:
    """Sign-in is on when the operator has put an [auth] section in .streamlit/secrets.toml."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def require_sign_in() -> None:
    """With sign-in on, a viewer who has not signed in sees only the sign-in button: no data is
    loaded for them."""
    # Every run of every page records this session's role, so that the upload gate
    # (georisk.app.access.UploadGate) knows it before any uploader is drawn, and forgets a role
    # that has just been lost.
    session_access()
    if not sign_in_configured():
        return
    if st.user.get("is_logged_in", False):  # AppTest's stand-in user has no such key
        with st.sidebar:
            st.caption(f"Signed in as {escape_markdown(st.user.get('email') or st.user.get('name') or '')}")
            st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        return
    st.title("Geopolitical risk dashboard")
    st.info("This dashboard is private: sign in to see it.", icon=":material/lock:")
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")
    st.stop()


def session_access() -> access.Access:
    """This session's role, viewer or analyst, with its reason (georisk.app.access.decide has the
    rules); recorded for the upload gate. GEORISK_READ_ONLY and GEORISK_ANALYSTS may be top-level
    secrets on Community Cloud: Streamlit copies those into the environment when the secrets are
    first read, which sign_in_configured does before the environment is read here."""
    from streamlit import config
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    sign_in = sign_in_configured()
    signed_in = sign_in and st.user.get("is_logged_in", False)
    decision = access.decide(
        address=config.get_option("server.address"),
        sign_in=sign_in,
        email=st.user.get("email") if signed_in else None,
        analysts=access.analysts_from(os.environ.get(access.ANALYSTS_ENV)),
        env=os.environ,
        proxied=access.forwarded(st.context.headers.keys()),
    )
    ctx = get_script_run_ctx()
    access.remember(ctx.session_id if ctx else None, decision)
    return decision


def imports_allowed() -> bool:
    """Whether this session may change the data (an analyst's): asked again by every action at
    the moment it acts, so that a forged widget message from a viewer changes nothing."""
    return session_access().analyst


def refuse_viewer() -> bool:
    """True (and says so) when this session may not change the data."""
    if imports_allowed():
        return False
    st.error("Only an analyst can change the data of this instance.", icon=":material/block:")
    return True


def analyst_here(what_analysts_do: str) -> bool:
    """True for an analyst. A viewer is told why they are one, what analysts do in this section
    (`what_analysts_do`, our own text) and how analysts are enabled."""
    role = session_access()
    if not role.analyst:
        st.info(
            f"{escape_markdown(role.reason)} {what_analysts_do} {access.HOW_TO_ENABLE}",
            icon=":material/lock:",
        )
    return role.analyst
