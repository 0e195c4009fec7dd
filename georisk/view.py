"""What a page works with: the dataset, the filters in force and the rows they keep.

The same value serves the pages, the exports and the command-line briefing, so that a file made
from the command line holds exactly what the page shows for the same link.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from georisk import filters as flt
from georisk.dataset import Dataset


@dataclass(frozen=True)
class View:
    dataset: Dataset
    filters: flt.Filters
    choices: flt.Choices
    events: pd.DataFrame
    sites: pd.DataFrame
    indicators: pd.DataFrame
    # Which of the dataset's incidents are in view (positional).
    incident_mask: np.ndarray

    @classmethod
    def of(cls, dataset: Dataset, filters: flt.Filters, choices: flt.Choices | None = None) -> View:
        return cls(
            dataset=dataset,
            filters=filters,
            choices=choices or flt.choices_for(dataset),
            events=flt.apply(dataset.events, "events", filters),
            sites=flt.apply(dataset.sites, "sites", filters),
            indicators=flt.apply(dataset.indicators, "indicators", filters),
            incident_mask=flt.mask(dataset.incidents, "incidents", filters),
        )

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """The incidents in view (made when a page needs the rows, not just their count)."""
        return self.dataset.incidents[self.incident_mask]

    @cached_property
    def incident_count(self) -> int:
        return int(self.incident_mask.sum())

    @cached_property
    def trend_mask(self) -> np.ndarray:
        """Which incidents would be in view without the period filter (still nothing after the
        as-of date): what fixed-window trends count. Made when a page asks for it."""
        return flt.mask(self.dataset.incidents, "incidents", replace(self.filters, start=None, end=None))
