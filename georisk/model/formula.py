"""georisk.model.formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from georisk.model.settings import BANDS, ModelSettings
from georisk.scenario.schema import split_list

# The sector an attack's target type belongs to, for the relevance weight.
TARGET_SECTOR = {"energy infrastructure": "energy"}


# ---------------------------------------------------------------------------------------------
# Components


def band_of(likelihood: int, impact: int, cuts: tuple[int, int, int, int]) -> str:
    score = likelihood * impact
    return BANDS[sum(score >= cut for cut in cuts)]


def severity(killed: np.ndarray, wounded: np.ndarray) -> np.ndarray:
    killed = np.nan_to_num(np.asarray(killed, dtype=float))
    wounded = np.nan_to_num(np.asarray(wounded, dtype=float))
    return 1.0 + np.log1p(3.0 * killed + 0.5 * wounded)


def recency(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    return np.power(0.5, np.asarray(age_days, dtype=float) / half_life_days)


def proximity(distance_km: np.ndarray, radius_km: float) -> np.ndarray:
    d = np.asarray(distance_km, dtype=float)
    return np.where(d <= radius_km, 1.0 - d / (2.0 * radius_km), 0.0)


def exposure_level(exposure: float, saturation: float) -> float:
    return 1.0 + 4.0 * (1.0 - math.exp(-exposure / saturation))


def likelihood_of(threat: float | None, exposure_lvl: float, params: ModelSettings) -> float:
    """The weighted mean of threat and exposure level; with no threat rating, the exposure level."""
    if threat is None:
        return exposure_lvl
    total = params.w_threat + params.w_exposure
    return (params.w_threat * threat + params.w_exposure * exposure_lvl) / total


def likelihood_class(likelihood: float) -> int:
    """The matrix row: the likelihood rounded half up, kept in 1..5."""
    return int(min(5, max(1, math.floor(likelihood + 0.5))))


def hostile_families(actors: pd.DataFrame, partner: str) -> set[str]:
    """Families with at least one group that has declared or shown intent against the partner."""
    hostile = actors["hostile_to"].map(lambda v: partner in split_list(v))
    return set(actors.loc[hostile, "family"])
