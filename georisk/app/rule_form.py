"""The Alerts page's rules section: the rules table (those of alerts.toml read-only), the form
that adds or edits a page rule and previews what it would have raised, and the download of every
rule as alerts.toml. What a rule accepts and matches is georisk.alerts; this is only the form."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from georisk import text
from georisk.alerts import preview, sync
from georisk.alerts.rules import (
    ATTACK_TYPES,
    ATTRIBUTION,
    CADENCES,
    DIRECTIONS,
    KINDS,
    RULE_PRECISIONS,
    TARGET_TYPES,
    WEEKDAYS,
    Rule,
    RuleError,
    parse_rule,
    rule_from_dict,
    rules_toml,
    vocabulary_of,
)
from georisk.app import roles
from georisk.app.alerts_page import DONE, actor
from georisk.charts import alerts as alerts_chart
from georisk.scenario.dataset import Dataset
from georisk.store.alerts import AlertBook, StoredRule
from georisk.store.database import StoreError
from georisk.text import escape_markdown

TIERS = 3  # radius rows on the form (the rule allows up to rules.MAX_TIERS)
NEW = ""  # the form's choice for a new rule


# ---------------------------------------------------------------------------------------------
# Rules


def stored_rules(book: AlertBook | None, dataset: Dataset) -> list[StoredRule]:
    """The rules in use; with no store yet, those of the folder's alerts.toml as they will be
    (they start watching with the first import or refresh, which makes the store)."""
    try:
        if book is not None:
            return book.rules()
        found, _ = sync.file_rules(dataset.data_dir, dataset)
        return [StoredRule(rule.to_dict(), "file", "", "", None, "", "") for rule in found]
    except StoreError as err:
        st.error(escape_markdown(str(err)), icon=":material/database:")
        return []


def rule_names(rules: Sequence[StoredRule]) -> dict[str, str]:
    return {r.id: str(r.definition.get("name") or r.id) for r in rules}


def _channels(rule: Rule) -> str:
    parts = (["webhook"] if rule.webhook else []) + ([f"email ({len(rule.email)})"] if rule.email else [])
    return ", ".join(parts) or "feed only"


def rules_table(book: AlertBook | None, dataset: Dataset, rules: Sequence[StoredRule]) -> None:
    """Every rule in words, with its cadence, channels, origin and why it raises nothing if so."""
    if not rules:
        st.caption(
            "No rule yet."
            + (
                " Analysts add one below, or in alerts.toml in the data folder."
                if roles.imports_allowed()
                else ""
            )
        )
        return
    if book is None:
        st.caption(
            "No store yet: these rules of alerts.toml start watching with the first import or refresh."
        )
    stale = sync.stale_rules(book, dataset) if book is not None else {}
    sites = vocabulary_of(dataset).sites
    shown = [(r, rule_from_dict(r.definition)) for r in rules]
    table = pd.DataFrame(
        {
            "id": [s.id for s, _ in shown],
            "name": [text.visible(rule.name) for _, rule in shown],
            "rule": [text.visible(rule.words(sites)) for _, rule in shown],
            "cadence": [
                rule.cadence
                if rule.cadence == "immediate"
                else f"{rule.cadence} at {rule.at} {rule.timezone}"
                for _, rule in shown
            ],
            "channels": [_channels(rule) for _, rule in shown],
            "enabled": ["yes" if rule.enabled else "no" for _, rule in shown],
            "kept in": ["alerts.toml" if s.origin == "file" else "the page" for s, _ in shown],
            "raises nothing because": [stale.get(s.id, "") for s, _ in shown],
        }
    )
    st.dataframe(
        text.neutralise(table),
        hide_index=True,
        column_config={
            "rule": st.column_config.TextColumn(width="large"),
            "raises nothing because": st.column_config.TextColumn(width="large"),
        },
    )
    if roles.imports_allowed():  # the webhook URLs and addresses are the analysts'
        st.download_button(
            "Download every rule as alerts.toml",
            rules_toml(rule for _, rule in shown),
            "alerts.toml",
            "application/toml",
            key="alerts.toml",
            icon=":material/download:",
        )


def watch_choices(dataset: Dataset, current: str) -> dict[str, str]:
    """What a rule can watch, in words: every site, each site, sector, partner, status, province
    (and the rule's own watch when the scenario no longer has it, so that it shows)."""
    vocabulary = vocabulary_of(dataset)
    choices = {"all": "Every site"}
    for site_id, site in vocabulary.sites.items():
        choices[f"site:{site_id}"] = f"Site: {text.visible(site.get('name') or site_id)}"
    for kind, column in (("sector", "sector"), ("partner", "partner_country"), ("status", "status")):
        for value in sorted({str(s.get(column)) for s in vocabulary.sites.values() if s.get(column)}):
            choices[f"{kind}:{value}"] = f"{kind.capitalize()}: {text.visible(value)}"
    for province in sorted(vocabulary.provinces):
        choices[f"province:{province}"] = f"Province: {text.visible(province)}"
    if current and current not in choices:
        choices[current] = f"{text.visible(current)} (not in this scenario)"
    return choices


def rule_form(book: AlertBook | None, dataset: Dataset, rules: Sequence[StoredRule]) -> None:
    """Add a page rule or edit one; preview what it would have raised; save or delete it."""
    if not roles.analyst_here("Analysts add and edit watch rules here."):
        return
    page_rules = {r.id: r for r in rules if r.origin == "page"}
    file_rules = [r.id for r in rules if r.origin == "file"]
    editing = st.selectbox(
        "Rule to edit",
        [NEW, *page_rules],
        format_func=lambda i: (
            "A new rule" if i == NEW else f"{i} · {text.visible(page_rules[i].definition.get('name'))}"
        ),
        key="alerts.edit",
    )
    if file_rules:
        st.caption("Kept in alerts.toml (edit them there): " + escape_markdown(", ".join(file_rules)) + ".")
    old = page_rules[editing].definition if editing else {}
    definition, preview_clicked, save_clicked = _form_fields(dataset, old, editing)
    vocabulary = vocabulary_of(dataset)
    if preview_clicked or save_clicked:
        try:
            if preview_clicked:  # a preview needs no id nor name yet, nor a webhook check
                definition = {
                    **definition,
                    "id": definition["id"] or "preview",
                    "name": definition["name"] or "?",
                }
            rule = parse_rule(definition, vocabulary, sync.webhook_checker() if save_clicked else None)
        except RuleError as err:
            st.error(
                "The rule has problems:\n\n"
                + "\n".join(f"- {escape_markdown(f)}: {escape_markdown(m)}" for f, m in err.problems)
            )
            return
        if preview_clicked:
            preview_chart(rule, dataset)
        elif rule.id in file_rules:
            st.error(f"The rule {escape_markdown(rule.id)} is kept in alerts.toml: edit it there.")
        elif not editing and rule.id in page_rules:
            st.error(
                f"A rule {escape_markdown(rule.id)} exists: pick it under “Rule to edit”, "
                "or choose another id."
            )
        elif not roles.refuse_viewer():
            _save(book, dataset, rule)
    if (
        editing
        and st.button("Delete this rule", key="alerts.delete", icon=":material/delete:")
        and not roles.refuse_viewer()
    ):
        try:
            book.delete_rule(editing, actor())
        except StoreError as err:
            st.error(escape_markdown(str(err)))
        else:
            st.session_state[DONE] = f"Rule {editing} deleted (its alerts stay)."
            st.rerun()


def _save(book: AlertBook | None, dataset: Dataset, rule: Rule) -> None:
    from georisk.feeds.store import store_for  # the first saved rule makes the store

    try:
        book = book or AlertBook(store_for(dataset.data_dir))
        book.save_rule(rule.to_dict(), "page", actor())
    except StoreError as err:
        st.error(escape_markdown(str(err)))
        return
    st.session_state[DONE] = f"Rule {rule.id} saved: it watches from the next import or refresh."
    st.rerun()


def _form_fields(dataset: Dataset, old: Mapping, editing: str) -> tuple[dict, bool, bool]:
    """The form, seeded from the rule being edited; (definition, preview clicked, save clicked)."""
    k = f"alerts.form.{editing or 'new'}."
    vocabulary = vocabulary_of(dataset)
    watches = watch_choices(dataset, str(old.get("watch") or ""))
    old_tiers = list(old.get("tiers") or [{"km": 10.0, "min_killed": 0}])
    with st.form(f"alerts.form.{editing or 'new'}"):
        left, right = st.columns(2)
        rule_id = left.text_input(
            "Id",
            value=old.get("id", ""),
            key=k + "id",
            disabled=bool(editing),
            help="Lowercase letters, digits, - and _",
        )
        name = right.text_input("Name", value=old.get("name", ""), key=k + "name", max_chars=120)
        kind = left.selectbox(
            "Kind",
            KINDS,
            index=KINDS.index(old.get("kind", "incident")),
            key=k + "kind",
            format_func={
                "incident": "an incident near a site or in a province",
                "band": "a site's risk band changes",
                "threat": "a threat rating rises",
            }.get,
        )
        watch_ids = list(watches)
        watch = right.selectbox(
            "Watch",
            watch_ids,
            index=watch_ids.index(old.get("watch", "all")),
            format_func=watches.get,
            key=k + "watch",
        )
        st.markdown(
            "Radii (incident rules on sites): an incident within the radius, with at least the killed given"
        )
        tiers = []
        for number in range(TIERS):
            tier = old_tiers[number] if number < len(old_tiers) else {}
            a, b = st.columns(2)
            km = a.number_input(
                f"Radius {number + 1} (km)",
                min_value=0.0,
                value=None if tier.get("km") is None else float(tier["km"]),
                step=5.0,
                key=k + f"km{number}",
            )
            killed = b.number_input(
                f"Radius {number + 1}: at least killed",
                min_value=0,
                value=int(tier.get("min_killed", 0)),
                step=1,
                key=k + f"killed{number}",
            )
            if km is not None:
                tiers.append({"km": km, "min_killed": killed})
        a, b = st.columns(2)
        families = a.multiselect(
            "Actor families (none: any)",
            sorted(vocabulary.families),
            default=[f for f in old.get("families", []) if f in vocabulary.families],
            key=k + "families",
        )
        attack_types = b.multiselect(
            "Attack types (none: any)", ATTACK_TYPES, default=old.get("attack_types", []), key=k + "attack"
        )
        target_types = a.multiselect(
            "Target types (none: any)", TARGET_TYPES, default=old.get("target_types", []), key=k + "target"
        )
        attribution = b.multiselect(
            "Attribution (none: any)", ATTRIBUTION, default=old.get("attribution", []), key=k + "attribution"
        )
        min_precision = a.selectbox(
            "Coarsest placement that may match a radius",
            RULE_PRECISIONS,
            index=RULE_PRECISIONS.index(old.get("min_precision", "district")),
            key=k + "precision",
        )
        direction = b.selectbox(
            "Band rules: which change",
            DIRECTIONS,
            index=DIRECTIONS.index(old.get("direction", "up")),
            format_func={"up": "a rise", "any": "any change"}.get,
            key=k + "direction",
        )
        a, b, c, d = st.columns(4)
        cadence = a.selectbox(
            "Delivery", CADENCES, index=CADENCES.index(old.get("cadence", "immediate")), key=k + "cadence"
        )
        at = b.time_input(
            "Digest time", value=dt.time.fromisoformat(old.get("at", "07:00")), key=k + "at", step=900
        )
        zones = sorted(zoneinfo.available_timezones() | {"UTC"})
        zone = old.get("timezone", "UTC")
        timezone = c.selectbox(
            "Time zone",
            zones,
            index=zones.index(zone) if zone in zones else zones.index("UTC"),
            key=k + "zone",
        )
        weekday = d.selectbox(
            "Weekly digests on",
            WEEKDAYS,
            index=WEEKDAYS.index(old.get("weekday", "monday")),
            key=k + "weekday",
        )
        webhook = st.text_input(
            "Webhook URL (optional)",
            value=old.get("webhook", ""),
            key=k + "webhook",
            placeholder="https://hooks.example.org/…",
        )
        email = st.text_input(
            "Email addresses, separated by commas (optional)",
            value=", ".join(old.get("email", [])),
            key=k + "email",
        )
        enabled = st.checkbox("Enabled", value=bool(old.get("enabled", True)), key=k + "enabled")
        a, b = st.columns(2)
        preview_clicked = a.form_submit_button("Preview", key="alerts.preview", icon=":material/bar_chart:")
        save_clicked = b.form_submit_button(
            "Save rule", key="alerts.save", type="primary", icon=":material/save:"
        )
    definition = {
        "id": editing or rule_id,
        "name": name,
        "kind": kind,
        "watch": watch,
        "tiers": tiers,
        "families": families,
        "attack_types": attack_types,
        "target_types": target_types,
        "attribution": attribution,
        "min_precision": min_precision,
        "direction": direction,
        "cadence": cadence,
        "at": at.strftime("%H:%M") if at else "07:00",
        "timezone": timezone,
        "weekday": weekday,
        "webhook": webhook,
        "email": email,
        "enabled": enabled,
    }
    return definition, preview_clicked, save_clicked


def preview_chart(rule: Rule, dataset: Dataset) -> None:
    """What the rule would have raised per month over the incidents in use."""
    months = preview.per_month(rule, dataset)
    if rule.kind != "incident":
        st.info("Band and threat rules have no preview: they depend on each past day's scores.")
        return
    total = int(months["alerts"].sum())
    st.markdown(f"Over the incidents in use this rule would have raised **{total:,}** alert(s).")
    fig = alerts_chart.per_month(months)
    st.plotly_chart(
        fig,
        key="alerts.preview_chart",
        config={"displayModeBar": False},
        alt=f"Bar chart of the alerts the rule would have raised per month: {total} in all",
    )
