"""Group names in feeds -> actor families, through `actor_aliases.csv`.

Names are compared by their name key (georisk.names): case, punctuation and brackets do not
matter, so "Ansar al-Sharia (Pakistan)" matches the alias "Ansar al-Sharia Pakistan". Exact
aliases are tried first, then the others in file order; an alias with validity dates applies only
to incidents dated within them (Jundallah before and after its 2014 pledge to the Islamic State).

Attribution: reporting often says how sure it is of the perpetrator inside the name itself
("TTP (suspected)", "claimed by Jamaat-ul-Ahrar"). Those words set the row's attribution and are
taken out of the name before it is matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from georisk.names import contains_words, name_key
from georisk.scenario.schema import DateLike


@dataclass(frozen=True)
class Alias:
    key: str
    match: str  # exact | word | contains
    family: str
    valid_from: pd.Timestamp | None
    valid_to: pd.Timestamp | None

    def matches(self, name_key_: str) -> bool:
        if self.match == "exact":
            return name_key_ == self.key
        if self.match == "word":
            return contains_words(name_key_, self.key)
        return bool(self.key) and self.key in name_key_

    @property
    def dated(self) -> bool:
        return self.valid_from is not None or self.valid_to is not None

    def valid(self, dates: pd.Series) -> np.ndarray:
        keep = np.ones(len(dates), dtype=bool)
        if self.valid_from is not None:
            keep &= (dates >= self.valid_from).to_numpy(dtype=bool, na_value=False)
        if self.valid_to is not None:
            keep &= (dates <= self.valid_to).to_numpy(dtype=bool, na_value=False)
        return keep


def _date(value: object) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


class FamilyLookup:
    """Group name (and date) -> actor family, or None when no alias matches."""

    def __init__(self, aliases: pd.DataFrame) -> None:
        rows = [
            Alias(
                name_key(alias),
                match,
                family,
                _date(aliases["valid_from"].iloc[i]) if "valid_from" in aliases else None,
                _date(aliases["valid_to"].iloc[i]) if "valid_to" in aliases else None,
            )
            for i, (alias, match, family) in enumerate(
                zip(aliases["alias"], aliases["match"], aliases["family"], strict=True)
            )
        ]
        # Exact aliases first, each group in file order.
        self.aliases = [a for a in rows if a.match == "exact"] + [a for a in rows if a.match != "exact"]
        self._candidates: dict[str, list[Alias]] = {}

    def candidates(self, name: str) -> list[Alias]:
        """The aliases that match a name, in the order they are tried."""
        key = name_key(name)
        if key not in self._candidates:
            self._candidates[key] = [a for a in self.aliases if a.matches(key)]
        return self._candidates[key]

    def __call__(self, name: str, date: DateLike | None = None) -> str | None:
        for alias in self.candidates(name):
            if not alias.dated or (date is not None and alias.valid(pd.Series([pd.Timestamp(date)]))[0]):
                return alias.family
        return None

    def families(self, names: pd.Series, dates: pd.Series) -> pd.Series:
        """The family of each row (None where no alias matches), vectorised over unique names."""
        result = pd.Series(None, index=names.index, dtype=object)
        dates = pd.to_datetime(dates)
        for name, rows in names.groupby(names, sort=False).groups.items():
            candidates = self.candidates(name)
            if not candidates:
                continue
            if not any(a.dated for a in candidates):
                result[rows] = candidates[0].family
                continue
            todo = pd.Series(True, index=rows)
            for alias in candidates:
                hit = todo & (alias.valid(dates[rows]) if alias.dated else True)
                result[hit[hit].index] = alias.family
                todo &= ~hit
                if not todo.any():
                    break
        return result


def family_lookup(aliases: pd.DataFrame) -> FamilyLookup:
    return FamilyLookup(aliases)


# Words that say how the perpetrator is known, as reporting and feeds write them.
_SUSPECTED = re.compile(
    r"\(?\b(?:suspected|suspect|possibly|possible|allegedly|alleged|believed to be|reportedly|likely)\b\)?",
    re.IGNORECASE,
)
_CLAIMED = re.compile(r"\(?\b(?:claimed by|claimed|claim(?:ed)? of responsibility by)\b\)?", re.IGNORECASE)


def attribution_in_name(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(the names without the attribution words, the attribution they state or NA). Worked out
    once per distinct name: a feed repeats a few thousand names over a million rows."""
    text = names.astype("string")
    found = {name: _attribution_words(name) for name in text.dropna().unique()}
    cleaned = text.map({name: words[0] for name, words in found.items()})
    stated = text.map({name: words[1] for name, words in found.items()})
    return cleaned.astype("string"), stated.astype("string")


def _attribution_words(name: str) -> tuple[str | None, str | None]:
    if _SUSPECTED.search(name):
        stated = "suspected"
    elif _CLAIMED.search(name):
        stated = "claimed"
    else:
        return name, None
    cleaned = _CLAIMED.sub(" ", _SUSPECTED.sub(" ", name))
    cleaned = re.sub(r"\s+", " ", re.sub(r"\(\s*\)", " ", cleaned)).strip()
    return cleaned or None, stated
