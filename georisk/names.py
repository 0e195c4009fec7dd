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


def _is_invisible(char: str) -> bool:
    # Category Cf: zero-width spaces and joiners, bidirectional marks and overrides, soft hyphens.
    return unicodedata.category(char) == "Cf"


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The comparison key of a name (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", str(name))
    text = "".join(c for c in text if not _is_invisible(c)).casefold()
    return _SEPARATORS.sub(" ", text).strip()


def contains_words(text_key: str, words_key: str) -> bool:
    """Whether the words of `words_key` appear, as whole words and in order, in `text_key` (both
    keys from name_key)."""
    return bool(words_key) and f" {words_key} " in f" {text_key} "
