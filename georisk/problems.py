"""A problem found in a data file, said so that the person who can fix it knows where to look."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# A row-level error rejects the row; a warning keeps it (or concerns the file as a whole
# without losing rows); a file-level error means nothing of that file could be loaded.
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # spreadsheet row number (header = 1) or GeoJSON feature number (1 = first)
    column: str | None
    reason: str
    value: str | None = None
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (value: {shorten(self.value)})"
        return f"{where}: {self.reason}{value}"


def shorten(value: object, limit: int = 80) -> str:
    """A value as text in a message: at most `limit` characters, cut with "…"."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problems as a table, for the data-status panel and for reports."""
    columns = ["severity", "file", "row", "column", "reason", "value"]
    records = [
        {
            "severity": p.severity,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "reason": p.reason,
            "value": None if p.value is None else shorten(p.value),
        }
        for p in problems
    ]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["row"] = frame["row"].astype("Int64")
    return frame
