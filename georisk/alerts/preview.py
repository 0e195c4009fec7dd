"""What a rule would have raised: its alerts per month over the incidents in use, so that an
analyst can tune a noisy rule before saving it. The same matching as the evaluation
(georisk.alerts.matching) over every incident instead of one batch's."""

from __future__ import annotations

import pandas as pd

from georisk.alerts import matching
from georisk.alerts.rules import Rule
from georisk.model import context
from georisk.scenario.dataset import Dataset


def per_month(rule: Rule, dataset: Dataset) -> pd.DataFrame:
    """month (first day), alerts: one row per month from the first incident's to the last's, months
    with none included (a quiet month is a result too). Band and threat rules have no preview:
    they depend on each past day's scores, which the store does not keep."""
    ctx = context.shared(dataset)
    if rule.kind != "incident" or len(ctx.dates) == 0:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "alerts": pd.Series(dtype=int)})
    found = matching.matches([rule], ctx, dataset.sites)
    positions = found["position"].to_numpy(dtype=int)
    months = pd.Series(ctx.dates[positions]).dt.to_period("M").dt.to_timestamp()
    first, last = pd.Timestamp(ctx.dates.min()), pd.Timestamp(ctx.dates.max())
    index = pd.period_range(first, last, freq="M").to_timestamp()
    counts = months.value_counts().reindex(index, fill_value=0)
    return pd.DataFrame({"month": index, "alerts": counts.to_numpy(dtype=int)})
