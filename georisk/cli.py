"""Command line: `python -m georisk validate [DATA_DIR]`, `python -m georisk catalog [DATA_DIR]`,
`python -m georisk brief --asof 2016-12-15 --sector energy --out brief.pdf`,
`python -m georisk import acled|gtd|ucdp|csv FILE [--mapping MAPPING] --out DATA_DIR [--check] [--force]`,
`python -m georisk imports list|show|restore|curated ...` (the kept versions of the incidents),
`python -m georisk refresh [--data DIR] [--feed acled|ucdp ...]` (pull the services into the store),
`python -m georisk status [--data DIR]` (each source's freshness as JSON, for monitoring),
`python -m georisk store upgrade|runs [--data DIR]` (apply the store's migrations; list its runs),
`python -m georisk api token create|revoke|list [NAME] [--data DIR]` (the API's read-only tokens).

Exit status: 0 when the folder is clean (or the import was committed, the refresh succeeded, every
source is fresh), 1 when any problem was found (or the import was refused, a refresh failed: nothing
changed; a source is stale), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from georisk.alerts import commands as alert_commands
from georisk.alerts.evaluate import evaluate_and_send
from georisk.analysis import overview
from georisk.api import commands as api_commands
from georisk.link import link_params, parse_link
from georisk.outputs import briefing, printing
from georisk.scenario import catalogue
from georisk.scenario.catalogue import CATALOG
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset
from georisk.view import View, choices_for

if TYPE_CHECKING:  # the feeds load only for the commands that import
    from georisk.feeds.core import Report

# Command-line option -> URL parameter: the briefing takes the same names as a link.
BRIEF_OPTIONS = {
    "sector": "sector",
    "region": "region",
    "actor": "actor",
    "category": "category",
    "attribution": "attribution",
    "outcome": "outcome",
    "from": "from",
    "to": "to",
    "asof": "asof",
    "since": "since",
    "radius": "radius",
    "halflife": "halflife",
    "w_threat": "w_threat",
    "w_exposure": "w_exposure",
    "cuts": "cuts",
}


def validate(data_dir: Path) -> int:
    if not data_dir.is_dir():
        print(f"error: {data_dir} is not a folder", file=sys.stderr)
        return 2
    dataset = load_dataset(data_dir)
    for problem in dataset.problems:
        print(f"{problem.severity}: {problem}")
    for record in dataset.files_table().itertuples():
        print(f"{record.file}: {record.loaded} rows loaded, {record.rejected} rejected")
    count = len(dataset.problems)
    print(f"{count} problem(s) in {data_dir}" if count else f"{data_dir}: no problems")
    return 1 if count else 0


def brief(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".pdf", ".html"):
        print(f"error: --out must end in .pdf or .html, not {out.name!r}", file=sys.stderr)
        return 2
    if not args.data.is_dir():
        print(f"error: {args.data} is not a folder", file=sys.stderr)
        return 2
    params = {}
    for option, name in BRIEF_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            params[name] = value if isinstance(value, list) else [str(value)]
    dataset = load_dataset(args.data)
    choices = choices_for(dataset)
    link = parse_link(params, choices, set(dataset.sites["site_id"]), set(dataset.indicators["indicator"]))
    if link.notices:
        for notice in link.notices:
            print(f"error: {notice.removeprefix('Ignored ')}", file=sys.stderr)
        return 2
    since = link.since
    summary = overview.summarise(View.of(dataset, link.filters, choices), link.model, since)
    query = "&".join(f"{k}={v}" for k, values in link_params(link, choices).items() for v in values)
    document = briefing.build(
        summary, f"{args.link_base.rstrip('/')}/?{query}" if args.link_base else f"?{query}"
    )
    if out.suffix.lower() == ".html":
        out.write_text(document.html, encoding="utf-8")
        print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")
        return 0
    try:
        _, seconds = printing.pdf(document.html, out)
    except (printing.PdfError, subprocess.TimeoutExpired) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB) in {seconds:.1f} s")
    return 0


def import_feed(args: argparse.Namespace) -> int:
    from georisk import feeds
    from georisk.feeds.reading import FeedError
    from georisk.feeds.store import ImportRefused, StoreError, refusals

    if not args.file.is_file():
        print(f"error: {args.file} is not a file", file=sys.stderr)
        return 2
    try:
        incidents, report, _ = feeds.import_file(
            args.kind, args.file, args.out, args.mapping, args.encoding, commit=False
        )
    except (FeedError, UnicodeDecodeError, LookupError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print_report(report, report.issues_frame())
    if args.check:
        reasons = refusals(report)
        print(
            "checked only (--check): nothing changed"
            + (f"; it would be refused: {'; '.join(reasons)}" if reasons else "")
        )
        print(report.summary())
        return 1 if reasons else 0
    try:
        version = feeds.commit_import(args.out, incidents, report, force=args.force, actor="command line")
    except ImportRefused as refused:
        print(
            f"refused, nothing changed: {refused}. Check the rows listed above, or use --force.",
            file=sys.stderr,
        )
        print(report.summary())
        return 1
    except StoreError as err:  # busy, or a write failed: nothing changed
        print(f"error: {err}", file=sys.stderr)
        return 1
    if version.outcome == "unchanged":
        print(f"nothing new: the store already holds these incidents (run {version.id})")
    else:
        print(f"committed as version {version.id} ({version.summary}); it is in use")
        print("alerts: " + evaluate_and_send(args.out).summary())
    print(report.summary())
    return 0


def print_report(report: Report, listed: pd.DataFrame) -> None:
    """The import report and its listed rows, as the Data page shows them."""
    print(f"{report.file} ({report.kind}, read as {report.encoding})")
    for line in report.lines():
        print(line)
    if report.unknown_actors:
        names = ", ".join(f"{k} ({v})" for k, v in list(report.unknown_actors.items())[:10])
        print(f"most frequent group names not in actor_aliases.csv, imported as 'unknown': {names}")
    for field, values in report.other_values.items():
        print(
            f"{field} words not recognised: " + ", ".join(f"{k} ({v})" for k, v in list(values.items())[:10])
        )
    for row in listed.head(20).itertuples():
        feed_id = f" ({row.feed_id})" if isinstance(row.feed_id, str) else ""
        print(f"row {row.row}{feed_id}: {row.status}: {row.reason}")
    if len(listed) > 20:
        print(
            f"... and {len(listed) - 20:,} more listed rows "
            "(the Data page and the version's rows.csv list them all)"
        )


def imports(args: argparse.Namespace) -> int:
    from georisk.feeds.store import StoreError, report_of, store_for

    try:
        store = store_for(args.data)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.action == "list":
        versions = store.versions()
        if not versions:
            print(f"no versions in the store of {args.data}: the curated incidents.csv is in use")
        for v in versions:
            print(f"{'*' if v.current else ' '} {v.id}  {v.started}  {v.kind}  {v.label}  {v.summary}")
        if versions and not any(v.current for v in versions):
            print("(the curated incidents.csv is in use)")
        return 0
    if args.action == "curated":
        try:
            store.use_curated()
        except StoreError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"the curated incidents.csv is in use in {args.data}; every version is kept")
        return 0
    if not args.version:
        print("error: name a version (python -m georisk imports list shows them)", file=sys.stderr)
        return 2
    try:
        if args.action == "show":
            report, rows = report_of(store, args.version)
            print_report(report, rows)
            print(report.summary())
            print(f"in the store: {store.run(args.version).summary}")
        else:
            run = store.restore(args.version, actor="command line")
            print(
                f"version {args.version} is back in use in {args.data}, as version {run.id} ({run.summary})"
            )
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def refresh_feeds(args: argparse.Namespace) -> int:
    from georisk.feeds.refresh import refresh as pull
    from georisk.feeds.store import StoreError

    try:
        outcomes = pull(
            args.data,
            tuple(args.feed) if args.feed else None,
            budget=args.budget,
            actor="command line",
            progress=lambda line: print(line, flush=True),
        )
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome.line(), file=sys.stdout if outcome.ok else sys.stderr)
    print("alerts: " + evaluate_and_send(args.data).summary())
    return 0 if all(o.ok for o in outcomes) else 1


def status(args: argparse.Namespace) -> int:
    """Each source's freshness as JSON (for a monitoring system); exit 1 when one is stale or
    its last refresh failed."""
    import json

    from georisk.feeds.refresh import read_config
    from georisk.store import location

    document = location.status(args.data, read_config(args.data).stale_after_hours)
    print(json.dumps(document, indent=2))
    return 0 if document["ok"] else 1


def store_command(args: argparse.Namespace) -> int:
    from georisk.feeds.store import StoreError, store_for
    from georisk.store import migrate

    try:
        store = store_for(args.data)  # opening applies the migrations the store lacks
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.action == "upgrade":
        revision = migrate.current(store.engine)
        print(f"{store!r} is at schema revision {revision} (the newest is {migrate.head()})")
        return 0
    for run in store.runs(limit=args.limit):
        mark = "*" if run.current else " "
        print(
            f"{mark} {run.id}  {run.started}  {run.kind:9} {run.feed or '-':6} {run.outcome:9} "
            f"{run.summary}  {run.seconds:.1f} s  {run.label}" + (f"  ({run.reason})" if run.reason else "")
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m georisk", description="Geopolitical risk dashboard tools"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="check a data folder and list every problem")
    check.add_argument("data_dir", nargs="?", type=Path, default=BUNDLED_DATA)
    refresh = commands.add_parser("catalog", help="refresh the measured fields of DATA_DIR/catalog.json")
    refresh.add_argument("data_dir", nargs="?", type=Path, default=BUNDLED_DATA)
    make = commands.add_parser(
        "brief",
        help="make the one-page briefing of a view, as PDF or HTML",
        description="The filters take the same names and values as the dashboard's link.",
    )
    make.add_argument(
        "--data", type=Path, default=BUNDLED_DATA, help="data folder (default: the bundled one)"
    )
    for name in ("sector", "region", "actor", "category", "attribution", "outcome"):
        make.add_argument(f"--{name}", action="append", metavar=name.upper(), help="repeat for several")
    for name in ("from", "to", "asof", "since"):
        make.add_argument(f"--{name}", metavar="YYYY-MM-DD")
    make.add_argument("--radius", metavar="KM")
    make.add_argument("--halflife", metavar="DAYS")
    make.add_argument("--w-threat", dest="w_threat", metavar="WEIGHT")
    make.add_argument("--w-exposure", dest="w_exposure", metavar="WEIGHT")
    make.add_argument("--cuts", metavar="L,M,H,VH")
    make.add_argument(
        "--link-base", default="", help="the dashboard's address, for the link printed on the page"
    )
    make.add_argument("--out", required=True, help="brief.pdf or brief.html")
    feed = commands.add_parser(
        "import", help="import an incident feed (ACLED, GTD, UCDP GED or a mapped CSV)"
    )
    feed.add_argument("kind", choices=("acled", "gtd", "ucdp", "csv"))
    feed.add_argument("file", type=Path)
    feed.add_argument("--mapping", type=Path, help="TOML mapping for a plain CSV (see examples/mappings/)")
    feed.add_argument("--encoding", default="auto", help="the file's encoding if not UTF-8 (default: detect)")
    feed.add_argument("--out", type=Path, required=True, help="the data folder whose store takes the import")
    feed.add_argument("--check", action="store_true", help="only check the feed and print its report")
    feed.add_argument(
        "--force", action="store_true", help="commit even an import that keeps no row or rejects too many"
    )
    versions = commands.add_parser("imports", help="the kept versions of the imported incidents")
    versions.add_argument("action", choices=("list", "show", "restore", "curated"))
    versions.add_argument("version", nargs="?", help="a version id (for show and restore)")
    versions.add_argument(
        "--data", type=Path, default=BUNDLED_DATA, help="data folder (default: the bundled one)"
    )
    pull = commands.add_parser(
        "refresh", help="pull new and changed events from ACLED and UCDP into the store"
    )
    pull.add_argument(
        "--data", type=Path, default=BUNDLED_DATA, help="data folder (default: the bundled one)"
    )
    pull.add_argument("--feed", action="append", choices=("acled", "ucdp"), help="only this feed (repeat)")
    pull.add_argument(
        "--budget", type=float, default=900.0, help="seconds one feed's pull may take, retries included"
    )
    state = commands.add_parser("status", help="each source's freshness as JSON, for monitoring")
    state.add_argument(
        "--data", type=Path, default=BUNDLED_DATA, help="data folder (default: the bundled one)"
    )
    kept = commands.add_parser("store", help="the store: apply its migrations, list its runs")
    kept.add_argument("action", choices=("upgrade", "runs"))
    kept.add_argument(
        "--data", type=Path, default=BUNDLED_DATA, help="data folder (default: the bundled one)"
    )
    kept.add_argument("--limit", type=int, default=50, help="how many runs to list (newest first)")
    alert_commands.add_parser(commands, BUNDLED_DATA)
    api_commands.add_parser(commands, BUNDLED_DATA)
    args = parser.parse_args(argv)
    if args.command == "alerts":
        return alert_commands.run(args)
    if args.command == "api":
        return api_commands.run(args)
    if args.command == "refresh":
        return refresh_feeds(args)
    if args.command == "status":
        return status(args)
    if args.command == "store":
        return store_command(args)
    if args.command == "import":
        return import_feed(args)
    if args.command == "imports":
        return imports(args)
    if args.command == "brief":
        return brief(args)
    if args.command == "validate":
        return validate(args.data_dir)
    if args.command == "catalog":
        if not (args.data_dir / CATALOG).is_file():
            print(f"error: {args.data_dir / CATALOG} not found", file=sys.stderr)
            return 2
        try:
            print(f"updated {catalogue.update(args.data_dir)}")
        except ValueError as err:  # a catalogue that cannot be read: say why, no traceback
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    return 2
