"""Names as feeds write them, reduced to a form that compares equal when a reader would say they
are the same name: "Ansar al-Sharia (Pakistan)", "ansar al sharia pakistan" and
"Ansar al‑Sharia Pakistan" (with a non-breaking hyphen) are one key.

The key is the text in Unicode NFKC (so that look-alike compatibility forms become the ordinary
letters), case-folded, with invisible format characters removed and every run of brackets,
punctuation, symbols and spaces turned into one space.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def _is_invisible(char: str) -> bool:
    # Category Cf: zero-width spaces and joiners, bidirectional marks, embeddings, overrides and
    # isolates, the byte-order mark, soft hyphens.
    return unicodedata.category(char) == "Cf"


@lru_cache(maxsize=65536)
def clean(value: str) -> str:
    """A value as it is matched against a vocabulary or an id: Unicode NFKC (full-width and other
    compatibility forms become ordinary letters), invisible format characters removed, runs of
    white space made one space, no space at either end. Case is kept: ids are case-sensitive.

    "energy\u200b", " energy " and "ｅｎｅｒｇｙ" all become "energy"."""
    # Invisible characters go first, so that what they separated can compose under NFKC.
    text = "".join(c for c in str(value) if not _is_invisible(c))
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The comparison key of a name (see the module's docstring)."""
    return _SEPARATORS.sub(" ", clean(name).casefold()).strip()


def contains_words(text_key: str, words_key: str) -> bool:
    """Whether the words of `words_key` appear, as whole words and in order, in `text_key` (both
    keys from name_key)."""
    return bool(words_key) and f" {words_key} " in f" {text_key} "
