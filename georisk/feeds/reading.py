"""Reading a feed's bytes into a table of text cells, whatever the format and encoding.

A feed is a file from outside: anything in it may be wrong or hostile. Reading it therefore either
gives a table (with the rows it could not read listed, each with its reason) or raises FeedError
with a reason a person can act on; and its cost is bounded before and while it is read:

  MAX_ROWS, MAX_COLUMNS, MAX_CELLS  the size of the table, whatever the format (a bigger feed is
                                    refused: split it by year or region);
  MAX_CELL_CHARS                    one cell; a row with a longer cell is rejected, not the file;
  MAX_INFLATED, MAX_RATIO           what an Excel file (a zip) inflates to, counted on the bytes
                                    actually inflated, not on what its directory claims;
  MAX_MEMBERS, MAX_SHARED_STRINGS   how many parts and shared strings a workbook may hold (each
                                    costs parsing before the first row is read).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd

from georisk.problems import shorten
from georisk.scenario import decoding

ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"

# The table: large enough for the whole world's ACLED (about 2.5 million rows of 30 columns; GTD's
# is 210,000 rows of 135 columns), small enough that a file cannot make an import unbounded.
MAX_ROWS = 5_000_000
MAX_COLUMNS = 1_000
MAX_CELLS = 150_000_000
# One cell. Below the csv module's own field limit (131,072), so that a field the reader cannot
# take is also one that this limit rejects: the same reason either way.
MAX_CELL_CHARS = 100_000
# An Excel file is a zip: refuse one that inflates beyond this (in total, or per byte of the file).
MAX_INFLATED = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 2_000
MAX_SHARED_STRINGS = 2_000_000
_CHUNK = 1024 * 1024


class FeedError(ValueError):
    """A feed that cannot be imported at all: the message says why, to the person who can fix it."""


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a feed and the encoding used (georisk.scenario.decoding.decode): UTF-8 (with or
    without BOM), else Windows-1252, else Latin-1 (which decodes any byte), unless one is declared;
    a declared encoding that is unknown or does not fit the bytes refuses the file."""
    try:
        decoded = decoding.decode(raw, encoding)
    except LookupError as err:
        raise FeedError(f"{encoding!r} is not an encoding Python knows") from err
    except UnicodeDecodeError as err:
        raise FeedError(
            f"the file is not valid {encoding} (byte {err.start:,} cannot be read): "
            "choose another encoding, or auto"
        ) from err
    return decoded.text, decoded.encoding


def sniff(data: bytes) -> str:
    """What the bytes are, by their content rather than their name: xlsx, xls, parquet or text."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(PARQUET_MAGIC) and data.endswith(PARQUET_MAGIC):
        return "parquet"
    if data.startswith(OLE_MAGIC):
        return "xls"
    if data.startswith(decoding.UTF16_BOMS):
        return "text"  # UTF-16 has a zero byte in every ASCII character
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_table(
    data: bytes, name: str, encoding: str = "auto"
) -> tuple[pd.DataFrame, str, list[tuple[int, str]], list[str]]:
    """(cells as text indexed by file row number with the header as row 1, encoding or format
    used, rows that could not be read as (row number, reason), notes on how the file was read).
    Excel files are read by their first worksheet, with date cells as ISO dates; Parquet files by
    their columns."""
    if not data.strip():
        raise FeedError(f"{name} is empty")
    kind = sniff(data)
    if kind == "xlsx":
        header, records, notes = _xlsx_records(data, name)
        used = "xlsx"
    elif kind == "parquet":
        header, records, notes = _parquet_records(data, name)
        used = "parquet"
    elif kind == "text":
        text, used = decode(data, encoding)
        header, records = _csv_records(text, name)
        notes = []
    else:
        raise FeedError(
            f"{name} is not a CSV, Excel or Parquet file (its content is {kind}), whatever its name says"
        )
    frame, ragged = _table(header, records, name, padded=kind == "xlsx", notes=notes)
    return _without_tag_row(frame, used, ragged, notes)


# -- CSV


def _csv_records(text: str, name: str) -> tuple[tuple[int, list[str]], list]:
    """(the header as (row number, names), every later record as (row number, fields or the reason
    it could not be read)). Rows are the file's records, header = 1, as a spreadsheet numbers them."""
    records = _csv_reader(text)
    first = next(records, None)
    while first is not None and (first[1] == [] or first[1] == [""]):
        first = next(records, None)  # blank lines before the header
    if first is None:
        raise FeedError(f"{name} is empty")
    number, header = first
    if isinstance(header, str):
        raise FeedError(f"{name}: its header row (row {number}) cannot be read: {header}")
    _check_width(len(header), name)
    rest = []
    for record in records:
        if len(rest) >= MAX_ROWS or (len(rest) + 1) * len(header) > MAX_CELLS:
            raise FeedError(_too_big(name, f"more than {len(rest):,} rows of {len(header):,} columns"))
        rest.append(record)
    return (number, header), rest


def _csv_reader(text: str):
    """(record number, fields) for each record of the text, or (record number, reason) for one
    the csv module refuses (a field past its limit): only that record is lost. After such an
    error the reader resumes at the next line, which may still be inside the record's quoted
    field: the lines up to where the quotes close are skipped as part of the bad record."""
    source = iter(io.StringIO(text, newline=""))
    taken: list[str] = []

    def lines():
        for line in source:
            taken.append(line)
            yield line

    reader = csv.reader(lines())
    number = 0
    while True:
        taken.clear()
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            number += 1
            inside_quotes = sum(line.count('"') for line in taken) % 2 == 1
            while inside_quotes:
                line = next(source, None)
                if line is None:
                    break
                inside_quotes ^= line.count('"') % 2 == 1
            too_long = "field larger than field limit" in str(err)
            yield (
                number,
                (
                    f"a cell holds more than {csv.field_size_limit():,} characters; "
                    f"the limit is {MAX_CELL_CHARS:,}"
                    if too_long
                    else f"cannot be read as CSV: {err}"
                ),
            )
            continue
        number += 1
        yield number, record


# -- Excel


def _xlsx_records(data: bytes, name: str):
    """The first worksheet's rows, by their row numbers in the sheet, within the limits."""
    import openpyxl  # only Excel needs it

    members = check_inflation(data, name)
    if not any(m.startswith("xl/worksheets/") for m in members):
        raise FeedError(f"{name} has no worksheet to read (only chart sheets, or none)")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types (KeyError, XML errors ...) for a bad file
        raise FeedError(f"{name} is not a readable Excel workbook: {shorten(err)}") from err
    try:
        if not book.worksheets:
            what = "only chart sheets" if book.chartsheets else "no sheet"
            raise FeedError(f"{name} has no worksheet to read ({what})")
        sheet = book.worksheets[0]
        notes = []
        if len(book.sheetnames) > 1:
            notes.append(
                f"the workbook has {len(book.sheetnames)} sheets: only the first worksheet, "
                f"{shorten(sheet.title)!r}, was read"
            )
        # The sheet's declared dimension can claim 1,048,576 x 16,384 cells: read only the
        # cells present, and count them.
        sheet.reset_dimensions()
        header, records, cells = None, [], 0
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells += len(values)
                if number > MAX_ROWS + 1 or cells > MAX_CELLS:
                    raise FeedError(
                        _too_big(name, f"more than {min(number, MAX_ROWS):,} rows or {MAX_CELLS:,} cells")
                    )
                fields = _trimmed(values)
                if header is None:
                    if fields:
                        _check_width(len(fields), name)
                        header = (number, [_cell_text(v) for v in fields])
                    continue
                records.append((number, [_cell_text(v) for v in fields]))
        except FeedError:
            raise
        except Exception as err:  # a cell openpyxl cannot convert (a date serial past year 9999 ...)
            raise FeedError(
                f"{name}: the worksheet cannot be read past row {len(records) + 1}: {shorten(err)}"
            ) from err
        if header is None:
            raise FeedError(f"{name}: its first worksheet is empty")
        return header, records, notes
    finally:
        book.close()


def _trimmed(values: tuple) -> list:
    """A sheet row without its trailing empty cells (a spreadsheet has no field count)."""
    end = len(values)
    while end and (values[end - 1] is None or values[end - 1] == ""):
        end -= 1
    return list(values[:end])


def check_inflation(data: bytes, name: str) -> list[str]:
    """Refuse a zip (an .xlsx) that is damaged, or that inflates far beyond its size: first by the
    sizes its directory declares, then by inflating each member and counting the bytes actually
    produced (a directory can lie), and by counting the shared strings a workbook would parse.
    Returns the names of its members."""
    limit = min(MAX_INFLATED, MAX_RATIO * max(len(data), 1))

    def too_big(size: int) -> FeedError:
        return FeedError(
            f"{name} would inflate to more than {size / 1e6:,.0f} MB from {len(data) / 1e6:,.1f} MB: refused"
        )

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise FeedError(f"{name} holds {len(members):,} parts; an Excel file has far fewer: refused")
            declared = sum(member.file_size for member in members)
            if declared > limit:
                raise too_big(declared)
            inflated = 0
            for member in members:
                _check_local_header(data, member, name)
                strings = member.filename.lower().endswith("sharedstrings.xml")
                counted, tail = 0, b""
                before = inflated
                with archive.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > limit:
                            raise too_big(inflated)
                        if strings:
                            found, tail = _opening_tags(tail, chunk)
                            counted += found
                            if counted > MAX_SHARED_STRINGS:
                                raise FeedError(
                                    f"{name} holds more than {MAX_SHARED_STRINGS:,} shared strings: refused"
                                )
                if inflated - before != member.file_size:
                    raise FeedError(
                        f"{name} is not a valid Excel (zip) file: its directory says "
                        f"{shorten(member.filename)!r} holds {member.file_size:,} bytes, it holds "
                        f"{inflated - before:,}"
                    )
            return [member.filename for member in members]
    except FeedError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        OSError,
    ) as err:
        # A damaged member, a CRC that does not match, an unknown compression or encryption.
        raise FeedError(f"{name} is not a valid Excel (zip) file: {shorten(err)}") from err


_SHARED_STRING = re.compile(rb"<(?:\w{1,16}:)?si[\s>/]")


def _opening_tags(tail: bytes, chunk: bytes) -> tuple[int, bytes]:
    """Shared-string elements (`<si>`) that end in `chunk` (those wholly in `tail`, the end of
    the previous chunk, were counted then), and the new tail."""
    buffer = tail + chunk
    found = sum(1 for m in _SHARED_STRING.finditer(buffer) if m.end() > len(tail))
    return found, buffer[-24:]


def _check_local_header(data: bytes, member: zipfile.ZipInfo, name: str) -> None:
    """Refuse a member whose own header disagrees with the directory on its sizes (unless it
    defers them to a data descriptor, or is a Zip64 member): a crafted or damaged archive."""
    header = data[member.header_offset : member.header_offset + 30]
    if len(header) < 30 or header[:4] != ZIP_MAGIC:
        raise FeedError(f"{name} is not a valid Excel (zip) file: a member's header is missing")
    flags, _, _, _, crc, compressed, size = struct.unpack("<HHHHIII", header[6:26])
    if flags & 0x08 or 0xFFFFFFFF in (compressed, size):
        return
    if (crc, compressed, size) != (member.CRC, member.compress_size, member.file_size):
        raise FeedError(
            f"{name} is not a valid Excel (zip) file: its directory and the header of "
            f"{shorten(member.filename)!r} disagree on its size"
        )


# -- Parquet


def _parquet_records(data: bytes, name: str):
    """A Parquet file's columns as text, within the limits; nested columns are not read (a note
    says which)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(io.BytesIO(data))
        rows, schema = file.metadata.num_rows, file.schema_arrow
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise FeedError(f"{name} is not a readable Parquet file: {shorten(err)}") from err
    _check_width(len(schema), name)
    if rows > MAX_ROWS or rows * len(schema) > MAX_CELLS:
        raise FeedError(_too_big(name, f"{rows:,} rows of {len(schema):,} columns"))
    flat = [i for i, f in enumerate(schema) if not pa.types.is_nested(f.type)]
    nested = [f"{schema[i].name} ({schema[i].type})" for i in range(len(schema)) if i not in flat]
    notes = (
        [f"columns with nested values were not read: {', '.join(shorten(n) for n in nested)}"]
        if nested
        else []
    )
    try:
        table = file.read()
    except Exception as err:
        raise FeedError(f"{name} is not a readable Parquet file: {shorten(err)}") from err
    header = [str(schema[i].name) for i in flat]
    columns = [_parquet_column(table.column(i), schema[i].name, name) for i in flat]
    records = [(number, list(cells)) for number, cells in enumerate(zip(*columns, strict=True), start=2)]
    if not columns:
        records = []
    return (1, header), records, notes


def _parquet_column(column, column_name: str, name: str) -> list[str]:
    import pyarrow as pa

    try:
        values = column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):  # e.g. a timestamp past year 9999
        try:
            values = column.cast(pa.string()).to_pylist()
        except pa.ArrowException as err:
            raise FeedError(
                f"{name}: its column {shorten(column_name)!r} cannot be read: {shorten(err)}"
            ) from err
    return [_cell_text(v) for v in values]


# -- all formats


def _table(header, records, name: str, padded: bool, notes: list[str]):
    """The data frame of the good records (one text column per header name) and the records that
    were refused as (row number, reason). A record with another number of fields than the header
    is refused (`padded`: a spreadsheet row may be shorter, its missing cells are blank); so is a
    record with a cell past MAX_CELL_CHARS or holding a NUL character."""
    header_row, names = header
    # A blank name gets its position, so that a message can name it.
    names = [n if n.strip() else f"column {i}" for i, n in enumerate(names, start=1)]
    width = len(names)
    good, numbers, ragged = [], [], []
    for number, fields in records:
        if isinstance(fields, str):
            ragged.append((number, fields))
            continue
        if not any(cell.strip() for cell in fields):
            continue  # a blank line
        if len(fields) < width and padded:
            fields = fields + [""] * (width - len(fields))
        if len(fields) != width:
            what = "cells" if padded else "fields"
            ragged.append((number, f"has {len(fields)} {what}, the header (row {header_row}) has {width}"))
            continue
        long = next((i for i, cell in enumerate(fields) if len(cell) > MAX_CELL_CHARS), None)
        if long is not None:
            ragged.append(
                (
                    number,
                    f"its {shorten(names[long])!r} cell holds {len(fields[long]):,} characters; "
                    f"the limit is {MAX_CELL_CHARS:,}",
                )
            )
            continue
        if any("\x00" in cell for cell in fields):
            ragged.append((number, "a cell holds a NUL character: a damaged or binary file?"))
            continue
        good.append(fields)
        numbers.append(number)
    if not good and not ragged:
        notes.append(f"the file holds a header (row {header_row}) and no data rows")
    if records and len(ragged) > len(records) / 2:
        notes.append(
            f"{len(ragged):,} of {len(records):,} rows could not be read as rows of the header's "
            f"{width} columns: is the header row (row {header_row}) right?"
        )
    frame = pd.DataFrame(good, columns=range(width), index=numbers, dtype=object)
    if not good:
        frame = pd.DataFrame(
            {i: pd.Series(dtype=object) for i in range(width)}, index=pd.Index([], dtype=int)
        )
    return _named(frame, names, name, notes), ragged


def _named(frame: pd.DataFrame, names: list[str], name: str, notes: list[str]) -> pd.DataFrame:
    """The frame with its header's names. A name the header repeats is ambiguous: if its columns
    hold the same value in every row it does not matter which is read (one is kept, and a note
    says so); otherwise the file is refused, naming the column, rather than silently reading one
    copy (the curated loader refuses any repeated name; a feed export that repeats an identical
    column is common enough, and harmless, to be read)."""
    keep = []
    for position, column in enumerate(names):
        copies = [i for i, n in enumerate(names) if n == column]
        if copies[0] != position:
            continue
        if len(copies) > 1:
            first = frame[copies[0]]
            differing = [i for i in copies[1:] if not first.equals(frame[i])]
            if differing:
                other = frame[differing[0]]
                row = next((r for r in frame.index if first[r] != other[r]), None)
                raise FeedError(
                    f"{name}: the column {shorten(column)!r} appears {len(copies)} times in the header "
                    f"(columns {', '.join(str(i + 1) for i in copies)}) with different values "
                    f"(first in row {row}): which one is meant? Rename or remove the others"
                )
            notes.append(
                f"the column {shorten(column)!r} appears {len(copies)} times in the header with the same "
                "values: one copy was read"
            )
        keep.append(position)
    frame = frame[keep]
    frame.columns = [names[i] for i in keep]
    return frame


def _check_width(width: int, name: str) -> None:
    if width > MAX_COLUMNS:
        raise FeedError(f"{name} has {width:,} columns; the most a feed may have is {MAX_COLUMNS:,}")


def _too_big(name: str, what: str) -> str:
    return (
        f"{name} is too big to import ({what}); the limits are {MAX_ROWS:,} rows, {MAX_COLUMNS:,} "
        f"columns and {MAX_CELLS:,} cells: split it (by year or region)"
    )


def _cell_text(value) -> str:
    """A cell of an Excel or Parquet file as the text a CSV would hold: dates as ISO dates (with
    the time only when there is one), whole numbers without a decimal point, blanks empty. Dates
    are formatted by Python, not pandas: a year 1 or 9999 must reach the date check, not fail here."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value is pd.NaT:
            return ""
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.date().isoformat() if midnight else value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, bool | int):
        return str(value)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _without_tag_row(frame: pd.DataFrame, used: str, ragged: list[tuple[int, str]], notes: list[str]):
    """Drop a Humanitarian Exchange Language (HXL) tag row: a first row whose every filled cell is
    a tag such as `#date+year` (HDX publishes UCDP and ACLED files with one). It is not data."""
    if len(frame):
        first = frame.iloc[0].astype(str).str.strip()
        filled = first[first != ""]
        if len(filled) and filled.str.startswith("#").all():
            notes.append(
                f"row {frame.index[0]} is an HXL tag row (e.g. {shorten(filled.iloc[0])}), not data: skipped"
            )
            frame = frame.iloc[1:]
    return frame, used, ragged, notes


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


def copy_columns(rows: pd.DataFrame, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Copy feed columns into the rows as they are, {our field: the feed's column} (in place); a
    column the feed lacks gives an empty one (feed_column)."""
    for field, name in columns.items():
        rows[field] = feed_column(frame, name)


def cited(prefix: str, ids: pd.Series, citations: pd.Series, limit: int | None = None) -> pd.Series:
    """Each row's source: the feed and the row's id in it ("GTD 2016...") and, where the feed
    gives one, its citation in brackets (its first `limit` characters)."""
    return prefix + ids + np.where(citations != "", " (" + citations.str[:limit] + ")", "")


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


def empty_rows(index: pd.Index) -> pd.DataFrame:
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
    dates and date-times), as the calendar day; NaT where none fits. Kept at microsecond
    resolution, which holds the years 1 to 9999: a date outside pandas' nanosecond range (1677 to
    2262) is then rejected by the plausible-date check with its reason, not lost in an overflow."""
    text = text.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    for fmt in (*formats, *(f for f in ISO_FORMATS if f not in formats)):
        todo = result.isna() & text.notna()
        if not todo.any():
            break
        zoned = "%z" in fmt or "%Z" in fmt
        try:
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce", utc=zoned)
        except (ValueError, TypeError) as err:
            raise FeedError(f"the date format {fmt!r} cannot be used: {err}") from err
        if zoned:
            parsed = parsed.dt.tz_convert(None)
        result[todo] = parsed.astype("datetime64[us]")
    return result.dt.normalize()
