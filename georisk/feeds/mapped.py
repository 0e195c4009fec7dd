"""Any other CSV (or Excel sheet), read through a small TOML mapping file that says which column
holds each field, how dates are written, and how the feed's words map onto ours.

    [file]        encoding = "auto" | "utf-8" | "cp1252" | "latin-1" ...;  id_prefix = "XYZ";
                  unknown_words = ["not given", ...] (more words that mean an unknown count);
                  licence = "...", citation = "..." (the feed's terms, shown wherever it is used)
    [columns]     field = "Column name"  or  ["First choice", "Fallback"] (first non-empty wins)
    [formats]     date = ["%d/%m/%Y", ...] (strptime);  date_precision = "day" | "month" | "year"
    [constants]   field = "value for every row" (used where no column gives one; `{id}` in a
                  constant is replaced by the row's id)
    [values.FIELD]  "feed word" = "our word"   (province, attack_type, target_type; any case)

Fields: id, date, latitude, longitude, geo_precision, location, district, province, group,
attribution, attack_type, weapon_type, target_type, killed, wounded, summary, source, confidence,
notes. A date is required. Every key and value is checked before use: a wrong type or shape, an
unknown section or key, a date format Python cannot use, text past MAX_STRING characters or a table
past MAX_ENTRIES entries is a FeedError that names the key. Without a geo_precision column or
constant, points are of unknown precision and no distance is measured from them: say how exact the
feed's points are.
"""

from __future__ import annotations

import codecs
import tomllib

import pandas as pd

from georisk.feeds.cells import clean_text, vocabulary
from georisk.feeds.core import VOCABULARIES, FeedContext, Report
from georisk.feeds.reading import FeedError, dates, empty_rows, frame_for, read_table
from georisk.problems import shorten

FIELDS = (
    "id",
    "date",
    "latitude",
    "longitude",
    "geo_precision",
    "location",
    "district",
    "province",
    "group",
    "attribution",
    "attack_type",
    "weapon_type",
    "target_type",
    "killed",
    "wounded",
    "summary",
    "source",
    "confidence",
    "notes",
)
TARGET = {"latitude": "lat", "longitude": "lon", "id": "incident_id"}
SECTIONS = ("file", "columns", "formats", "constants", "values")
FILE_KEYS = ("encoding", "id_prefix", "unknown_words", "licence", "citation")
FORMAT_KEYS = ("date", "date_precision")
DATE_PRECISIONS = ("day", "month", "year")
# Fields whose feed words [values.FIELD] maps onto ours.
WORD_FIELDS = ("province", "attack_type", "target_type")
# A mapping is a small hand-written file: these bound what parsing and applying it may cost.
MAX_MAPPING_CHARS = 1_000_000
MAX_STRING = 1_000
MAX_ENTRIES = 10_000
# How much of a key or value an error message quotes.
SHOWN_CHARS = 60


def parse_mapping(text: str | None) -> dict:
    """The mapping file, checked: every section, key and value of the right type and shape, or a
    FeedError that names the key (a value of the wrong type would otherwise fail far away, or be
    silently ignored)."""
    if not text:
        raise FeedError("a plain CSV needs a mapping file (--mapping): see examples/mappings/")
    if not isinstance(text, str):
        raise FeedError("the mapping file must be text (TOML)")
    if len(text) > MAX_MAPPING_CHARS:
        raise FeedError(
            f"the mapping file is {len(text):,} characters long; a mapping is at most {MAX_MAPPING_CHARS:,}"
        )
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise FeedError(f"the mapping file is not valid TOML: {err}") from err
    except RecursionError as err:
        raise FeedError("the mapping file is not valid TOML: its values are nested too deeply") from err
    unknown = [s for s in mapping if s not in SECTIONS]
    if unknown:
        raise FeedError(
            f"the mapping has unknown section(s) {_names(unknown)}; expected {', '.join(SECTIONS)}"
        )
    for section in SECTIONS:
        _table(mapping.get(section, {}), f"[{section}]")
    _check_keys(mapping.get("file", {}), FILE_KEYS, "[file]", "keys")
    for section in ("columns", "constants", "values"):
        _check_keys(mapping.get(section, {}), FIELDS, f"[{section}]", "field(s)")
    _check_keys(mapping.get("formats", {}), FORMAT_KEYS, "[formats]", "keys")

    file_options = mapping.get("file", {})
    for key in ("encoding", "id_prefix", "licence", "citation"):
        if key in file_options:
            _text(file_options[key], f"[file] {key}")
    if "encoding" in file_options and file_options["encoding"] != "auto":
        try:
            codecs.lookup(file_options["encoding"])
        except LookupError as err:
            shown = shorten(file_options["encoding"], SHOWN_CHARS)
            raise FeedError(f"the mapping's [file] encoding {shown!r} is not one Python knows") from err
    if "unknown_words" in file_options:
        _texts(file_options["unknown_words"], "[file] unknown_words")
    for field, columns in mapping.get("columns", {}).items():
        _texts(columns, f"[columns] {field}", one_allowed=True, what="a column name")
    if "date" not in mapping.get("columns", {}):
        raise FeedError("the mapping must name the date column ([columns] date = ...)")
    formats = mapping.get("formats", {})
    if "date" in formats:
        for fmt in _texts(formats["date"], "[formats] date", one_allowed=True, what="a date format"):
            _date_format(fmt)
    if "date_precision" in formats and formats["date_precision"] not in DATE_PRECISIONS:
        raise FeedError(
            f"the mapping's [formats] date_precision must be one of {', '.join(DATE_PRECISIONS)}, "
            f"not {_shown(formats['date_precision'])}"
        )
    for field, value in mapping.get("constants", {}).items():
        _text(value, f"[constants] {field}")
    for field, words in mapping.get("values", {}).items():
        if field not in WORD_FIELDS:
            raise FeedError(
                f"the mapping's [values.{field}] is not used: words are mapped for {', '.join(WORD_FIELDS)}"
            )
        _table(words, f"[values.{field}]")
        for word, ours in words.items():
            _text(word, f"[values.{field}] key")
            _text(ours, f"[values.{field}] {shorten(word, SHOWN_CHARS)}")
    return mapping


def _names(keys: list[str]) -> str:
    listed = ", ".join(shorten(k, SHOWN_CHARS) for k in list(keys)[:10])
    return listed + (f" and {len(keys) - 10:,} more" if len(keys) > 10 else "")


def _shown(value: object) -> str:
    """A value in a message: its type, and the value itself when it is short."""
    kind = {
        dict: "a table",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }
    text = repr(value)
    return f"{kind.get(type(value), type(value).__name__)} ({shorten(text, SHOWN_CHARS)})"


def _table(value: object, key: str) -> None:
    if not isinstance(value, dict):
        raise FeedError(f"the mapping's {key} must be a table of keys and values, not {_shown(value)}")
    if len(value) > MAX_ENTRIES:
        raise FeedError(f"the mapping's {key} has {len(value):,} entries; the limit is {MAX_ENTRIES:,}")


def _check_keys(table: dict, known: tuple[str, ...], key: str, what: str) -> None:
    unknown = [k for k in table if k not in known]
    if unknown:
        raise FeedError(
            f"the mapping's {key} names unknown {what} {_names(unknown)}; they are {', '.join(known)}"
        )


def _text(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise FeedError(f"the mapping's {key} must be text (in quotes), not {_shown(value)}")
    if len(value) > MAX_STRING:
        raise FeedError(f"the mapping's {key} is {len(value):,} characters long; the limit is {MAX_STRING:,}")
    return value


def _texts(value: object, key: str, one_allowed: bool = False, what: str = "text") -> list[str]:
    """A list of texts (or, where `one_allowed`, a single text), each checked."""
    if one_allowed and isinstance(value, str):
        return [_text(value, key)]
    if not isinstance(value, list) or (one_allowed and not value):
        shape = f"{what} or a list of them" if one_allowed else f"a list of {what}"
        raise FeedError(f"the mapping's {key} must be {shape}, not {_shown(value)}")
    if len(value) > MAX_ENTRIES:
        raise FeedError(f"the mapping's {key} has {len(value):,} entries; the limit is {MAX_ENTRIES:,}")
    return [_text(item, f"{key} (item {i})") for i, item in enumerate(value, start=1)]


def _date_format(fmt: str) -> None:
    """Refuse a date format that the parser cannot use (an unknown % directive ...)."""
    try:
        pd.to_datetime(pd.Series(["2016-01-02"]), format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)
    except (ValueError, TypeError) as err:
        raise FeedError(
            f"the mapping's [formats] date {shorten(fmt, SHOWN_CHARS)!r} is not a date format: {err}"
        ) from err


def _first_filled(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    result = clean_text(frame[columns[0]])
    for column in columns[1:]:
        result = result.fillna(clean_text(frame[column]))
    return result


def read(
    data: bytes, name: str, context: FeedContext, mapping_text: str | None = None, encoding: str = "auto"
) -> tuple[pd.DataFrame, Report]:
    mapping = parse_mapping(mapping_text)
    file_options = mapping.get("file", {})
    declared = file_options.get("encoding", "auto")
    frame, used, ragged, notes = read_table(data, name, encoding if encoding != "auto" else declared)
    columns = {f: ([c] if isinstance(c, str) else list(c)) for f, c in mapping.get("columns", {}).items()}
    missing = sorted({c for cs in columns.values() for c in cs if c not in frame.columns})
    if missing:
        raise FeedError(f"{name} lacks the column(s) the mapping names: {', '.join(missing)}")
    constants = mapping.get("constants", {})
    report = Report(
        "csv",
        name,
        used,
        notes=notes,
        licence=str(file_options.get("licence", "not stated in the mapping")),
        citation=str(file_options.get("citation", "")),
    )
    rows = empty_rows(frame.index)
    values = {}
    for field in FIELDS:
        if field in columns:
            values[field] = _first_filled(frame, columns[field])
        else:
            values[field] = pd.Series(constants.get(field), index=frame.index, dtype=object)
        if field in columns and field in constants:
            values[field] = values[field].fillna(constants[field])
    prefix = mapping.get("file", {}).get("id_prefix", "ROW")
    ids = values["id"].fillna(pd.Series(frame.index.astype(str), index=frame.index))
    values["id"] = prefix + "-" + ids.astype(str)
    if "source" in constants and "source" not in columns:
        values["source"] = pd.Series(
            [constants["source"].replace("{id}", i) for i in values["id"]], index=frame.index
        )
    formats = mapping.get("formats", {})
    date_formats = formats.get("date", ["%Y-%m-%d"])
    rows["_date_raw"] = values["date"]
    rows["date"] = dates(
        values["date"], tuple([date_formats] if isinstance(date_formats, str) else date_formats)
    )
    rows["date_precision"] = formats.get("date_precision", "day")
    word_maps = mapping.get("values", {})
    province_map = {k.lower(): v for k, v in word_maps.get("province", {}).items()}
    values["province"] = clean_text(values["province"]).map(
        lambda v: province_map.get(str(v).lower(), v) if v is not pd.NA else v
    )
    for field in ("attack_type", "target_type"):
        values[field] = vocabulary(
            values[field], word_maps.get(field, {}), VOCABULARIES[field], report.other_values, field
        )
    for field in FIELDS:
        if field != "date":  # parsed above
            rows[TARGET.get(field, field)] = values[field]
    rows["confidence"] = rows["confidence"].fillna("reported")
    report.unknown_words = [str(w) for w in file_options.get("unknown_words", ())]
    return frame_for(rows, ragged), report
