"""The command line of the API tokens (read-only tokens for /api/v1/... and /mcp):

python -m georisk api token create NAME [--data DIR]   make a token; its secret is printed once
python -m georisk api token list [--data DIR]          every token: prefix, name, made, last used
python -m georisk api token revoke NAME|PREFIX [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from georisk.store.database import StoreError
from georisk.store.location import open_store
from georisk.store.tokens import TokenBook, TokenError


def add_parser(commands, default_data: Path) -> None:
    api = commands.add_parser("api", help="the JSON API and MCP server: their read-only tokens")
    what = api.add_subparsers(dest="api_command", required=True)
    token = what.add_parser("token", help="make, list and revoke the API's tokens")
    actions = token.add_subparsers(dest="token_action", required=True)
    create = actions.add_parser("create", help="make a token (its secret is shown once)")
    create.add_argument("name", help="who or what uses it, e.g. grafana")
    revoke = actions.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("name", help="the token's name, or its prefix as `list` shows it")
    listed = actions.add_parser("list", help="every token, in force or revoked")
    listed.add_argument("--active", action="store_true", help="only the tokens in force")
    for parser in (create, revoke, listed):
        parser.add_argument(
            "--data", type=Path, default=default_data, help="data folder (default: the bundled one)"
        )
        parser.add_argument("--by", default="command line", help="who acts (recorded with the token)")


def run(args: argparse.Namespace) -> int:
    try:
        # Only making a token makes the store: listing or revoking in a folder without one is
        # answered without leaving a store behind.
        store = open_store(args.data, create=args.token_action == "create")
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if store is None:
        if args.token_action == "list":
            print(f"no API tokens in {args.data}: the store has not been made yet")
            return 0
        print(f"error: no API tokens in {args.data}: the store has not been made yet", file=sys.stderr)
        return 1
    book = TokenBook(store)
    try:
        if args.token_action == "create":
            secret, info = book.create(args.name, actor=args.by)
            # The secret alone on standard output (TOKEN=$(python -m georisk api token create x)),
            # the words around it on standard error.
            print(f"API token {info.name!r} made ({info.prefix}…, read-only):", file=sys.stderr)
            print(secret, flush=True)
            print(
                "Copy it now: it is not shown again (the store keeps only its hash). Clients send it "
                "as `Authorization: Bearer <token>`.",
                file=sys.stderr,
            )
            return 0
        if args.token_action == "revoke":
            info = book.revoke(args.name, actor=args.by)
            print(f"API token {info.name!r} ({info.prefix}…) revoked at {info.revoked}")
            return 0
        tokens = book.list(include_revoked=not args.active)
        if not tokens:
            print(f"no API tokens in {args.data} (python -m georisk api token create NAME makes one)")
        for info in tokens:
            state = "in force" if info.active else f"revoked {info.revoked}"
            print(
                f"{info.prefix}…\t{info.name}\t{state}\tmade {info.created} by {info.created_by or '-'}"
                f"\tlast used {info.last_used or 'never'}"
            )
        return 0
    except TokenError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
