"""What a page works with: the dataset, the filters in force and the rows they keep.

The same value serves the pages, the exports and the command-line briefing, so that a file made
from the command line holds exactly what the page shows for the same link.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from georisk import filters as flt
from georisk.dataset import Dataset


@dataclass(frozen=True)
class View:
    dataset: Dataset
    filters: flt.Filters
    choices: flt.Choices
    events: pd.DataFrame
    incidents: pd.DataFrame
    sites: pd.DataFrame
    indicators: pd.DataFrame

    @classmethod
    def of(cls, dataset: Dataset, filters: flt.Filters, choices: flt.Choices | None = None) -> View:
        return cls(
            dataset=dataset,
            filters=filters,
            choices=choices or flt.choices_for(dataset),
            events=flt.apply(dataset.events, "events", filters),
            incidents=flt.apply(dataset.incidents, "incidents", filters),
            sites=flt.apply(dataset.sites, "sites", filters),
            indicators=flt.apply(dataset.indicators, "indicators", filters),
        )

    def incidents_any_period(self) -> pd.DataFrame:
        """The incidents in view but for the period filter (still nothing after the as-of date):
        what fixed-window comparisons and trends count."""
        return flt.apply(self.dataset.incidents, "incidents", replace(self.filters, start=None, end=None))
