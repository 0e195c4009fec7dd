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
notes. A date is required. Without a geo_precision column or constant, points are of unknown
precision and no distance is measured from them: say how exact the feed's points are.
"""

from __future__ import annotations

import tomllib

import pandas as pd

from georisk.feeds.cells import clean_text, vocabulary
from georisk.feeds.core import VOCABULARIES, Context, Report
from georisk.feeds.reading import FeedError, dates, empty_rows, frame_for, read_table

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


def parse_mapping(text: str | None) -> dict:
    if not text:
        raise FeedError("a plain CSV needs a mapping file (--mapping): see examples/mappings/")
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise FeedError(f"the mapping file is not valid TOML: {err}") from err
    unknown = [s for s in mapping if s not in SECTIONS]
    if unknown:
        raise FeedError(
            f"the mapping has unknown section(s) {', '.join(unknown)}; expected {', '.join(SECTIONS)}"
        )
    for section in ("columns", "constants", "values"):
        bad = [f for f in mapping.get(section, {}) if f not in FIELDS]
        if bad:
            raise FeedError(
                f"the mapping's [{section}] names unknown field(s) {', '.join(bad)}; "
                f"fields are {', '.join(FIELDS)}"
            )
    if "date" not in mapping.get("columns", {}):
        raise FeedError("the mapping must name the date column ([columns] date = ...)")
    return mapping


def _first_filled(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    result = clean_text(frame[columns[0]])
    for column in columns[1:]:
        result = result.fillna(clean_text(frame[column]))
    return result


def read(
    data: bytes, name: str, context: Context, mapping_text: str | None = None, encoding: str = "auto"
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
            values[field], word_maps.get(field, {}), VOCABULARIES[field], report, field
        )
    for field in FIELDS:
        if field != "date":  # parsed above
            rows[TARGET.get(field, field)] = values[field]
    rows["confidence"] = rows["confidence"].fillna("reported")
    report.unknown_words = [str(w) for w in file_options.get("unknown_words", ())]
    return frame_for(rows, ragged), report
