"""Cooperation indicators, the composite cooperation index, and cooperation set against threat.

The index, for each year:
  1. each indicator is scaled to 0-1 over the years it has a value (min-max; an indicator with a
     single distinct value scores 1 where it is above zero, else 0);
  2. the index is the weighted mean of the scaled indicators that have a value that year, times 100;
  3. a year whose indicators with values carry less than half of the total weight has no index:
     missing values are never read as zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from georisk.model import context, scoring, settings
from georisk.scenario.schema import INDEX_WEIGHT_RANGE
from georisk.view import View

MIN_COVERAGE = 0.5


def series(indicators: pd.DataFrame) -> pd.DataFrame:
    """Indicator x year values, every year from the first to the last present, NaN where missing."""
    if indicators.empty:
        return pd.DataFrame()
    table = indicators.pivot_table(
        index="year", columns="indicator", values="value", aggfunc="first", dropna=False
    )
    years = range(int(indicators["year"].min()), int(indicators["year"].max()) + 1)
    return table.reindex(years).astype(float)


def labels(indicators: pd.DataFrame) -> dict[str, str]:
    return dict(zip(indicators["indicator"], indicators["label"], strict=True))


def units(indicators: pd.DataFrame) -> dict[str, str]:
    """The unit of each indicator's values, by indicator ."""
    return dict(zip(indicators["indicator"], indicators["unit"], strict=True))


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    low, high = table.min(), table.max()
    spread = high - low
    scaled = (table - low) / spread.where(spread > 0)
    flat = spread.fillna(0) == 0
    scaled.loc[:, flat] = (table.loc[:, flat] > 0).astype(float).where(table.loc[:, flat].notna())
    return scaled


# The range of an index weight: the link parser and the sliders share it.
WEIGHT = settings.Setting("index weight", *INDEX_WEIGHT_RANGE, 0.5)


def default_weights(indicators: pd.DataFrame, configured: dict | None = None) -> dict[str, float]:
    """Every indicator weighs 1 unless the scenario's catalogue says otherwise (its weights are
    checked when it is read: georisk.scenario.catalogue)."""
    configured = configured or {}
    return {name: float(configured.get(name, 1.0)) for name in sorted(indicators["indicator"].unique())}


def index(table: pd.DataFrame, weights: dict[str, float], min_coverage: float = MIN_COVERAGE) -> pd.DataFrame:
    """The composite index by year: year, index (0-100 or NaN), coverage (share of the weight with data)."""
    columns = [c for c in table.columns if weights.get(c, 0) > 0]
    if table.empty or not columns:
        return pd.DataFrame({"year": list(table.index), "index": np.nan, "coverage": 0.0})
    scaled = normalise(table[columns])
    w = pd.Series({c: weights[c] for c in columns})
    present = scaled.notna()
    weight_present = present.mul(w, axis=1).sum(axis=1)
    weighted = scaled.fillna(0).mul(w, axis=1).sum(axis=1)
    coverage = weight_present / w.sum()
    value = 100 * weighted / weight_present.where(weight_present > 0)
    value = value.where(coverage >= min_coverage)
    return pd.DataFrame({"year": scaled.index, "index": value.to_numpy(), "coverage": coverage.to_numpy()})


# ---------------------------------------------------------------------------------------------
# Cooperation against threat


def incidents_near_by_year(
    ctx: context.ModelContext,
    sites: pd.DataFrame,
    radius_km: float,
    years: Iterable[int],
    covered: tuple[int, int],
    mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """Incidents in view within the radius of any of the sites, per year: `counted` (placed
    precisely enough for the radius) and `left_out` (nearby-looking, but too coarse to say);
    NaN outside the years the incident data covers (no data is not zero)."""
    nearby = scoring.near_any_site(ctx, sites, radius_km, mask)
    years = list(years)
    out = pd.DataFrame(index=years)
    for column, near in (("counted", nearby.counted), ("left_out", nearby.left_out)):
        counts = ctx.incidents.loc[near, "date"].dt.year.value_counts()
        out[column] = [float(counts.get(y, 0)) for y in years]
    inside = (out.index >= covered[0]) & (out.index <= covered[1])
    return out.where(pd.Series(inside, index=out.index), axis=0)


def risk_by_year(
    sites: pd.DataFrame,
    ctx: context.ModelContext,
    params: settings.ModelSettings,
    years: Iterable[int],
    covered: tuple[int, int],
    families: tuple[str, ...] = (),
    mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """The portfolio's worst site score (1-25) and band at the end of each covered year."""
    rows = []
    for year in years:
        if not covered[0] <= year <= covered[1]:
            rows.append({"year": year, "score": np.nan, "band": None})
            continue
        end = pd.Timestamp(year=year, month=12, day=31)
        existing = sites[sites["announced_date"] <= end]
        scores, _ = scoring.score_sites(existing, ctx, end, params, families, mask)
        if scores.empty:
            rows.append({"year": year, "score": np.nan, "band": None})
        else:
            rows.append({"year": year, "score": float(scores["score"].max()), "band": scores.iloc[0]["band"]})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ThreatByYear:
    """The threat to the partner's sites in view, by year of the composite index."""

    partner: str | None
    # counted / left_out incidents near the sites, per year (NaN outside `covered`).
    near: pd.DataFrame
    # The portfolio's worst site score and band at each year end.
    risk: pd.DataFrame
    # The first and last year the incident data covers ((0, -1): none).
    covered: tuple[int, int]


def threat_by_year(view: View, model: settings.ModelSettings, years: list[int]) -> ThreatByYear:
    """Incidents near the partner's sites and the portfolio's risk for each of `years`, counted
    over the years the incident data covers ."""
    dataset = view.dataset
    partner = dataset.scenario.get("partner_country")
    sites = view.sites[view.sites["partner_country"] == partner] if partner else view.sites
    incident_years = dataset.incidents["date"].dt.year
    covered = (int(incident_years.min()), int(incident_years.max())) if len(incident_years) else (0, -1)
    ctx, mask = view.ctx, view.trend_mask
    return ThreatByYear(
        partner=partner,
        near=incidents_near_by_year(ctx, sites, model.radius_km, years, covered, mask),
        risk=risk_by_year(sites, ctx, model, years, covered, view.filters.actors, mask),
        covered=covered,
    )
