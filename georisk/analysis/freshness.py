"""How fresh the incidents in use are: one stamp per source ("ACLED: updated 3 h ago, events to
28 Nov 2026"), whether it is stale, and whether its last update after the good one failed.

The stale age is an argument: it comes from the data folder's refresh configuration, which the
feeds own, and this level knows nothing of feeds. The curated incidents.csv is reviewed by hand
and has no update schedule, so it is never stale: its stamp only says how far its events reach.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from georisk.scenario.dataset import FEED_NAMES, Dataset
from georisk.store.database import Freshness

CURATED = "curated incidents.csv"


def age_words(hours: float) -> str:
    """An age in words: "just now", "12 min", "3 h", "2 days". Up to two days it counts hours,
    because a limit of 24 or 48 h is what the reader compares it with."""
    minutes = hours * 60
    if minutes < 1:  # also a clock a little ahead of the store's
        return "just now"
    if minutes < 60:
        return f"{int(minutes)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} days"


def ago(hours: float) -> str:
    words = age_words(hours)
    return words if words == "just now" else f"{words} ago"


def date_words(value: object) -> str:
    """An event date as "28 Nov 2026" (any ISO date or timestamp)."""
    day = pd.Timestamp(value)
    return f"{day.day} {day:%b %Y}"


def hours_words(hours: float) -> str:
    return f"{hours:g} h"


@dataclass(frozen=True)
class Stamp:
    """One source's freshness, as every page, briefing and export states it."""

    source: str  # what a reader calls it: "ACLED", "curated incidents.csv"
    feed: str | None  # the store's feed key; None for the curated file
    updated: str | None  # ISO time of the last good update (None: the curated file)
    age_hours: float | None
    last_event: str | None  # ISO date of the latest event
    stale: bool
    stale_after_hours: float | None  # the limit it was judged by (None: not judged)
    failure: str | None = None  # "last refresh failed 20 min ago: <reason>"
    last_failure: str | None = None
    failure_reason: str | None = None

    @property
    def text(self) -> str:
        """The stamp itself, without its judgements."""
        events = f"events to {date_words(self.last_event)}" if self.last_event else "no events"
        if self.feed is None:
            return f"{self.source}: {events}"
        return f"{self.source}: updated {ago(self.age_hours or 0.0)}, {events}"

    def line(self) -> str:
        """The stamp with its judgements, in words, for places without icons (files, briefings)."""
        parts = [self.text]
        if self.stale:
            parts[0] += f" (stale: limit {hours_words(self.stale_after_hours or 0)})"
        if self.failure:
            parts.append(self.failure)
        return "; ".join(parts)

    def as_dict(self) -> dict:
        """The stamp as an export's metadata holds it."""
        return {
            "source": self.source,
            "feed": self.feed,
            "updated": self.updated,
            "age_hours": None if self.age_hours is None else round(self.age_hours, 2),
            "last_event": self.last_event,
            "stale": self.stale,
            "stale_after_hours": self.stale_after_hours,
            "last_failure": self.last_failure,
            "failure_reason": self.failure_reason,
            "text": self.line(),
        }


def feed_stamp(fresh: Freshness, stale_after_hours: float | None, at: dt.datetime | None = None) -> Stamp:
    """A store feed's stamp. Without a stale age (the configuration could not be read) nothing is
    judged stale rather than everything."""
    at = at or dt.datetime.now(dt.UTC)
    age = fresh.age_hours(at)
    failure = None
    if fresh.last_failure:
        failed = (at - dt.datetime.fromisoformat(fresh.last_failure)).total_seconds() / 3600
        failure = f"last refresh failed {ago(failed)}: {fresh.failure_reason or 'no reason recorded'}"
    return Stamp(
        source=FEED_NAMES.get(fresh.feed, fresh.feed),
        feed=fresh.feed,
        updated=fresh.updated,
        age_hours=age,
        last_event=fresh.last_event,
        stale=stale_after_hours is not None and age > stale_after_hours,
        stale_after_hours=stale_after_hours,
        failure=failure,
        last_failure=fresh.last_failure,
        failure_reason=fresh.failure_reason,
    )


def curated_stamp(last_event: object) -> Stamp:
    """The curated file's stamp: how far its events reach, never stale."""
    known = last_event is not None and not pd.isna(last_event)
    return Stamp(
        source=CURATED,
        feed=None,
        updated=None,
        age_hours=None,
        last_event=pd.Timestamp(last_event).date().isoformat() if known else None,
        stale=False,
        stale_after_hours=None,
    )


def stamps(
    freshness: list[Freshness],
    stale_after_hours: float | None,
    curated_last_event: object = None,
    curated: bool = False,
    feeds_in_use: set[str] | None = None,
    at: dt.datetime | None = None,
) -> list[Stamp]:
    """The stamps of the incidents in use: the curated file's alone when it is in use (the store's
    feeds are then not what the pages show), else one per store feed, limited to `feeds_in_use`
    when the version in use names them."""
    if curated:
        return [curated_stamp(curated_last_event)]
    chosen = [f for f in freshness if not feeds_in_use or f.feed in feeds_in_use]
    return [feed_stamp(f, stale_after_hours, at) for f in chosen]


def dataset_stamps(
    dataset: Dataset, stale_after_hours: float | None, at: dt.datetime | None = None
) -> list[Stamp]:
    """The stamps of a dataset's incidents in use (its freshness is read live from the store)."""
    source = dataset.incident_source
    if source.curated:
        incidents = dataset.incidents
        last = incidents["date"].max() if len(incidents) else None
        return stamps([], stale_after_hours, last, curated=True)
    feeds = set(dataset.stored.credit) if dataset.stored is not None else None
    return stamps(dataset.freshness, stale_after_hours, feeds_in_use=feeds, at=at)


def stale_sentence(found: list[Stamp]) -> str | None:
    """The Overview's warning when the risk rests on stale data (None when nothing is stale):
    "The risk rests on stale data: ACLED last updated 3 days ago (limit 48 h)."."""
    stale = [s for s in found if s.stale]
    if not stale:
        return None
    limits = {s.stale_after_hours for s in stale}
    each = [
        f"{s.source} last updated {ago(s.age_hours or 0.0)}"
        + ("" if len(limits) == 1 else f" (limit {hours_words(s.stale_after_hours or 0)})")
        for s in stale
    ]
    joined = each[0] if len(each) == 1 else ", ".join(each[:-1]) + " and " + each[-1]
    tail = f" (limit {hours_words(limits.pop() or 0)})" if len(limits) == 1 else ""
    return f"The risk rests on stale data: {joined}{tail}."
