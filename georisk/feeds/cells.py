"""Reading the cells of a feed: text, numbers, counts of the killed and wounded, vocabulary words.

A count is a fact about an incident, and an unknown count is not a broken row: "Unknown", "N/A",
"-" or an empty cell mean the count is not known and the incident is kept with an empty count. A
range ("5-7") keeps its lower bound, and the row's notes say so. GTD's codes -9 and -99 also mean
unknown. Only text that is none of these ("many") rejects its row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from georisk.names import name_key

# Cells that mean "not known" in a count column (compared by name key; a mapping file can add more).
UNKNOWN_WORDS = ("unknown", "unk", "n/a", "na", "n.a.", "-", "--", "—", "?", "not known", "not reported")
UNKNOWN_CODES = (-9.0, -99.0)
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\s*$")
_AT_LEAST = re.compile(r"^\s*(?:at least|over|more than)?\s*(\d+(?:\.\d+)?)\s*\+?\s*$", re.IGNORECASE)


def clean_text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().replace("", pd.NA)


def numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad): values as floats; bad is True where a cell holds text that is not a number,
    or a number no float holds ("inf", "1e400")."""
    text = clean_text(series)
    values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    bad = text.notna() & values.isna()
    return values.astype(float), bad


def counts(
    series: pd.Series, column: str, unknown_words: tuple[str, ...] = ()
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(values, notes, bad) for a count column: values as floats (NaN = unknown), a note where a
    cell was read with a rule (range, unknown code), and True where a cell cannot be read."""
    values, bad = numbers(series)
    notes = pd.Series(pd.NA, index=series.index, dtype="string")
    text = clean_text(series)
    unknown = {name_key(w) for w in (*UNKNOWN_WORDS, *unknown_words)}
    words = text[bad]
    is_unknown = words.map(lambda v: name_key(v) in unknown or name_key(v) == "").astype(bool)
    values[is_unknown[is_unknown].index] = np.nan
    for row, cell in words[~is_unknown].items():
        ranged = _RANGE.match(cell)
        at_least = _AT_LEAST.match(cell)
        if ranged:
            values[row] = float(ranged[1])
            notes[row] = f"{column} given as the range {cell.strip()}: the lower bound is kept"
        elif at_least:
            values[row] = float(at_least[1])
            notes[row] = f"{column} given as {cell.strip()!r}: the number is kept as a lower bound"
    coded = values.isin(UNKNOWN_CODES)
    notes[coded] = f"{column} coded as unknown (-9 or -99) in the feed"
    values[coded] = np.nan
    still_bad = bad & values.isna() & ~is_unknown.reindex(series.index, fill_value=False)
    return values, notes, still_bad


def vocabulary(
    values: pd.Series,
    mapping: dict[str, str],
    allowed: tuple[str, ...],
    other_values: dict[str, dict[str, int]],
    name: str,
) -> pd.Series:
    """Map a feed's words onto our vocabulary; blanks become 'unknown', unmapped words 'other'
    (and are counted, as other_values[name], in the report's other_values)."""
    text = clean_text(values)
    lowered = {name_key(k): v for k, v in mapping.items()}
    allowed_keys = {name_key(a): a for a in allowed}

    def one(value: str) -> str:
        key = name_key(value)
        if key in lowered:
            return lowered[key]
        return allowed_keys.get(key, "other")

    uniques = text.dropna().unique()
    table = {u: one(u) for u in uniques}
    result = text.astype(object).map(table).astype(object).where(lambda s: s.notna(), "unknown")
    known = {u for u in uniques if name_key(u) in lowered or name_key(u) in allowed_keys}
    others = text[(result == "other") & text.notna() & ~text.isin(list(known))].value_counts()
    if len(others):
        other_values[name] = {str(k): int(v) for k, v in others.items()}
    return result
