"""Text from data files is shown as text: never as HTML, a link, an image or a formula."""

from __future__ import annotations

import html
import math
import re
import unicodedata

import pandas as pd

# Every character that Streamlit's Markdown gives a meaning: CommonMark punctuation, `:` for
# emoji and `:color[...]` directives, `$` for LaTeX, `<` `>` for HTML, `~` for strikethrough.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


# Invisible characters that only space or break words: dropped from what is shown.
_SPACING = {"\u200b", "\u2060", "\ufeff", "\u00ad", "\u180e"}
# Zero-width (non-)joiners shape Arabic-script and Indic text (Urdu names need them) and emoji;
# between two characters of such text they stay, anywhere else they only disguise.
_JOINERS = {"\u200c", "\u200d"}


def _marker(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def visible(value: object) -> str:
    """Text as it must be shown: no character may make it read differently from what it holds.
    Direction overrides, embeddings and isolates, control characters and other invisible format
    characters are shown as markers such as ⟨U+202E⟩; zero-width spaces, word joiners, byte-order
    marks and soft hyphens are dropped; joiners stay only inside the scripts that need them."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():  # the common case, at no cost
        return text
    out = []
    for i, char in enumerate(text):
        category = unicodedata.category(char)
        if char in _JOINERS:
            before, after = text[i - 1 : i], text[i + 1 : i + 2]
            if before and after and not before.isascii() and not after.isascii():
                out.append(char)
        elif char in _SPACING:
            continue
        elif category == "Cf" or (category == "Cc" and char not in "\t\n\r"):
            out.append(_marker(char))
        else:
            out.append(char)
    return "".join(out)


def hidden_characters(value: object) -> list[str]:
    """The invisible or direction-changing characters in a text, as U+XXXX codes (for a notice)."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return []
    return sorted(
        {f"U+{ord(c):04X}" for c in text if c not in "\t\n\r" and unicodedata.category(c) in ("Cf", "Cc")}
    )


def escape_markdown(value: object) -> str:
    """A data value made safe to put inside `st.markdown`: every special character escaped,
    line breaks folded, invisible characters made visible (see `visible`), so the reader sees
    what the file holds."""
    if value is None:
        return ""
    text = " ".join(visible(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def plain(value: object) -> str:
    """Data text for a plotly hover card or label: shown as the characters it holds, never as
    markup (plotly renders a few HTML tags in these)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(visible(value))


def count_text(value: object) -> str:
    """A count as a reader should see it: an unknown count says so, never 0 and never <NA>."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):  # None, NaN, pandas' NA
        return "unknown"


# A cell starting with one of these is run as a formula by spreadsheet programs (OWASP "CSV
# injection"); such text cells get a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = (
    "Text cells that began with = + - @ or a tab were prefixed with an apostrophe (') so that a "
    "spreadsheet shows them as text instead of running them; remove the apostrophe to get the original."
)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula. Numbers are left as numbers."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return out


def csv_text(frame: pd.DataFrame) -> str:
    return neutralise(frame).to_csv(index=False, date_format="%Y-%m-%d")
