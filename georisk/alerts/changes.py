"""Band and threat rules: an alert when a watched site's risk band changes, or a threat rating of a
watched province rises.

After each batch, the watched sites are scored as the Overview scores them by default (the
model's default settings, every incident in use, as of the data's latest date: View.scores), and
each watched province's threat is read as the model reads it. Each rule remembers what it saw last
(the store's watch_state); the first evaluation only remembers, so a new rule does not fire on the
situation it was made in. A missing rating is "no rating", never level 1: it rising to a rating
is reported as such.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from georisk.alerts import links
from georisk.alerts.deliver import outbox_for
from georisk.alerts.rules import Rule
from georisk.model.settings import BANDS, DEFAULTS
from georisk.scenario.dataset import Dataset
from georisk.scenario.schema import split_list
from georisk.store.alerts import AlertBook, Change, Counts, Outbox
from georisk.store.database import now
from georisk.view import View, choices_for


def _rise(old: str, new: str, order: list[str], direction: str) -> bool:
    if old == new:
        return False
    if direction == "any":
        return True
    return order.index(new) > order.index(old)


def _moved(old: str, new: str, order: list[str]) -> str:
    return "rose" if order.index(new) > order.index(old) else "fell"


def evaluate(
    book: AlertBook, rules: list[Rule], dataset: Dataset, environ: Mapping[str, str] = os.environ
) -> Counts:
    """Evaluate the band and threat rules on the incidents in use; what was raised."""
    choices = choices_for(dataset)
    view = View.of(dataset, choices.defaults(), choices)
    asof = pd.Timestamp(choices.last_date)
    scores, _ = view.scores(DEFAULTS)
    by_site = scores.set_index("site_id")
    sites = {row["site_id"]: row for row in dataset.sites.drop(columns="geometry").to_dict("records")}
    changes: list[Change] = []
    outbox: list[Outbox] = []
    stamp = now()
    for rule in rules:
        seen = book.watched(rule.id)
        now_values: dict[str, str] = {}
        if rule.kind == "band":
            for site_id in rule.watched_sites(sites):
                if site_id in by_site.index:
                    now_values[f"band:{site_id}"] = str(by_site.at[site_id, "band"])
        else:
            provinces = (
                [rule.watch_value]
                if rule.watch_kind == "province"
                else sorted({p for s in rule.watched_sites(sites) for p in split_list(sites[s]["provinces"])})
            )
            families = set(rule.families)
            for province in provinces:
                threat = view.ctx.threat(province, families, asof, DEFAULTS.ratings)
                now_values[f"threat:{province}"] = str(threat.level) if threat.rated else "no rating"
        for key, value in now_values.items():
            old = seen.get(key)
            if old is None:
                continue
            order = list(BANDS) if rule.kind == "band" else ["no rating", "1", "2", "3", "4", "5"]
            if old not in order or value not in order or not _rise(old, value, order, rule.direction):
                continue
            what, name = key.split(":", 1)
            alert_key = f"{key}:{stamp}"
            if what == "band":
                site = sites[name]
                details = {
                    "title": f"Risk band of {site['name']} {_moved(old, value, order)}: {old} → {value}",
                    "why": str(by_site.at[name, "reason"]),
                    "site_name": site["name"],
                    "links": links.site_links(name, environ),
                    "date": asof.date().isoformat(),
                }
                site_id, province = name, None
            else:
                details = {
                    "title": f"Threat rating of {name} rose: {old} → {value}",
                    "why": f"The model's threat rating for {name} as of {asof.date():%Y-%m-%d} is {value}; "
                    f"it was {old}.",
                    "province": name,
                    "links": {},
                    "date": asof.date().isoformat(),
                }
                site_id, province = None, name
            details["rule_name"] = rule.name
            changes.append(
                Change(
                    "raised",
                    rule.id,
                    alert_key,
                    rule.kind,
                    details,
                    event_date=details["date"],
                    site_id=site_id,
                    province=province,
                )
            )
            outbox += outbox_for(rule, (rule.id, alert_key), "raised")
        book.remember(rule.id, now_values)
    return book.apply(None, changes, outbox)
