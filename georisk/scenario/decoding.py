"""Bytes to text: the one decoder of the curated loader (georisk.scenario.reading) and the feed
importer (georisk.feeds.reading). Each caller says what to fall back to when the bytes are not
UTF-8, and reports it in its own words."""

from __future__ import annotations

import codecs
from typing import NamedTuple

UTF8 = "utf-8-sig"  # UTF-8, with or without a byte-order mark (which it drops)
# Excel's "Unicode text" and some Windows tools write UTF-16 with a byte-order mark; without the
# mark UTF-16 is not told apart from binary, so only marked files are read as UTF-16.
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF16 = "utf-16"
FALLBACKS = ("cp1252", "latin-1")  # Windows-1252, else Latin-1, which decodes any byte


class Decoded(NamedTuple):
    text: str
    encoding: str  # the codec that read the bytes
    not_utf8_at: int | None = None  # where the bytes stopped being UTF-8, when a fallback read them


def decode(
    raw: bytes, encoding: str = "auto", fallbacks: tuple[str, ...] = FALLBACKS, errors: str = "strict"
) -> Decoded:
    """The text of `raw`. A declared `encoding` (not "auto") is the only one tried, strictly: Python's
    LookupError (unknown name) or UnicodeDecodeError (bytes it cannot read) go to the caller. Else
    UTF-16 when the bytes start with its byte-order mark and read as UTF-16, else UTF-8 (with or
    without BOM), else each of `fallbacks` in turn, strictly but for the last, which decodes with
    `errors` ("replace": never fails)."""
    if encoding != "auto":
        return Decoded(raw.decode(encoding), encoding)
    if raw.startswith(UTF16_BOMS):
        try:
            return Decoded(raw.decode(UTF16), UTF16)
        except UnicodeDecodeError:
            pass  # a mark by chance (a cp1252 file starting "ÿþ"): read it as the other files
    try:
        return Decoded(raw.decode(UTF8), UTF8)
    except UnicodeDecodeError as err:
        if not fallbacks:
            raise
        not_utf8_at = err.start
    *first, last = fallbacks
    for candidate in first:
        try:
            return Decoded(raw.decode(candidate), candidate, not_utf8_at)
        except UnicodeDecodeError:
            continue
    return Decoded(raw.decode(last, errors=errors), last, not_utf8_at)
