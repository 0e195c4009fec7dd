"""Evaluating the watch rules after each import and refresh.

    catch_up(data_dir)   evaluate every committed import and refresh the rules have not seen

Each run is evaluated once, against the incidents it added or revised (never the older ones), in
run order; its alerts, their actions and the deliveries they need are written with the mark that
the run was evaluated, in one transaction. So a crash leaves the run to the next catch-up, and two
processes catching up at once evaluate it once (the store's "alerts" lock). A rule only sees runs
committed after it was made: a new rule does not alert on history (its preview shows what it
would have raised; georisk.alerts.preview).

    new incident that matches         raises an alert (one per rule and incident)
    revised incident with an alert    updates it, saying what changed (a closed or withdrawn
                                      one opens again); withdraws it when the revision no longer
                                      matches
    revised incident with no alert    raises one if it now matches
    withdrawn incident                withdraws its alerts

Band and threat rules are evaluated after the runs, on the incidents then in use
(georisk.alerts.changes).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from georisk.alerts import changes as band_changes
from georisk.alerts import links, matching, sync
from georisk.alerts.deliver import outbox_for
from georisk.alerts.rules import Rule
from georisk.model.context import context_for, district_km_of
from georisk.scenario.dataset import Dataset, load_dataset
from georisk.store.alerts import AlertBook, Change, Outbox
from georisk.store.database import Store
from georisk.store.location import open_store

log = logging.getLogger(__name__)
# The incident fields an alert shows, and whose change an update reports.
SHOWN = (
    "date",
    "location",
    "district",
    "province",
    "group",
    "actor_family",
    "attack_type",
    "target_type",
    "killed",
    "wounded",
    "geo_precision",
    "attribution",
    "source",
    "confidence",
)


@dataclass
class Evaluation:
    runs: int = 0
    raised: int = 0
    updated: int = 0
    withdrawn: int = 0
    deliveries: int = 0
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.runs} run(s) evaluated: {self.raised} alert(s) raised, {self.updated} updated, "
            f"{self.withdrawn} withdrawn; {self.deliveries} delivery(ies) queued"
        )


def _clean(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def incident_frame(records: pd.DataFrame) -> pd.DataFrame:
    """Stored incident records as the model reads them (dates as dates, tolls as numbers)."""
    frame = records.copy()
    frame["date"] = pd.to_datetime(frame["date"].astype(str).str[:10], format="%Y-%m-%d", errors="coerce")
    for column in ("lat", "lon", "killed", "wounded"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame[frame["date"].notna() & frame["lat"].notna() & frame["lon"].notna()].reset_index(drop=True)


def details_of(incident: Mapping, site_name: str | None, why: str, rule: Rule) -> dict:
    shown = {key: _clean(incident.get(key)) for key in SHOWN}
    shown["date"] = str(shown["date"])[:10] if shown["date"] else None
    place = shown["location"] or shown["district"] or shown["province"] or "an unnamed place"
    toll = "killed not reported" if shown["killed"] is None else f"{shown['killed']} killed"
    title = f"{shown['attack_type'] or 'Incident'} in {place} ({shown['date']}): {toll}"
    return {**shown, "title": title, "why": why, "site_name": site_name, "rule_name": rule.name}


def what_changed(old: Mapping, new: Mapping) -> str:
    """The shown fields a revision changed, in words ("killed 0 → 3; location A → B")."""
    parts = []
    for key in (*SHOWN, "distance_km"):
        before, after = old.get(key), new.get(key)
        if before != after and not (before is None and after is None):
            parts.append(
                f"{key.replace('_', ' ')} {before if before is not None else 'unknown'} → "
                f"{after if after is not None else 'unknown'}"
            )
    return "; ".join(parts) or "the feed revised the record (no shown field changed)"


def _rules_for_run(rules: list[tuple[Rule, int]], seq: int) -> list[Rule]:
    return [rule for rule, since in rules if seq > since]


def evaluate_run(
    book: AlertBook,
    seq: int,
    rules: list[Rule],
    dataset: Dataset,
    environ: Mapping[str, str] = os.environ,
) -> tuple[int, int, int, int]:
    """Evaluate one run's changes: (raised, updated, withdrawn, deliveries)."""
    records, withdrawn_events = book.changes(seq)
    by_id = {rule.id: rule for rule in rules}
    changes: list[Change] = []
    outbox: list[Outbox] = []
    site_names = dict(zip(dataset.sites["site_id"], dataset.sites["name"], strict=True))
    seen: set[tuple[str, str]] = set()
    if not records.empty and rules:
        incidents = incident_frame(records)
        ctx = context_for(
            incidents,
            dataset.threat_levels,
            dataset.actors,
            dataset.boundaries,
            dataset.sites,
            district_km=district_km_of(dataset.scenario),
        )
        found = matching.matches(rules, ctx, dataset.sites)
        rows = incidents.to_dict("records")
        keys = (incidents["_feed"].astype(str) + "/" + incidents["_event_id"].astype(str)).tolist()
        keyed = {(row.rule_id, keys[row.position]): row for row in found.itertuples(index=False)}
        # Alerts of revised incidents, to update them, or withdraw those that no longer match (a
        # new event has none: each run is evaluated once).
        revised = [
            (feed, str(event))
            for feed, event, revision in zip(
                incidents["_feed"], incidents["_event_id"], incidents["_revision"], strict=True
            )
            if revision > 1
        ]
        stored = {(a["rule_id"], a["key"]): a for a in book.alerts_of_events(revised)}
        for (rule_id, key), row in keyed.items():
            rule = by_id[rule_id]
            incident = rows[row.position]
            match = {
                "site_id": row.site_id,
                "distance_km": row.distance_km,
                "tier_km": row.tier_km,
                "others": row.others,
            }
            why = matching.why(rule, incident, match, site_names)
            details = details_of(incident, site_names.get(row.site_id), why, rule)
            distance = None if pd.isna(row.distance_km) else round(float(row.distance_km), 2)
            details["distance_km"] = distance
            details["links"] = links.alert_links(incident, row.site_id, environ)
            common = dict(
                rule_id=rule_id,
                key=key,
                kind="incident",
                feed=incident["_feed"],
                event_id=str(incident["_event_id"]),
                revision=int(incident["_revision"]),
                event_date=details["date"],
                site_id=row.site_id,
                province=details["province"],
                distance_km=distance,
            )
            old = stored.get((rule_id, key))
            seen.add((rule_id, key))
            if old is None:
                changes.append(Change("raised", details=details, **common))
                outbox += outbox_for(rule, (rule_id, key), "raised")
            elif old["revision"] != common["revision"] or old["state"] == "withdrawn":
                details["change"] = what_changed(old["details"], details)
                # A revision that matches again brings a withdrawn or closed alert back to be seen;
                # an acknowledged one stays acknowledged, its update shown.
                state = "open" if old["state"] in ("withdrawn", "closed") else old["state"]
                changes.append(
                    Change(
                        "updated",
                        details=details,
                        alert_id=old["id"],
                        note=details["change"],
                        state=state,
                        **common,
                    )
                )
                outbox += outbox_for(rule, (rule_id, key), "updated")
        # Revised incidents whose alerts no longer match.
        for (rule_id, key), old in stored.items():
            if (rule_id, key) in seen or old["state"] == "withdrawn" or rule_id not in by_id:
                continue
            note = "the feed revised the incident, and the rule no longer matches it"
            changes.append(_withdrawal(old, note))
            outbox += outbox_for(by_id[rule_id], (rule_id, key), "withdrawn")
    for old in book.alerts_of_events(withdrawn_events):
        if old["state"] == "withdrawn":
            continue
        changes.append(_withdrawal(old, "the feed withdrew the incident"))
        if old["rule_id"] in by_id:
            outbox += outbox_for(by_id[old["rule_id"]], (old["rule_id"], old["key"]), "withdrawn")
    counts = book.apply(seq, changes, outbox)
    return counts.raised, counts.updated, counts.withdrawn, counts.deliveries


def _withdrawal(old: dict, note: str) -> Change:
    details = {**old["details"], "change": note}
    return Change(
        "withdrawn",
        old["rule_id"],
        old["key"],
        old["kind"],
        details,
        alert_id=old["id"],
        feed=old["feed"],
        event_id=old["event_id"],
        revision=old["revision"],
        event_date=old["event_date"],
        site_id=old["site_id"],
        province=old["province"],
        distance_km=old["distance_km"],
        note=note,
    )


def catch_up(
    data_dir: Path | str,
    store: Store | None = None,
    environ: Mapping[str, str] = os.environ,
    dataset: Dataset | None = None,
) -> Evaluation:
    """Evaluate the rules on every committed run they have not seen, then the band and threat
    rules; what was done. Nothing to do without a store or without rules."""
    outcome = Evaluation()
    store = store or open_store(data_dir, create=False)
    if store is None:
        return outcome
    book = AlertBook(store)
    curated = load_dataset(data_dir, with_store=False)
    with store.locked("evaluation of the watch rules", name="alerts"):
        outcome.messages += sync.sync_file_rules(book, data_dir, curated, environ)
        rules = sync.active_rules(book, curated)
        pending = book.pending_runs()
        if not rules:
            book.mark_evaluated(seq for seq, _, _ in pending)
            return outcome
        oldest = min(since for _, since in rules)
        # Runs committed before any rule existed cannot raise anything.
        book.mark_evaluated(seq for seq, _, _ in pending if seq <= oldest)
        for seq, _, _ in pending:
            if seq <= oldest:
                continue
            raised, updated, withdrawn, queued = evaluate_run(
                book, seq, _rules_for_run(rules, seq), curated, environ
            )
            outcome.runs += 1
            outcome.raised += raised
            outcome.updated += updated
            outcome.withdrawn += withdrawn
            outcome.deliveries += queued
        changing = [rule for rule, _ in rules if rule.kind in ("band", "threat")]
        if changing:
            full = dataset if dataset is not None else load_dataset(data_dir)
            counts = band_changes.evaluate(book, changing, full, environ)
            outcome.raised += counts.raised
            outcome.deliveries += counts.deliveries
    log.info("alerts: %s", outcome.summary())
    return outcome


def evaluate_and_send(
    data_dir: Path | str, environ: Mapping[str, str] = os.environ, send_budget: float | None = None
) -> Evaluation:
    """What every import and refresh calls once it has committed: evaluate the rules on what is
    new, queue the digests that are due, and send what is queued. Never raises: alerts must not
    undo or hold up the import that raised them (a failure is logged, and the next call catches
    up)."""
    from georisk.alerts import deliver

    try:
        outcome = catch_up(data_dir, environ=environ)
        store = open_store(data_dir, create=False)
        if store is not None:
            book = AlertBook(store)
            outcome.deliveries += deliver.queue_digests(book)
            budget = deliver.SEND_BUDGET if send_budget is None else send_budget
            deliver.send_due(book, environ, budget=budget)
        return outcome
    except Exception as err:  # noqa: BLE001 - see the docstring
        log.exception("the watch rules could not be evaluated: %s", err)
        return Evaluation(messages=[f"the watch rules could not be evaluated: {err}"])
