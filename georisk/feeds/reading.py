"""Reading a feed's bytes into a table of text cells, whatever the format and encoding."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pandas as pd

from georisk.feeds.cells import decode

ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
# An Excel file is a zip: refuse one that would inflate beyond this, before inflating it.
MAX_INFLATED = 512 * 1024 * 1024
MAX_RATIO = 200
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class FeedError(ValueError):
    """A feed that cannot be imported at all: the message says why, to the person who can fix it."""


def sniff(data: bytes) -> str:
    """What the bytes are, by their content rather than their name: xlsx, xls, parquet or text."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(PARQUET_MAGIC) and data.endswith(PARQUET_MAGIC):
        return "parquet"
    if data.startswith(OLE_MAGIC):
        return "xls"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_table(
    data: bytes, name: str, encoding: str = "auto"
) -> tuple[pd.DataFrame, str, list[tuple[int, str]], list[str]]:
    """(cells as text indexed by file row number with the header as row 1, encoding or format
    used, ragged rows as (row number, reason), notes on how the file was read). Excel files are
    read by their first sheet, with date cells as ISO dates; Parquet files by their columns."""
    if not data.strip():
        raise FeedError(f"{name} is empty")
    kind = sniff(data)
    if kind == "xlsx":
        check_inflation(data, name)
        frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        frame = frame.map(_cell_text).astype(object)
        frame.index = frame.index + 2
        return _without_tag_row(frame, "xlsx", [])
    if kind == "parquet":
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as err:  # pyarrow raises several types for a damaged file
            raise FeedError(f"{name} is not a readable Parquet file: {err}") from err
        frame = frame.astype(object).map(_cell_text).astype(object)
        frame.index = frame.index + 2
        return frame, "parquet", [], []
    if kind != "text":
        raise FeedError(
            f"{name} is not a CSV, Excel or Parquet file (its content is {kind}), whatever its name says"
        )
    text, used = decode(data, encoding)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, on_bad_lines="error")
        frame.index = frame.index + 2
        return _without_tag_row(frame, used, [])
    except pd.errors.ParserError:
        pass
    # Some rows have the wrong number of fields: read record by record to name each one.
    records = list(csv.reader(io.StringIO(text, newline="")))
    header, good, numbers, ragged = records[0], [], [], []
    for number, record in enumerate(records[1:], start=2):
        if len(record) == len(header):
            good.append(record)
            numbers.append(number)
        elif any(cell.strip() for cell in record):
            ragged.append((number, f"has {len(record)} fields, the header has {len(header)}"))
    frame = pd.DataFrame(good, columns=header, index=numbers, dtype=object)
    return _without_tag_row(frame, used, ragged)


def _cell_text(value) -> str:
    """A cell of an Excel or Parquet file as the text a CSV would hold: dates as ISO dates (with
    the time only when there is one), whole numbers without a decimal point, blanks empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _without_tag_row(frame: pd.DataFrame, used: str, ragged: list[tuple[int, str]]):
    """Drop a Humanitarian Exchange Language (HXL) tag row: a first row whose every filled cell is
    a tag such as `#date+year` (HDX publishes UCDP and ACLED files with one). It is not data."""
    notes: list[str] = []
    if len(frame):
        first = frame.iloc[0].astype(str).str.strip()
        filled = first[first != ""]
        if len(filled) and filled.str.startswith("#").all():
            notes.append(f"row {frame.index[0]} is an HXL tag row (e.g. {filled.iloc[0]}), not data: skipped")
            frame = frame.iloc[1:]
    return frame, used, ragged, notes


def check_inflation(data: bytes, name: str) -> None:
    """Refuse a zip (an .xlsx) whose members would inflate far beyond its size: read from the
    declared sizes in its directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as err:
        raise FeedError(f"{name} is not a valid Excel (zip) file: {err}") from err
    if inflated > MAX_INFLATED or inflated > MAX_RATIO * max(len(data), 1):
        raise FeedError(
            f"{name} would inflate to {inflated / 1e6:,.0f} MB from {len(data) / 1e6:,.1f} MB: refused"
        )


def require(frame: pd.DataFrame, columns: tuple[str, ...], name: str, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FeedError(f"{name} does not look like {what}: it lacks the column(s) {', '.join(missing)}")


def frame_for(rows: pd.DataFrame, ragged: list[tuple[int, str]]) -> pd.DataFrame:
    """The reader's rows plus one refused row per ragged line, in file order."""
    if not ragged:
        return rows
    extra = pd.DataFrame(
        {
            "_reject": [reason for _, reason in ragged],
            "_reject_column": None,
            "_reject_value": None,
            "_scope": False,
        },
        index=[number for number, _ in ragged],
    )
    return pd.concat([rows, extra]).sort_index()


def refuse(
    rows: pd.DataFrame, mask: pd.Series, column: str, reason: pd.Series | str, value: pd.Series
) -> None:
    """Mark rows that are outside the feed's scope, as its format says (not political violence,
    another country, a war between states): in place; the first reason stays. They are counted
    as rejected, apart from the rows rejected for a defect."""
    mask = mask & rows["_reject"].isna()
    rows.loc[mask, "_reject"] = reason[mask] if isinstance(reason, pd.Series) else reason
    rows.loc[mask, "_reject_column"] = column
    rows.loc[mask, "_reject_value"] = value[mask]
    rows.loc[mask, "_scope"] = True


def feed_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the feed, or an empty one where the feed lacks it (optional codebook fields)."""
    return frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")


def coded(frame: pd.DataFrame, name: str, table: dict[str, str], default: str) -> pd.Series:
    """A codebook column of small integer codes ("2", or "2.0" from a spreadsheet) read through its
    table of meanings; a missing or unknown code takes `default`."""
    codes = feed_column(frame, name).astype("string").str.split(".").str[0]
    return codes.map(table).fillna(default)


def refuse_other_countries(rows: pd.DataFrame, frame: pd.DataFrame, name: str, country: str) -> None:
    """Refuse the rows of another country than the scenario's (a blank country is kept)."""
    if not country or name not in frame.columns:
        return
    given = frame[name].astype("string").str.strip().replace("", pd.NA)
    refuse(rows, given.ne(country).fillna(False), name, "another country than " + country, frame[name])


def empty_rows(index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_reject": pd.Series(None, index=index, dtype=object),
            "_reject_column": pd.Series(None, index=index, dtype=object),
            "_reject_value": pd.Series(None, index=index, dtype=object),
            "_scope": pd.Series(False, index=index, dtype=bool),
        }
    )


# Tried after a feed's own formats: Excel and database exports write dates, or date-times at
# midnight, in ISO form whatever the feed's usual form is.
ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def dates(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Dates parsed with the first format that fits each cell (the feed's formats, then ISO
    dates and date-times), as the calendar day; NaT where none fits."""
    text = text.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in (*formats, *(f for f in ISO_FORMATS if f not in formats)):
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        result[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return result.dt.normalize()
