"""The sections of the Alerts page: the open alerts in view and what analysts do to them, the
each rule's feed address and webhook secret, and the deliveries made (the rules and their form
are georisk.app.rule_form).

The rules and alerts live in the data folder's store (georisk.store.alerts); what a rule matches
is decided in georisk.alerts. A viewer's visit never makes a store; the first saved rule does.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from georisk import text
from georisk.alerts import deliver, links, sync, viewing
from georisk.alerts.records import OPEN_STATES
from georisk.app import imports, roles
from georisk.scenario.dataset import Dataset
from georisk.store.alerts import AlertBook, StoredRule
from georisk.store.database import StoreError
from georisk.text import escape_markdown
from georisk.view import View

SHOWN = 50  # alert cards drawn at most; the filters narrow the rest
LISTED = 5000  # alerts read for the page (the most recently changed); the CSV has all of them
DELIVERIES_SHOWN = 100
DONE = "alerts.done"  # what the last action did, shown once after the rerun
CLEAR_NOTE = "alerts.clear_note"
STATE_BADGES = {"open": "red", "acknowledged": "orange", "closed": "gray", "withdrawn": "gray"}
PAGES = ("Map", "")  # the dashboard pages an alert links to, by their URL path (Overview: "")


# ---------------------------------------------------------------------------------------------
# The store


def open_book(dataset: Dataset) -> AlertBook | None:
    """The alert book of the data folder's store; None when there is no store (yet), or it cannot
    be opened (imports.open_store then says why)."""
    store = imports.open_store(dataset)
    return AlertBook(store) if store is not None else None


def sync_messages(book: AlertBook | None, dataset: Dataset) -> None:
    """Bring the rules of alerts.toml into the store, and say what changed (with no store yet,
    what is wrong in the file)."""
    try:
        if book is None:
            messages = sync.file_rules(dataset.data_dir, dataset)[1]
        else:
            messages = sync.sync_file_rules(book, dataset.data_dir, dataset)
    except StoreError as err:  # busy, or a write failed: the stored rules stand
        st.warning(escape_markdown(str(err)), icon=":material/database:")
        return
    for message in messages:
        st.info(escape_markdown(message), icon=":material/description:")


def actor() -> str:
    """Who an action is recorded as: the signed-in user's email, else "analyst"."""
    signed_in = roles.sign_in_configured() and st.user.get("is_logged_in", False)
    return str((st.user.get("email") if signed_in else None) or "analyst")


def done_message() -> None:
    """What the last action did (it reran the page to show its result)."""
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(escape_markdown(done), icon=":material/check:")


# ---------------------------------------------------------------------------------------------
# Alerts


def app_link(url: object) -> str | None:
    """A stored link into the dashboard made relative to this app (its page and query only), so
    that it opens on whatever host and path serves the page: "Map?from=…", "./?site=…"."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(str(url))
    page = parts.path.strip("/").rsplit("/", 1)[-1]
    if page not in PAGES:
        return None
    query = urllib.parse.urlencode(urllib.parse.parse_qsl(parts.query))  # re-encoded: no ( ) [ ] left
    return f"{page or '.'}{'' if page else '/'}?{query}"


def alerts_list(book: AlertBook | None, view: View, rule_names: Mapping[str, str]) -> list[Mapping]:
    """The alerts in view as cards (open and acknowledged, or every state with the toggle); the
    alerts shown."""
    every = st.toggle("Show closed and withdrawn alerts too", key="alerts.every")
    if book is None:
        st.caption("No alert yet: alerts start with the first import or refresh after a rule is saved.")
        return []
    try:
        rows = book.alerts(states=None if every else OPEN_STATES, limit=LISTED)
    except StoreError as err:
        st.error(escape_markdown(str(err)), icon=":material/database:")
        return []
    shown = viewing.in_view(rows, view)
    if not shown:
        st.info(
            "No alert in view with these filters." if rows else "No open alert.",
            icon=":material/notifications:",
        )
        return []
    st.caption(
        f"{len(shown)} alert(s) in view"
        + (f" among the {LISTED:,} most recently changed" if len(rows) >= LISTED else "")
        + (
            f"; the newest {SHOWN} are shown, narrow the sidebar's filters for the others."
            if len(shown) > SHOWN
            else "."
        )
    )
    for row in shown[:SHOWN]:
        alert_card(row, rule_names)
    st.download_button(
        "Download the alerts in view (CSV)",
        alerts_csv(shown, rule_names),
        "alerts.csv",
        "text/csv",
        key="alerts.csv",
        icon=":material/download:",
    )
    return shown


def alerts_csv(rows: Sequence[Mapping], rule_names: Mapping[str, str]) -> bytes:
    """The alerts as a spreadsheet opens them: one row each, the fields every channel shows,
    formula-safe (text from feeds and notes may start with =)."""
    columns = (
        "id", "state", "raised", "updated", "rule_id", "rule_name", "kind", "title", "why", "event_date",
        "site_id", "site_name", "distance_km", "province", "location", "group", "actor_family",
        "attack_type", "target_type", "killed", "wounded", "geo_precision", "feed", "event_id",
        "revision", "source", "confidence", "change", "note", "by",
    )  # fmt: skip
    records = [deliver.alert_of(row, rule_names.get(row["rule_id"])).to_dict() for row in rows]
    frame = (
        pd.DataFrame.from_records(records, columns=list(columns))
        if records
        else pd.DataFrame(columns=columns)
    )
    return text.csv_text(frame[list(columns)]).encode("utf-8")


def alert_card(row: Mapping, rule_names: Mapping[str, str]) -> None:
    d = row.get("details") or {}
    state = str(row.get("state"))
    with st.container(border=True):
        badge = f":{STATE_BADGES[state]}-badge[{state}]" if state in STATE_BADGES else escape_markdown(state)
        st.markdown(f"{badge} **{escape_markdown(d.get('title') or 'Alert')}**")
        facts = [
            row.get("event_date") and str(row["event_date"])[:10],
            (d.get("site_name") or row.get("site_id")) and f"site {d.get('site_name') or row.get('site_id')}",
            row.get("distance_km") is not None and f"{row['distance_km']:g} km from it",
            not row.get("site_id") and row.get("province") and f"province {row['province']}",
            f"rule {rule_names.get(row.get('rule_id'), d.get('rule_name') or row.get('rule_id'))}",
        ]
        st.markdown(" · ".join(escape_markdown(f) for f in facts if f))
        if d.get("why"):
            st.markdown(escape_markdown(d["why"]))
        toll = []
        if row.get("kind") == "incident":
            toll = [
                f"{text.count_text(d.get('killed'))} killed",
                f"{text.count_text(d.get('wounded'))} wounded",
            ]
        toll += [
            f"source {d['source']}" if d.get("source") else "",
            f"confidence {d['confidence']}" if d.get("confidence") else "",
        ]
        if any(toll):
            st.caption(escape_markdown(" · ".join(t for t in toll if t)))
        if d.get("change"):
            st.caption(f"Latest change: {escape_markdown(d['change'])}")
        if row.get("note") or row.get("by"):
            st.markdown(
                f"Note: {escape_markdown(row.get('note') or '(none)')} — "
                + escape_markdown(row.get("by") or "unknown")
            )
        targets = [
            (label, app_link((d.get("links") or {}).get(name)))
            for name, label in (("map", "On the map"), ("site", "Site panel"))
        ]
        if any(href for _, href in targets):
            st.markdown(" · ".join(f"[{label}]({href})" for label, href in targets if href))


def act_panel(book: AlertBook | None, shown: Sequence[Mapping]) -> None:
    """Acknowledge, close or reopen one of the alerts shown, with a note (analysts only)."""
    if book is None or not shown:
        return
    if not roles.analyst_here("Analysts acknowledge, close and reopen alerts here."):
        return
    labels = {
        int(
            r["id"]
        ): f"{r['id']} · {text.visible((r.get('details') or {}).get('title') or 'Alert')} ({r['state']})"
        for r in shown
    }
    if st.session_state.pop(CLEAR_NOTE, False):
        st.session_state.pop("alerts.note", None)
    chosen = st.selectbox("Alert", list(labels), format_func=labels.__getitem__, key="alerts.pick")
    note = st.text_area("Note", key="alerts.note", max_chars=2000, placeholder="What was done, or why")
    state = next(r["state"] for r in shown if int(r["id"]) == chosen)
    columns = st.columns(3)
    actions = (
        ("acknowledged", "Acknowledge", state == "open", ":material/visibility:"),
        ("closed", "Close", state in ("open", "acknowledged"), ":material/check_circle:"),
        ("reopened", "Reopen", state in ("acknowledged", "closed"), ":material/replay:"),
    )
    for column, (action, label, enabled, icon) in zip(columns, actions, strict=True):
        if (
            column.button(label, key=f"alerts.{action}", disabled=not enabled, icon=icon)
            and not roles.refuse_viewer()
        ):
            try:
                book.act(chosen, action, actor(), note or "")
            except (KeyError, ValueError, StoreError) as err:
                st.error(escape_markdown(str(err)))
            else:
                st.session_state[DONE] = f"Alert {chosen} {action}."
                st.session_state[CLEAR_NOTE] = True
                st.rerun()


# ---------------------------------------------------------------------------------------------
# Feeds, secrets and deliveries


def feeds_and_secrets(book: AlertBook | None, rules: Sequence[StoredRule]) -> None:
    """The Atom feed of every rule and of each one, each rule's webhook secret (hidden until
    asked for), and new ones for both (analysts only: the addresses are the keys)."""
    if not roles.analyst_here("Analysts see the feed addresses and webhook secrets here."):
        return
    if book is None or not rules:
        st.caption("No rule yet: each saved rule gets its feed address and webhook secret.")
        return
    try:
        st.markdown("The feed of every rule:")
        st.code(links.feed_url(book.all_feed_token()), language=None)
        if (
            st.button(
                "New address for the feed of every rule", key="alerts.rotate.all", icon=":material/autorenew:"
            )
            and not roles.refuse_viewer()
        ):
            book.rotate_all_feed_token()
            st.session_state[DONE] = "The feed of every rule has a new address; the old one stopped working."
            st.rerun()
    except StoreError as err:
        st.error(escape_markdown(str(err)))
        return
    for rule in rules:
        with st.expander(escape_markdown(f"{rule.id} · {rule.definition.get('name') or ''}")):
            st.code(links.feed_url(rule.feed_token), language=None)
            if st.toggle("Show the webhook secret", key=f"alerts.secret.{rule.id}"):
                st.code(rule.webhook_secret, language=None)
            a, b = st.columns(2)
            for column, which, label in (
                (a, "feed_token", "New feed address"),
                (b, "webhook_secret", "New webhook secret"),
            ):
                key = f"alerts.rotate.{which}.{rule.id}"
                if column.button(label, key=key, icon=":material/autorenew:") and not roles.refuse_viewer():
                    try:
                        book.rotate(rule.id, which)
                    except StoreError as err:
                        st.error(escape_markdown(str(err)))
                    else:
                        st.session_state[DONE] = (
                            f"Rule {rule.id}: {label.lower()}; the old one stopped working."
                        )
                        st.rerun()


def deliveries_table(book: AlertBook | None) -> None:
    """The last deliveries with their outcome (the targets only for analysts)."""
    try:
        found = book.deliveries(limit=DELIVERIES_SHOWN) if book is not None else []
    except StoreError as err:
        st.error(escape_markdown(str(err)))
        return
    if not found:
        st.caption("No delivery yet.")
        return
    table = pd.DataFrame(
        {
            "time": [imports.when(d.created) for d in found],
            "rule": [d.rule_id for d in found],
            "channel": [d.channel for d in found],
            "target": [d.target for d in found],
            "event": [d.event for d in found],
            "alerts": [len(d.alert_ids) for d in found],
            "state": [d.state for d in found],
            "attempts": [d.attempts for d in found],
            "outcome": [d.outcome or "" for d in found],
        }
    )
    if not roles.imports_allowed():
        table = table.drop(columns="target")
    st.dataframe(
        text.neutralise(table),
        hide_index=True,
        column_config={"outcome": st.column_config.TextColumn(width="large")},
    )
    st.caption(
        f"The latest {DELIVERIES_SHOWN} deliveries; `python -m georisk alerts send` sends what is due."
    )
