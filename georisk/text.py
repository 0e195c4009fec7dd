"""Text from data files is shown as text: never as HTML, a link, an image or a formula."""

from __future__ import annotations

import html
import math
import re

# Every character that Streamlit's Markdown gives a meaning: CommonMark punctuation, `:` for
# emoji and `:color[...]` directives, `$` for LaTeX, `<` `>` for HTML, `~` for strikethrough.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def escape_markdown(value: object) -> str:
    """A data value made safe to put inside `st.markdown`: every special character escaped,
    line breaks folded, so the reader sees exactly the characters in the file."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def plain(value: object) -> str:
    """Data text for a plotly hover card or label: shown as the characters it holds, never as
    markup (plotly renders a few HTML tags in these)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def count_text(value: object) -> str:
    """A count as a reader should see it: an unknown count says so, never 0 and never <NA>."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):  # None, NaN, pandas' NA
        return "unknown"
