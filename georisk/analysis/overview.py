"""What the executive overview says: the headline and its trend, key figures, what changed.

Trend words follow ACLED's convention for changes in event counts: a change of 10 % or more is
an increase or decrease, 25 % or more a sharp one; smaller changes are stable. A trend needs
enough events to mean something: with fewer than MIN_INCIDENTS_FOR_TREND incidents in the two
windows together there is no trend word, and a change that chance alone would often give (a
difference no larger than twice the square root of the total, about the 95 % range of the
difference of two Poisson counts of that size) is "no clear change" whatever its percentage.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from georisk.model import context, scoring, settings
from georisk.model import ratings as model_ratings
from georisk.view import View

WINDOW_DAYS = 90
CHANGE_PCT, SHARP_CHANGE_PCT = 10, 25
# Fewer incidents than this in the two windows together is too little to speak of a trend.
MIN_INCIDENTS_FOR_TREND = 20


def within_chance(current: int, previous: int) -> bool:
    """Whether the difference is one chance alone would often give (see the module's docstring)."""
    return abs(current - previous) <= 2 * math.sqrt(current + previous)


def trend_words(current: int, previous: int) -> tuple[str, float | None]:
    """(word, change in %) for a count against the previous window's count."""
    if current + previous < MIN_INCIDENTS_FOR_TREND:
        return "too few incidents to call a trend", None
    if previous == 0:
        return "new activity", None
    change = 100.0 * (current - previous) / previous
    if within_chance(current, previous):
        return ("stable" if abs(change) < CHANGE_PCT else "no clear change"), change
    if change >= SHARP_CHANGE_PCT:
        return "sharp increase", change
    if change >= CHANGE_PCT:
        return "increase", change
    if change <= -SHARP_CHANGE_PCT:
        return "sharp decrease", change
    if change <= -CHANGE_PCT:
        return "decrease", change
    return "stable", change


def window_counts(
    dates: pd.Series, near: np.ndarray, asof: pd.Timestamp, days: int = WINDOW_DAYS
) -> tuple[int, int]:
    """Incidents near sites in the last `days` up to the as-of date, and in the `days` before."""
    start = asof - pd.Timedelta(days=days)
    before = start - pd.Timedelta(days=days)
    current = near & (dates > start).to_numpy() & (dates <= asof).to_numpy()
    previous = near & (dates > before).to_numpy() & (dates <= start).to_numpy()
    return int(current.sum()), int(previous.sum())


def portfolio_band(scores: pd.DataFrame) -> str | None:
    """The portfolio takes the band of its worst site."""
    if scores.empty:
        return None
    return settings.BANDS[int(scores["band_rank"].max())]


def band_movement(now: str | None, before: str | None) -> str:
    if now is None or before is None or now == before:
        return "unchanged"
    return "up" if settings.BANDS.index(now) > settings.BANDS.index(before) else "down"


@dataclass(frozen=True)
class Headline:
    band: str | None
    previous_band: str | None
    movement: str
    worst_site: str | None
    incidents_now: int
    incidents_before: int
    trend: str
    change_pct: float | None

    def change(self) -> str:
        if self.movement == "unchanged":
            return f"Unchanged from {WINDOW_DAYS} days earlier"
        return f"{self.movement.capitalize()} from {self.previous_band} {WINDOW_DAYS} days earlier"

    def sentence(self) -> str:
        if self.band is None:
            return "No site in view: widen the filters to see the portfolio's risk."
        return f"Portfolio risk is {self.band}. {self.change()}. Most exposed: {self.worst_site}."

    def trend_sentence(self) -> str:
        counts = (
            f"{self.incidents_now} incidents near sites in the last {WINDOW_DAYS} days against "
            f"{self.incidents_before} in the {WINDOW_DAYS} before"
        )
        if self.change_pct is None:
            return f"Trend: {self.trend} ({counts})."
        return f"Trend: {self.trend}, {self.change_pct:+.0f} % ({counts})."


def headline(scores: pd.DataFrame, previous_scores: pd.DataFrame, near_now: tuple[int, int]) -> Headline:
    band = portfolio_band(scores)
    previous = portfolio_band(previous_scores)
    trend, change = trend_words(*near_now)
    worst = scores.iloc[0] if not scores.empty else None
    return Headline(
        band=band,
        previous_band=previous,
        movement=band_movement(band, previous),
        worst_site=None if worst is None else worst["name"],
        incidents_now=near_now[0],
        incidents_before=near_now[1],
        trend=trend,
        change_pct=change,
    )


def trend_rule() -> str:
    """The trend rule in words, for the headline box and the methodology."""
    return (
        f"Trend words: a change of {CHANGE_PCT} % or more is an increase or decrease, {SHARP_CHANGE_PCT} % "
        f"or more a sharp one (ACLED's convention), named only with at least {MIN_INCIDENTS_FOR_TREND} "
        "incidents in the two windows together and a difference larger than chance would often give "
        "(twice the square root of the total)."
    )


@dataclass(frozen=True)
class RatingsNotice:
    """What the headline box says when scores rest on missing or carried-forward ratings."""

    unrated: int  # scored sites with no threat rating
    carried: int  # scored sites whose rating is carried forward
    sites: int
    coverage: tuple[pd.Timestamp, pd.Timestamp] | None
    asof: pd.Timestamp
    source: str

    def text(self) -> str | None:
        covered = (
            f"{model_ratings.SOURCE_LABELS[self.source].capitalize()} cover {self.coverage[0].date()} to "
            f"{self.coverage[1].date()}"
            if self.coverage
            else f"There are no {model_ratings.SOURCE_LABELS[self.source]}"
        )
        outside = self.coverage is None or not self.coverage[0] <= self.asof <= self.coverage[1]
        parts = []
        if self.unrated:
            parts.append(
                f"{self.unrated} of {self.sites} site(s) have no threat rating as of {self.asof.date()}: "
                "their likelihood rests on exposure alone, so their band may understate the risk."
            )
            if self.source == "analysts":
                parts.append(
                    "Ratings derived from the incidents can fill the gap (the model's Threat ratings "
                    "setting, ratings= in a link)."
                )
        if self.carried:
            parts.append(
                f"{self.carried} of {self.sites} site(s) use a rating carried forward from an earlier period."
            )
        if not parts and not outside:
            return None
        if outside:
            parts.insert(0, f"The as-of date {self.asof.date()} is outside the threat ratings' coverage.")
        return " ".join(parts) + f" {covered}."


def ratings_notice(
    scores: pd.DataFrame, levels: pd.DataFrame, asof: pd.Timestamp, source: str
) -> RatingsNotice:
    status = scores["threat_status"] if not scores.empty else pd.Series(dtype=object)
    return RatingsNotice(
        unrated=int((status == "none").sum()),
        carried=int((status == "carried").sum()),
        sites=len(scores),
        coverage=model_ratings.coverage(levels),
        asof=asof,
        source=source,
    )


def band_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Sites whose band moved between two scorings (sites present in both)."""
    merged = after[["site_id", "name", "band", "band_rank", "reason"]].merge(
        before[["site_id", "band", "band_rank"]], on="site_id", suffixes=("", "_before")
    )
    moved = merged[merged["band_rank"] != merged["band_rank_before"]].copy()
    moved["change"] = np.where(moved["band_rank"] > moved["band_rank_before"], "up", "down")
    return moved.rename(columns={"band": "band_now"})[["name", "band_before", "band_now", "change", "reason"]]


def since_default(asof: dt.date, first: dt.date) -> dt.date:
    return max(first, asof - dt.timedelta(days=WINDOW_DAYS))


# What the analysts' confidence words mean (our wording of the usual intelligence convention).
CONFIDENCE_LEVELS = {
    "high": "Good information from several sources, read in a way few would dispute; it can still be wrong.",
    "moderate": "Credible information, plausibly read, but not enough of it for high confidence.",
    "low": "Scant, doubtful or fragmentary information, or a chain of inference with weak links.",
}


def estimative_legend(scale: pd.DataFrame) -> pd.DataFrame:
    """The likelihood words with their probability bands, for the legend."""
    bands = [f"{low:g}–{high:g} %" for low, high in zip(scale["min_pct"], scale["max_pct"], strict=True)]
    return pd.DataFrame(
        {"term": scale["term"].to_list(), "probability": bands, "definition": scale["definition"].to_list()}
    )


def confidence_legend() -> pd.DataFrame:
    return pd.DataFrame({"confidence": list(CONFIDENCE_LEVELS), "meaning": list(CONFIDENCE_LEVELS.values())})


@dataclass(frozen=True)
class Summary:
    """Everything the overview and the briefing say about a view, computed once."""

    view: View
    model: settings.ModelSettings
    asof: pd.Timestamp
    ctx: context.ModelContext
    scores: pd.DataFrame
    units: pd.DataFrame
    headline: Headline
    ratings: RatingsNotice
    # Incidents near sites in the trend's current window that were left out for imprecision.
    left_out_now: int
    provinces: list[str]
    top_level: int | None
    top_two: int
    since: dt.date
    moved: pd.DataFrame
    new_incidents: pd.DataFrame
    new_events: pd.DataFrame


def summarise(view: View, model: settings.ModelSettings, since: dt.date | None = None) -> Summary:
    """Score the view's sites and say what the overview says: headline, trend, key figures and
    what changed since `since` (default: one window before the as-of date)."""
    ctx = view.ctx
    filters = view.filters
    asof = pd.Timestamp(filters.asof)
    scores, units = view.scores(model)
    previous, _ = view.scores(model, asof - pd.Timedelta(days=WINDOW_DAYS))
    # The trend compares fixed windows, so it counts every incident in view whatever the period.
    nearby = scoring.near_any_site(ctx, view.sites, model.radius_km, view.trend_mask)
    near = nearby.counted
    dates = ctx.incidents["date"]
    head = headline(scores, previous, window_counts(dates, near, asof))
    levels = ctx.levels(model.ratings)
    provinces, top_level = model_ratings.highest(ctx.province_threats(asof, model.ratings))
    since = since or since_default(filters.asof, view.choices.first_date)
    before, _ = view.scores(model, since)
    after_since = (dates > pd.Timestamp(since)).to_numpy() & (dates <= asof).to_numpy()
    return Summary(
        view=view,
        model=model,
        asof=asof,
        ctx=ctx,
        scores=scores,
        units=units,
        headline=head,
        ratings=ratings_notice(scores, levels, asof, model.ratings),
        left_out_now=window_counts(dates, nearby.left_out, asof)[0],
        provinces=provinces,
        top_level=top_level,
        top_two=int(scores["band"].isin(settings.BANDS[-2:]).sum()) if not scores.empty else 0,
        since=since,
        moved=band_changes(before, scores),
        new_incidents=ctx.incidents[near & after_since],
        new_events=view.events[view.events["date"] > pd.Timestamp(since)],
    )
