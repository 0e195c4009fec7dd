"""The rules in use: those made on the Alerts page (kept in the store) and those kept as code in
the scenario folder's alerts.toml, reconciled.

alerts.toml is the source of truth for the rules it names: on every evaluation and every visit of
the Alerts page, the store's copy of each file rule is brought in line with the file, and the page
says what changed ("alerts.toml changed rule x: tiers, cadence"). A file rule cannot be edited on
the page (the next sync would undo it); a page rule whose id the file takes is replaced by the
file's, with a message; a file rule the file no longer has is retired. A rule that no longer fits
the scenario (its site is gone) stays stored but raises nothing, and the page says why.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from georisk.alerts import addresses
from georisk.alerts.rules import (
    RULES_FILE,
    Rule,
    RuleError,
    differences,
    parse_rule,
    read_rules_file,
    rule_from_dict,
    vocabulary_of,
)
from georisk.scenario.dataset import Dataset
from georisk.store.alerts import AlertBook

FILE_ACTOR = RULES_FILE


def webhook_checker(environ: Mapping[str, str] = os.environ):
    """The check a rule's webhook URL gets when the rule is saved."""
    return lambda url: addresses.checked_target(url, environ)


def file_rules(data_dir: Path | str, dataset: Dataset, environ: Mapping[str, str] = os.environ):
    """(rules, problems) of the folder's alerts.toml; ([], []) when there is none."""
    path = Path(data_dir) / RULES_FILE
    if not path.is_file():
        return [], []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return [], [f"{RULES_FILE} cannot be read: {err}"]
    return read_rules_file(text, vocabulary_of(dataset), webhook_checker(environ))


def sync_file_rules(
    book: AlertBook, data_dir: Path | str, dataset: Dataset, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Bring the store's file rules in line with alerts.toml; a message for each change and each
    problem."""
    rules, messages = file_rules(data_dir, dataset, environ)
    stored = {rule.id: rule for rule in book.rules()}
    for rule in rules:
        old = stored.get(rule.id)
        if old is None:
            book.save_rule(rule.to_dict(), "file", FILE_ACTOR)
            messages.append(f"{RULES_FILE} added rule {rule.id!r}.")
            continue
        changed = differences(rule_from_dict(old.definition), rule)
        if old.origin != "file":
            book.save_rule(rule.to_dict(), "file", FILE_ACTOR)
            messages.append(
                f"Rule {rule.id!r} was made on the page, and {RULES_FILE} defines it too: the file's "
                "definition is used from now on."
            )
        elif changed:
            book.save_rule(rule.to_dict(), "file", FILE_ACTOR)
            messages.append(f"{RULES_FILE} changed rule {rule.id!r}: {', '.join(changed)}.")
    named = {rule.id for rule in rules}
    # A file that cannot be read retires nothing: a typo must not silently drop every rule.
    unreadable = bool(messages) and not rules and Path(data_dir, RULES_FILE).is_file()
    for rule_id, old in stored.items():
        if old.origin == "file" and rule_id not in named and not unreadable:
            book.delete_rule(rule_id, FILE_ACTOR)
            messages.append(f"{RULES_FILE} no longer has rule {rule_id!r}: it was retired (its alerts stay).")
    return messages


def active_rules(book: AlertBook, dataset: Dataset) -> list[tuple[Rule, int]]:
    """(rule, the last run before it was made) of every stored rule that is enabled and still
    fits the scenario."""
    vocabulary = vocabulary_of(dataset)
    found = []
    for stored in book.rules():
        try:
            rule = parse_rule({**stored.definition}, vocabulary)
        except RuleError:
            continue
        if rule.enabled:
            found.append((rule, book.since_run(rule.id)))
    return found


def stale_rules(book: AlertBook, dataset: Dataset) -> dict[str, str]:
    """Stored rules that no longer fit the scenario: id -> why (shown on the Alerts page)."""
    vocabulary = vocabulary_of(dataset)
    found = {}
    for stored in book.rules():
        try:
            parse_rule({**stored.definition}, vocabulary)
        except RuleError as err:
            found[stored.id] = str(err)
    return found
