"""Refreshing the incidents from the conflict-data services (ACLED, UCDP GED) into the store.

    python -m georisk refresh [--data DIR] [--feed acled --feed ucdp] [--budget SECONDS]

A refresh pulls each configured feed (georisk.services), reads what the service sent exactly as
a file import of the same export is read (the service's rows become its CSV export and go
through the feed's importer and georisk.feeds.core.finish), and merges the batch into the store
by (feed, event id). A feed's refresh is complete or changes nothing: a pull that fails (network,
service, credentials, past its time budget) is recorded as a failed run with its reason, and the
incidents in use stay as they were.

One refresh runs at a time across every process and machine on the store: a refresh that finds
another one running says so and does nothing (the running one brings the same data).

What to pull comes from DATA/refresh.toml (the scenario's own; every key optional):

    [refresh]
    feeds = ["acled", "ucdp"]       # which services to pull
    start = "2017-01-01"            # the first event date wanted (default: 365 days ago)
    stale_after_hours = 48          # past this, a feed's data is marked stale on every page
    [refresh.acled]
    country = "Pakistan"            # default: the scenario's country
    bbox = [60.8, 23.6, 77.9, 37.1] # or a bounding box: west, south, east, north (degrees)
    [refresh.ucdp]
    country_id = 770                # Gleditsch-Ward code (UCDP's `country_id`)
    yearly = "25.1"                 # the yearly release to read
    candidate = "25.0.9"            # the monthly candidate release for the months after it
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from georisk.feeds import context_for, run
from georisk.feeds.reading import FeedError
from georisk.feeds.store import batch_of, refusals, store_for
from georisk.services import acled_api, ucdp_api
from georisk.services.credentials import acled_credentials, acled_url, ucdp_credentials, ucdp_url
from georisk.services.http import Budget, RetryPolicy, ServiceError
from georisk.store.database import Run, StoreBusy, StoreError

CONFIG = "refresh.toml"
FEEDS = ("acled", "ucdp")
DEFAULT_DAYS = 365
DEFAULT_BUDGET = 900.0  # seconds one feed's pull may take, retries and waits included
STALE_ENV = "GEORISK_STALE_AFTER_HOURS"
DEFAULT_STALE_HOURS = 48.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshConfig:
    feeds: tuple[str, ...] = FEEDS
    start: dt.date | None = None
    stale_after_hours: float = DEFAULT_STALE_HOURS
    acled_country: str | None = None
    acled_bbox: tuple[float, float, float, float] | None = None
    ucdp_country_id: int | None = None
    ucdp_yearly: str | None = None
    ucdp_candidate: str | None = None
    problems: tuple[str, ...] = ()

    def window(self, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
        today = today or dt.datetime.now(dt.UTC).date()
        return self.start or today - dt.timedelta(days=DEFAULT_DAYS), today


def read_config(data_dir: Path | str, environ=os.environ) -> RefreshConfig:
    """DATA/refresh.toml as a RefreshConfig; a value of the wrong type is left out and named in
    `problems` (never a crash: the page shows them)."""
    path = Path(data_dir) / CONFIG
    data: dict = {}
    problems: list[str] = []
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8")).get("refresh", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            problems.append(f"{CONFIG} cannot be read ({err}); the defaults are used")
    acled = data.get("acled", {}) if isinstance(data.get("acled"), dict) else {}
    ucdp = data.get("ucdp", {}) if isinstance(data.get("ucdp"), dict) else {}

    def pick(table: dict, key: str, kind, check=lambda v: True, name: str = ""):
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, kind) and not isinstance(value, bool) and check(value):
            return value
        problems.append(f"{CONFIG}: {name or key} = {str(value)[:40]!r} is not valid; left out")
        return None

    feeds = pick(data, "feeds", list, lambda v: all(f in FEEDS for f in v))
    start = pick(data, "start", (dt.date, str), name="start")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            problems.append(f"{CONFIG}: start = {start[:40]!r} is not a date; left out")
            start = None
    stale = pick(data, "stale_after_hours", (int, float), lambda v: v > 0)
    if environ.get(STALE_ENV):
        try:
            stale = float(environ[STALE_ENV])
        except ValueError:
            problems.append(f"{STALE_ENV} is not a number; left out")
    bbox = pick(
        acled,
        "bbox",
        list,
        lambda v: len(v) == 4 and all(isinstance(x, (int, float)) for x in v),
        "acled.bbox",
    )
    return RefreshConfig(
        tuple(feeds) if feeds else FEEDS,
        start,
        float(stale) if stale else DEFAULT_STALE_HOURS,
        pick(acled, "country", str, name="acled.country"),
        tuple(float(x) for x in bbox) if bbox else None,
        pick(ucdp, "country_id", int, name="ucdp.country_id"),
        pick(ucdp, "yearly", str, name="ucdp.yearly"),
        pick(ucdp, "candidate", str, name="ucdp.candidate"),
        tuple(problems),
    )


@dataclass
class Outcome:
    """One feed's refresh: the run the store recorded, or why nothing ran."""

    feed: str
    run: Run | None = None
    skipped: str | None = None  # another refresh was running
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (
            self.run is not None and self.run.outcome in ("committed", "unchanged")
        )

    def line(self) -> str:
        if self.skipped:
            return f"{self.feed}: skipped, {self.skipped}"
        run = self.run
        if run is None:
            return f"{self.feed}: nothing ran"
        if run.outcome in ("failed", "refused"):
            return f"{self.feed}: {run.outcome}, nothing changed: {run.reason}"
        return f"{self.feed}: {run.outcome} ({run.summary}) in {run.seconds:.1f} s, version {run.id}"


def refresh(
    data_dir: Path | str,
    feeds: tuple[str, ...] | None = None,
    budget: float = DEFAULT_BUDGET,
    actor: str = "",
    progress: Callable[[str], None] | None = None,
    environ=os.environ,
    policy: RetryPolicy | None = None,
) -> list[Outcome]:
    """Refresh each feed in turn (see the module's docstring); one Outcome per feed. `policy`
    sets the clients' timeouts and back-off (the tests shorten them)."""
    say = progress or (lambda message: log.info("%s", message))
    config = read_config(data_dir, environ)
    for problem in config.problems:
        say(problem)
    store = store_for(data_dir)
    outcomes = []
    try:
        with store.locked("refresh", wait=0, name="refresh"):
            context = context_for(Path(data_dir))
            for feed in feeds or config.feeds:
                outcomes.append(
                    _refresh_feed(store, feed, config, context, budget, actor, say, environ, policy)
                )
    except StoreBusy as busy:
        return [
            Outcome(feed, skipped=f"another refresh is running ({busy})") for feed in feeds or config.feeds
        ]
    return outcomes


def _refresh_feed(store, feed, config, context, budget, actor, say, environ, policy) -> Outcome:
    started = time.time()
    first, last = config.window()
    label = feed
    try:
        if feed == "acled":
            where = (
                f"bbox {config.acled_bbox}"
                if config.acled_bbox
                else (config.acled_country or context.country)
            )
            label = f"ACLED API, {where}, {first} to {last}"
            how = "incremental" if store.cursor("acled") else "first run"
            say(f"ACLED: pulling {where} from {first} ({how})")
            pull = acled_api.pull_acled(
                acled_credentials(environ),
                acled_url(environ),
                None if config.acled_bbox else (config.acled_country or context.country),
                config.acled_bbox,
                first,
                last,
                store.cursor("acled"),
                Budget(budget),
                progress=say,
                policy=policy,
            )
            withdrawn = [f"ACLED-{event}" for event in pull.withdrawn]
        elif feed == "ucdp":
            if config.ucdp_country_id is None:
                raise ServiceError(
                    f"{CONFIG} gives no [refresh.ucdp] country_id (UCDP's Gleditsch-Ward code)"
                )
            label = f"UCDP GED API, country {config.ucdp_country_id}, {first} to {last}"
            say(f"UCDP: pulling country {config.ucdp_country_id} from {first}")
            pull = ucdp_api.pull_ucdp(
                ucdp_credentials(environ),
                ucdp_url(environ),
                config.ucdp_country_id,
                first,
                last,
                config.ucdp_yearly,
                config.ucdp_candidate,
                Budget(budget),
                progress=say,
                policy=policy,
            )
            withdrawn = []
            label += " (" + ", ".join(c[0] for c in pull.covers) + ")" if pull.covers else ""
        else:
            raise ServiceError(f"no service for the feed {feed!r}: the feeds are {', '.join(FEEDS)}")
        say(f"{feed}: {len(pull.rows):,} events received in {pull.requests} requests; reading them")
        incidents, report = run(feed, pull.csv_bytes(), label, context)
    except (ServiceError, FeedError) as err:
        run_ = store.record_failure("refresh", feed, label, str(err), started, actor)
        return Outcome(feed, run_)
    # A refresh that brings no row is normal (nothing new); one that rejects too many is not.
    reasons = [r for r in refusals(report) if not r.startswith("it keeps no row")] if pull.rows else []
    if reasons:
        run_ = store.record_failure(
            "refresh",
            feed,
            label,
            "refused: " + "; ".join(reasons),
            started,
            actor,
            len(pull.rows),
            outcome="refused",
            report=report.to_dict(),
        )
        return Outcome(feed, run_)
    report.notes += pull.notes
    batch = batch_of(
        incidents,
        report,
        kind="refresh",
        withdrawn=withdrawn,
        covers=[(name, a.isoformat(), b.isoformat()) for name, a, b in pull.covers],
        cursor=pull.cursor,
        actor=actor,
        started=started,
        fetched=len(pull.rows),
    )
    batch.label = label
    try:
        run_ = store.commit(batch)
    except StoreBusy as busy:  # another change held the store too long: nothing ran, nothing recorded
        return Outcome(feed, lines=[str(busy)])
    except StoreError:  # the store refused the batch and recorded the failure: show that run
        return Outcome(feed, store.runs(limit=1, feed=feed)[0])
    say(f"{feed}: {run_.outcome} ({run_.summary})")
    return Outcome(feed, run_)
