"""The command line of the watch rules and alerts:

python -m georisk alerts evaluate [--data DIR]    evaluate the rules on runs not yet seen
python -m georisk alerts send [--data DIR]        queue due digests and send what is queued
                                                  (run it from a timer every few minutes)
python -m georisk alerts list [--all]             the open alerts (or every alert)
python -m georisk alerts rules                    the rules, with their feed URLs
python -m georisk alerts preview RULE             a rule's alerts per month over the data
python -m georisk alerts ack|close|reopen ID [--note TEXT] [--by NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from georisk.alerts import deliver, evaluate, links, preview, sync
from georisk.alerts.records import OPEN_STATES
from georisk.alerts.rules import rule_from_dict
from georisk.scenario.dataset import load_dataset
from georisk.store.alerts import AlertBook
from georisk.store.location import open_store

ACTS = {"ack": "acknowledged", "close": "closed", "reopen": "reopened"}


def add_parser(commands, default_data: Path) -> None:
    alerts = commands.add_parser("alerts", help="watch rules and alerts: evaluate, send, list, act")
    alerts.add_argument(
        "action", choices=("evaluate", "send", "list", "rules", "preview", *ACTS), help="what to do"
    )
    alerts.add_argument("target", nargs="?", help="the rule (preview) or alert id (ack, close, reopen)")
    alerts.add_argument(
        "--data", type=Path, default=default_data, help="data folder (default: the bundled one)"
    )
    alerts.add_argument("--all", action="store_true", help="list closed and withdrawn alerts too")
    alerts.add_argument("--note", default="", help="the note of an acknowledgement or closure")
    alerts.add_argument("--by", default="command line", help="who acts (recorded with the note)")


def run(args: argparse.Namespace) -> int:
    if args.action == "evaluate":
        outcome = evaluate.catch_up(args.data)
        for message in outcome.messages:
            print(message)
        print(outcome.summary())
        return 0
    store = open_store(args.data, create=False)
    if store is None:
        print("no store yet: alerts start with the first import or refresh", file=sys.stderr)
        return 1
    book = AlertBook(store)
    if args.action == "send":
        queued = deliver.queue_digests(book)
        tried = deliver.send_due(book)
        failed = [d for d in tried if d.state != "sent"]
        print(f"{queued} digest(s) queued; {len(tried)} delivery(ies) tried, {len(failed)} not sent")
        for delivery in failed:
            print(f"  {delivery.channel} {delivery.target}: {delivery.outcome}", file=sys.stderr)
        return 1 if failed else 0
    if args.action == "list":
        for row in book.alerts(states=None if args.all else OPEN_STATES):
            alert = deliver.alert_of(row)
            print(f"{alert.id}\t{alert.state}\t{alert.event_date or ''}\t{alert.rule_id}\t{alert.title}")
        return 0
    if args.action == "rules":
        dataset = load_dataset(args.data, with_store=False)
        for message in sync.sync_file_rules(book, args.data, dataset):
            print(message)
        print(f"all rules: {links.feed_url(book.all_feed_token())}")
        for stored in book.rules():
            rule = rule_from_dict(stored.definition)
            print(f"{rule.id} ({stored.origin}): {rule.words()}  feed: {links.feed_url(stored.feed_token)}")
        return 0
    if args.action == "preview":
        stored = book.rule(args.target or "")
        if stored is None:
            print(f"no rule {args.target!r}", file=sys.stderr)
            return 2
        months = preview.per_month(rule_from_dict(stored.definition), load_dataset(args.data))
        for month, count in zip(months["month"], months["alerts"], strict=True):
            print(f"{month:%Y-%m}\t{count}")
        print(f"total\t{int(months['alerts'].sum())}")
        return 0
    try:
        alert = book.act(int(args.target or 0), ACTS[args.action], args.by, args.note)
    except (KeyError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"alert {alert['id']} is {alert['state']}")
    return 0
