"""Read the curated files of a data folder, validate them against their schema, keep the good rows.

A file with broken rows loads its good rows; each rejected row becomes a `Problem` saying which
row, which column and why. A missing or unreadable file becomes a file-level problem and an empty
table with the declared columns, so that every page can still draw.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from georisk.names import clean
from georisk.problems import ERROR, WARNING, Problem
from georisk.scenario.decoding import decode
from georisk.scenario.schema import TABLES, DateWindow, TableSpec, date_window, window_label
from georisk.text import hidden_characters, visible

CRS = "EPSG:4326"
MAX_PASSES = 4

# Limits on what one file may make the loader do (data/README.md, "Limits"). A file beyond them
# is reported like any other problem; the other files load.
MAX_CELL_CHARS = 20_000  # the longest curated cell is about 1,300 characters
MAX_JSON_DEPTH = 64  # a GeoJSON MultiPolygon inside a FeatureCollection is 8 levels deep
MAX_GEOJSON_BYTES = 64 * 1024 * 1024
# Vertices: a feature over its budget is simplified; one too large to simplify cheaply, or still
# over budget at the coarsest tolerance, is refused; features beyond the file's budget are refused.
MAX_FEATURE_VERTICES = 10_000
MAX_FILE_VERTICES = 100_000
MAX_SIMPLIFY_VERTICES = 100_000
SIMPLIFY_TOLERANCES_DEG = (0.0001, 0.001, 0.01)  # about 11 m, 110 m and 1.1 km


@dataclass
class Table:
    """One loaded table: its good rows (index = source row number) and what was wrong."""

    spec: TableSpec
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    # The file the rows came from (an imported Parquet file stands in for its CSV).
    file: str = ""
    # The rows left out, as read: their ids tell a reference to a rejected row from a typo.
    dropped: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.file = self.file or self.spec.filename


def read_text(path: Path) -> tuple[str, list[Problem]]:
    """The file's text: UTF-8 (with or without byte-order mark), else Windows-1252 with a warning."""
    decoded = decode(path.read_bytes(), fallbacks=("cp1252",), errors="replace")
    if decoded.not_utf8_at is None:
        return decoded.text, []
    warning = Problem(
        path.name,
        None,
        None,
        f"not valid UTF-8 (byte {decoded.not_utf8_at}); read as Windows-1252, check accented text",
        severity=WARNING,
    )
    return decoded.text, [warning]


# --- JSON -----------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text, measured without parsing it: Python's
    parser (and shapely, and json.dumps) recurse once per level and fail on deep input."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)).encode("ascii")
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def load_json(text: str) -> object:
    """Parse JSON whose nesting is bounded; ValueError says in words why a text cannot be read."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels: not a file this loader reads")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err}") from err


# --- CSV ------------------------------------------------------------------------------------------


class Record(NamedTuple):
    """One CSV record: its cells, or why it cannot be used and in which cell."""

    cells: list[str]
    problem: str | None = None
    column: int | None = None  # the position of the cell the problem is in


# One CSV field as the csv module reads it (quoted, then anything up to the next delimiter), used
# only to find the cells of a record the csv module refused.
_FIELD = re.compile(r'"([^"]*(?:""[^"]*)*)"([^,\r\n]*)|([^,\r\n]*)')
_TOO_LONG = f"cell longer than {MAX_CELL_CHARS:,} characters"
_UNCLOSED = (
    "a quote opened in this cell is not closed on its line, so the next lines were read into it; "
    "this row is left out and those lines are read as rows of their own: check the quotes"
)


def csv_records(text: str) -> Iterator[Record]:
    """The records of a CSV text (the first is the header), each usable or saying why not.

    A record with a cell over MAX_CELL_CHARS is refused, not the file; so is a record that an
    unclosed quote runs into the lines after it (they are read again as rows of their own)."""
    lines = io.StringIO(text, newline="").readlines()
    width = None
    start = 0  # the line a fresh reader starts from
    while start < len(lines):
        base = first = start  # `first`: the first line of the next record
        reader = csv.reader(lines[i] for i in range(base, len(lines)))
        start = len(lines)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error:  # a cell beyond the csv module's own limit
                record, start = _oversized_record(lines, first)
                yield record
                break
            end = base + reader.line_num  # the line after this record
            width = len(cells) if width is None else width
            if end - first > 1 and (column := _swallowed_rows(cells, width)) is not None:
                yield Record(cells, _UNCLOSED, column)
                start = first + 1
                break
            if cells and max(map(len, cells)) > MAX_CELL_CHARS:
                column = next(i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS)
                yield Record([c if len(c) <= MAX_CELL_CHARS else "" for c in cells], _TOO_LONG, column)
            else:
                yield Record(cells)
            first = end


def _swallowed_rows(cells: list[str], width: int) -> int | None:
    """The cell an unclosed quote ran on from (a record over several lines): the first cell with
    a line break when the record has the wrong number of cells, or a cell whose lines look like
    further rows (as many delimiters as a row has); None for a record whose line breaks are its
    own."""
    broken = [index for index, cell in enumerate(cells) if "\n" in cell or "\r" in cell]
    if broken and len(cells) != width:
        return broken[0]
    delimiters = max(width - 1, 2)
    for index in broken:
        if any(line.count(",") >= delimiters for line in cells[index].splitlines()[1:]):
            return index
    return None


def _oversized_record(lines: list[str], first: int) -> tuple[Record, int]:
    """The record at line `first`, which the csv module refused: which cell is too long, and the
    line after the record. Without a long cell, the record is refused alone."""
    text = "".join(lines[first:])
    pos, cells, column = 0, [], None
    while True:
        match = _FIELD.match(text, pos)
        quoted, after, plain = match.groups()
        cell = plain if quoted is None else quoted.replace('""', '"') + after
        if len(cell) > MAX_CELL_CHARS:
            column = len(cells) if column is None else column
            cell = ""  # the long cell is dropped; the others (the id) are kept as read
        cells.append(cell)
        pos = match.end()
        if not text.startswith(",", pos):
            break
        pos += 1
    if column is None:
        return Record([], "cannot be split into cells: check the quotes"), first + 1
    end, read = first, 0
    while end < len(lines) and read <= pos:
        read += len(lines[end])
        end += 1
    return Record(cells, _TOO_LONG, column), end


def _sniff_delimiter(header_line: str) -> str | None:
    counts = {d: header_line.count(d) for d in (";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 and header_line.count(",") == 0 else None


def read_csv_records(path: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse a CSV into text cells, indexed by spreadsheet row number (header = row 1).

    Rows with the wrong number of fields are reported and skipped; unknown columns are
    reported and dropped; a missing required column makes the whole file unusable.
    """
    text, problems = read_text(path)
    name = path.name
    records = list(csv_records(text))
    if not records or not any(cell.strip() for cell in records[0].cells):
        reason = records[0].problem if records else None
        reason = f"the header row cannot be read: {reason}" if reason else "the file is empty: no header row"
        problems.append(Problem(name, None, None, reason))
        return None, problems
    # Column names are matched against the schema: cleaned like any matched value.
    header = [clean(cell) for cell in records[0].cells]
    missing = [c for c in spec.required_columns if c not in header]
    if missing:
        reason = f"missing required column(s): {', '.join(missing)}"
        delimiter = _sniff_delimiter(",".join(records[0].cells))
        if delimiter:
            reason += f"; the file seems to use {delimiter!r} as delimiter, expected ','"
        problems.append(Problem(name, None, None, reason))
        return None, problems
    if len(set(header)) != len(header):
        dupes = sorted({c for c in header if header.count(c) > 1})
        problems.append(Problem(name, None, None, f"repeated column name(s): {', '.join(dupes)}"))
        return None, problems
    for column in header:
        if column not in spec.columns:
            problems.append(Problem(name, None, column, "unknown column, ignored", severity=WARNING))
    rows, numbers, ragged = [], [], {}
    for number, (record, reason, column) in enumerate(records[1:], start=2):
        if reason:
            if record:  # the cells as read, the long one emptied: its id may be referred to
                ragged[number] = (record + [""] * len(header))[: len(header)]
            where = header[column] if column is not None and column < len(header) else None
            problems.append(Problem(name, number, where, reason))
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank lines carry nothing to lose
        if len(record) != len(header):
            ragged[number] = (record + [""] * len(header))[: len(header)]
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    f"has {len(record)} fields, the header has {len(header)}",
                    ",".join(record)[:MAX_CELL_CHARS],
                )
            )
            continue
        rows.append(record)
        numbers.append(number)
    if len(records) == 1:
        problems.append(Problem(name, None, None, "the file has a header but no rows", severity=WARNING))
    frame = _to_columns(
        pd.DataFrame(rows, columns=header, index=pd.Index(numbers, name="row"), dtype=object), spec
    )
    # Ragged rows are left out, but their cells are kept as read (their ids may be referred to).
    frame.attrs["ragged"] = _to_columns(
        pd.DataFrame(
            list(ragged.values()), columns=header, index=pd.Index(list(ragged), name="row"), dtype=object
        ),
        spec,
    )
    return frame, problems


def _to_columns(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    frame = frame[[c for c in frame.columns if c in spec.columns]]
    for column in spec.columns:
        if column not in frame.columns:
            frame[column] = None
    return _blank_to_missing(frame[spec.columns])


def _blank_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(lambda v: None if v is None or (isinstance(v, str) and not v.strip()) else v)


def _explain(check: str) -> str:
    """Say pandera's built-in check names in words a data editor understands."""
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        if "Int64" in check:
            return "not a whole number"
        if "float" in check:
            return "not a number"
        return f"wrong type ({check})"
    if check == "not_nullable":
        return "required value is empty"
    if check == "field_uniqueness":
        return "duplicate id: an earlier row has the same value"
    return check


# A cell that names.clean would change: anything outside printable ASCII, or spaces that are
# not single and inside. Only those cells are cleaned (an imported feed may hold a million rows).
_NEEDS_CLEANING = r"[^\x20-\x7e]|^ | $|  "


def clean_columns(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The frame with every matched column (ids, vocabularies, references) cleaned for matching:
    "energy\u200b" is stored as "energy". Free text (spec.prose_columns) is left as written."""
    copied = False
    for column in spec.matched_columns:
        if column not in frame:
            continue
        cells = frame[column]
        try:
            dirty = cells.str.contains(_NEEDS_CLEANING, na=False)
        except AttributeError:
            continue  # not text (numbers or dates from a Parquet file): nothing to clean
        if dirty.any():
            if not copied:  # the caller's frame stays as it was
                frame, copied = frame.copy(), True
            cleaned = cells[dirty].map(clean)
            frame[column] = cells.where(~dirty, cleaned.where(cleaned != "", None))
    return frame


def show_hidden(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Free text as it will be shown: a direction override or an invisible character would make a
    title or a name read differently from what the file holds, on every page, table and export.
    Each such cell is kept with those characters made visible or dropped (text.visible), and a
    warning names its row, column and the characters."""
    problems: list[Problem] = []
    copied = False
    for column in [c for c in frame.columns if c in spec.columns and c not in spec.matched_columns]:
        cells = frame[column]
        try:
            # Only text beyond printable ASCII can hide anything: look closer at those cells alone.
            suspect = cells.str.contains(r"[^\x20-\x7e]", na=False)
        except AttributeError:
            continue  # not text
        if not suspect.any():
            continue
        hidden = pd.Series(False, index=cells.index)
        hidden[suspect] = [visible(v) != v for v in cells[suspect]]
        if not hidden.any():
            continue
        if not copied:
            frame, copied = frame.copy(), True
        for row in cells.index[hidden]:
            codes = ", ".join(hidden_characters(cells[row]))
            problems.append(
                Problem(
                    file,
                    int(row),
                    column,
                    f"invisible or direction-changing characters ({codes}) shown as markers or removed",
                    severity=WARNING,
                )
            )
        frame[column] = cells.where(~hidden, cells[hidden].map(visible))
    return frame, problems


def outside_windows(
    frame: pd.DataFrame, spec: TableSpec, file: str, windows: Mapping[str, DateWindow] | None = None
) -> list[Problem]:
    """A problem for each row whose date (or year) lies outside its column's plausible window.
    Dates are compared in their ISO text, so that no date, however far, is ever made a Timestamp;
    text that is not an ISO date is left to the schema's check."""
    problems = []
    for column in spec.window_columns:
        if column not in frame:
            continue
        window = date_window(spec.name, column, windows)
        label = window_label(spec, column)
        if column in spec.year_columns:
            years = pd.to_numeric(frame[column], errors="coerce")
            early, late = years < window.start.year, years > window.end.year
            shown = years.map(lambda y: f"year {y:g}")
        else:
            cells = frame[column].astype(str)
            iso = cells.str.fullmatch(r"\d{4}-\d{2}-\d{2}") & frame[column].notna()
            early = iso & (cells < window.start.isoformat())
            late = iso & (cells > window.end.isoformat())
            shown = cells
        for row in frame.index[early.to_numpy(dtype=bool) | late.to_numpy(dtype=bool)]:
            side = "before" if early[row] else "after"
            reason = f"{shown[row]} is {side} the plausible window for {label} ({window})"
            problems.append(Problem(file, int(row), column, reason, str(frame.at[row, column])))
    return problems


def validate_rows(
    frame: pd.DataFrame, spec: TableSpec, file: str, windows: Mapping[str, DateWindow] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate against the table's schema, rejecting each row that fails and saying why.

    Matched columns are cleaned first (clean_columns), and dates outside their plausible window
    (`windows`: a scenario's, see schema.date_window) are rejected. pandera reports a failed type
    conversion and then cannot run the column's other checks, so this runs again on the
    remaining rows until they pass.
    """
    frame = clean_columns(frame, spec)
    frame, problems = show_hidden(frame, spec, file)
    outside = outside_windows(frame, spec, file, windows)
    problems += outside
    frame = frame.drop(index=sorted({p.row for p in outside}))
    key = [c for c in spec.key if c in frame.columns]
    for _ in range(MAX_PASSES):
        # The first of two rows with the same id is kept; only the later ones are rejected.
        if key:
            dupes = frame[key[0]].notna() & frame.duplicated(subset=key, keep="first")
            for row in frame.index[dupes]:
                problems.append(
                    Problem(file, int(row), key[0], _explain("field_uniqueness"), str(frame.at[row, key[0]]))
                )
            frame = frame[~dupes]
        try:
            return spec.schema.validate(frame, lazy=True), problems
        except pa.errors.SchemaErrors as err:
            cases = err.failure_cases
        row_cases = cases[cases["index"].notna()]
        if row_cases.empty:
            for _, case in cases.iterrows():
                problems.append(Problem(file, None, case["column"], _explain(str(case["check"]))))
            return frame.iloc[0:0], problems
        seen: set[tuple[int, str | None]] = set()
        for _, case in row_cases.iterrows():
            row, check = int(case["index"]), str(case["check"])
            column = None if pd.isna(case["column"]) else str(case["column"])
            value = case["failure_case"]
            if case["schema_context"] == "DataFrameSchema":
                # A check across columns is reported once per column; its message names the
                # column it blames first (see schema.py), so report it once, there.
                column, value = check.split()[0], None
            if (row, column) in seen:
                continue  # pandera reports a failed conversion twice
            seen.add((row, column))
            missing = value is None or (not isinstance(value, str) and pd.isna(value))
            problems.append(Problem(file, row, column, _explain(check), None if missing else str(value)))
        frame = frame.drop(index=sorted({row for row, _ in seen}))
    return frame.iloc[0:0], problems


def _parse_dates(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    for column in spec.date_columns:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


def empty_frame(spec: TableSpec) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in spec.columns})
    frame.index.name = "row"
    frame = spec.schema.validate(frame)
    return _parse_dates(frame, spec)


def _read_file(
    path: Path,
    spec: TableSpec,
    read: Callable[[Path, TableSpec], tuple[pd.DataFrame | None, list[Problem]]],
    errors: tuple[type[Exception], ...],
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """`read(path, spec)`: the file's rows (None: none usable) and problems; a missing file, or one
    that fails with one of `errors`, gives None and a problem saying why."""
    if not path.is_file():
        return None, [Problem(path.name, None, None, f"file not found in {path.parent}")]
    try:
        return read(path, spec)
    except errors as err:
        return None, [Problem(path.name, None, None, f"unreadable: {err}")]


def load_csv_table(path: Path, spec: TableSpec, windows: Mapping[str, DateWindow] | None = None) -> Table:
    frame, problems = _read_file(path, spec, read_csv_records, (OSError, csv.Error))
    if frame is None:
        return Table(spec, empty_frame(spec), problems)
    ragged = frame.attrs.pop("ragged")  # a frame in attrs would break every later concat
    raw = pd.concat([frame, ragged]) if len(ragged) else frame
    frame, row_problems = validate_rows(frame, spec, path.name, windows)
    return Table(spec, _parse_dates(frame, spec), problems + row_problems, dropped=_dropped(raw, frame))


def _geometry_problem(geometry: shapely.Geometry) -> str | None:
    if geometry.is_empty:
        return "empty geometry"
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(b) for b in geometry.bounds):
        return "coordinates are not finite numbers"
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return "coordinates are not longitude/latitude degrees (projected CRS?); expected WGS84"
    if not geometry.is_valid:
        return f"invalid geometry: {explain_validity(geometry)}"
    return None


def count_vertices(geometry: object) -> int:
    """The positions in a GeoJSON geometry, counted in the parsed JSON: cheap, and before any
    shapely object is built (a list of positions counts by its length)."""
    count, stack = 0, [geometry]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += [item.get("coordinates"), item.get("geometries")]
        elif isinstance(item, list) and item:
            head = item[0]
            if isinstance(head, list) and head and not isinstance(head[0], (list, dict)):
                count += len(item)  # a list of positions
            elif isinstance(head, (list, dict)):
                stack += item  # rings, parts or geometries
            else:
                count += 1  # one position
    return count


def _simplified(geometry: shapely.Geometry) -> tuple[shapely.Geometry, float] | None:
    """The geometry simplified, with the finest tolerance that brings it within the feature
    budget; None if even the coarsest does not (or it is made of points)."""
    for tolerance in SIMPLIFY_TOLERANCES_DEG:
        # Lines may cross themselves: only areas need their topology kept (and it costs more).
        areal = geometry.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection")
        simple = geometry.simplify(tolerance, preserve_topology=areal)
        small = shapely.get_num_coordinates(simple) <= MAX_FEATURE_VERTICES
        if small and _geometry_problem(simple) is None:
            return simple, tolerance
    return None


def read_geometry(raw: object) -> tuple[shapely.Geometry | None, list[tuple[str, str]]]:
    """A feature's geometry within the vertex budget, and what was said about it: (reason,
    severity) pairs. No geometry comes back when it is unreadable, invalid or over budget."""
    if not isinstance(raw, dict):
        return None, [("unreadable geometry: not a GeoJSON geometry object", ERROR)]
    vertices = count_vertices(raw)
    if vertices > MAX_SIMPLIFY_VERTICES:
        reason = (
            f"{vertices:,} vertices: more than {MAX_SIMPLIFY_VERTICES:,}, too many to simplify while "
            f"loading (the budget is {MAX_FEATURE_VERTICES:,} per feature); simplify it before loading"
        )
        return None, [(reason, ERROR)]
    try:
        geometry = shape(raw)
        reason = _geometry_problem(geometry)
    except Exception as err:  # shapely raises several types for malformed input
        reason = f"unreadable geometry: {err}"
    if reason:
        return None, [(reason, ERROR)]
    vertices = shapely.get_num_coordinates(geometry)
    if vertices <= MAX_FEATURE_VERTICES:
        return geometry, []
    simplified = _simplified(geometry)
    if simplified is None:
        coarsest = SIMPLIFY_TOLERANCES_DEG[-1]
        reason = (
            f"{vertices:,} vertices, over the budget of {MAX_FEATURE_VERTICES:,} per feature even when "
            f"simplified with a tolerance of {coarsest:g}°; simplify it before loading"
        )
        return None, [(reason, ERROR)]
    simple, tolerance = simplified
    reason = (
        f"simplified from {vertices:,} to {shapely.get_num_coordinates(simple):,} vertices (tolerance "
        f"{tolerance:g}°, about {tolerance * 111_000:,.0f} m): over the budget of "
        f"{MAX_FEATURE_VERTICES:,} per feature"
    )
    return simple, [(reason, WARNING)]


def read_geojson_features(path: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Feature properties as text cells plus a `geometry` column, indexed by feature number."""
    name = path.name
    size = path.stat().st_size
    if size > MAX_GEOJSON_BYTES:
        limit = MAX_GEOJSON_BYTES // (1024 * 1024)
        reason = (
            f"larger than {limit} MB ({size / 1024 / 1024:,.0f} MB): simplify its geometry before loading"
        )
        return None, [Problem(name, None, None, reason)]
    text, problems = read_text(path)
    try:
        document = load_json(text)
    except ValueError as err:
        problems.append(Problem(name, None, None, str(err)))
        return None, problems
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        problems.append(Problem(name, None, None, "not a GeoJSON FeatureCollection"))
        return None, problems
    features = document.get("features")
    if not isinstance(features, list):
        problems.append(Problem(name, None, None, "the FeatureCollection has no 'features' list"))
        return None, problems
    crs = document.get("crs")
    if crs and "4326" not in json.dumps(crs) and "CRS84" not in json.dumps(crs):
        problems.append(Problem(name, None, None, f"declares a CRS other than WGS84: {json.dumps(crs)}"))
        return None, problems
    records, geometries, numbers = [], [], []
    unknown: set[str] = set()
    vertices = 0  # kept so far, against the file's budget
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(name, number, None, "not a GeoJSON Feature"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            problems.append(Problem(name, number, "properties", "the properties are not a JSON object"))
            continue
        unknown.update(k for k in properties if k not in spec.columns)
        # A feature with a bad geometry keeps its properties, with no geometry: the loader
        # leaves it out but knows its id, so that references to it are told apart from typos.
        geometry = None
        raw = feature.get("geometry")
        if not raw:
            problems.append(Problem(name, number, "geometry", "feature without geometry"))
        else:
            geometry, said = read_geometry(raw)
            for reason, severity in said:
                problems.append(Problem(name, number, "geometry", reason, severity=severity))
        if geometry is not None:
            count = shapely.get_num_coordinates(geometry)
            if vertices + count > MAX_FILE_VERTICES:
                reason = (
                    f"left out: its {count:,} vertices would take the file over its budget of "
                    f"{MAX_FILE_VERTICES:,} vertices ({vertices:,} used by the features before it)"
                )
                problems.append(Problem(name, number, "geometry", reason))
                geometry = None
            else:
                vertices += count
        records.append({c: _cell(properties.get(c)) for c in spec.columns})
        geometries.append(geometry)
        numbers.append(number)
    for column in sorted(unknown):
        problems.append(Problem(name, None, column, "unknown property, ignored", severity=WARNING))
    frame = pd.DataFrame.from_records(records, columns=spec.columns, index=pd.Index(numbers, name="row"))
    frame = _blank_to_missing(frame.astype(object))
    frame["geometry"] = pd.Series(geometries, index=frame.index, dtype=object)
    return frame, problems


def _cell(value: object) -> object:
    """GeoJSON properties may be numbers; the schema converts text, so give it text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def load_geojson_table(path: Path, spec: TableSpec, windows: Mapping[str, DateWindow] | None = None) -> Table:
    frame, problems = _read_file(path, spec, read_geojson_features, (OSError,))
    if frame is None:
        return Table(spec, empty_geoframe(spec), problems)
    geometry = frame.pop("geometry")
    raw = frame
    frame, row_problems = validate_rows(frame[geometry.notna()], spec, path.name, windows)
    frame = _parse_dates(frame, spec)
    gdf = gpd.GeoDataFrame(frame, geometry=geometry.loc[frame.index].tolist(), crs=CRS)
    gdf.index.name = "row"
    return Table(spec, gdf, problems + row_problems, dropped=_dropped(raw, frame))


def empty_geoframe(spec: TableSpec) -> gpd.GeoDataFrame:
    frame = empty_frame(spec)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS, index=frame.index), crs=CRS)


# An imported feed can hold millions of rows. Read and validated whole, several copies of it are
# held at once (Arrow's table and pandas' frame, the rows as read, pandera's coerced copy, the
# parsed dates): 3 GB at 2.5 million rows. So it is read and validated in batches of
# PARQUET_BATCH rows, and only the kept rows are ever held whole.
PARQUET_BATCH = 250_000


def load_parquet_table(
    path: Path | BinaryIO, spec: TableSpec, windows: Mapping[str, DateWindow] | None = None, name: str = ""
) -> Table:
    """An imported table stored as Parquet (a file, or the store's bytes named `name`): checked
    against the same schema as its CSV form."""
    name = name or Path(path).name
    try:
        parquet = pq.ParquetFile(path)
        columns = set(parquet.schema_arrow.names)
        missing = [c for c in spec.required_columns if c not in columns]
        if missing:
            problem = Problem(name, None, None, f"missing required column(s): {', '.join(missing)}")
            return Table(spec, empty_frame(spec), [problem], file=name)
        # Across batches: the row each problem names, and the ids already seen (first one kept).
        index_column = "source_row" if "source_row" in columns else None
        key = next((c for c in spec.key if c in columns), None)
        whole = parquet.read(columns=[c for c in (index_column, key) if c]).to_pandas()
        problems: list[Problem] = []
        kept, dropped = [], []
        rows = _parquet_rows(whole, index_column)
        repeated = whole[key].notna() & whole[key].duplicated(keep="first") if key else None
        del whole
        start = 0
        for batch in parquet.iter_batches(
            batch_size=PARQUET_BATCH, columns=[c for c in spec.columns if c in columns]
        ):
            frame = batch.to_pandas()
            frame.index = rows[start : start + len(frame)]
            if repeated is not None:
                again = repeated.to_numpy()[start : start + len(frame)]
                for row in frame.index[again]:
                    problems.append(
                        Problem(name, int(row), key, _explain("field_uniqueness"), str(frame.at[row, key]))
                    )
                dropped.append(frame[again])
                frame = frame[~again]
            start += batch.num_rows
            good, found = _validate_parquet_batch(frame, spec, name, windows)
            problems += found
            dropped.append(_dropped(frame, good))
            kept.append(good)
            del frame, good, batch
    except Exception as err:  # pyarrow raises many types for a damaged file
        return Table(
            spec,
            empty_frame(spec),
            [Problem(name, None, None, f"unreadable Parquet: {err}")],
            file=name,
        )
    if not kept:
        return Table(spec, _parse_dates(empty_frame(spec), spec), problems, file=name)
    frame = kept[0] if len(kept) == 1 else pd.concat(kept)
    gone = pd.concat(dropped) if dropped else frame.iloc[0:0]
    gone.attrs = {}
    return Table(spec, frame, problems, file=name, dropped=gone)


def _parquet_rows(whole: pd.DataFrame, index_column: str | None) -> pd.Index:
    """Problems name the row of the feed's file the incident came from, not a row of this file."""
    source_rows = pd.to_numeric(whole[index_column], errors="coerce") if index_column else None
    if source_rows is not None and source_rows.notna().all() and source_rows.is_unique:
        return pd.Index(source_rows.astype(int).to_numpy(), name="row")
    return pd.RangeIndex(2, len(whole) + 2, name="row")


def _validate_parquet_batch(
    frame: pd.DataFrame, spec: TableSpec, file: str, windows: Mapping[str, DateWindow] | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """One batch, in the schema's columns and with the dates in their text form (which the schema
    checks), validated and its dates parsed again."""
    for column in spec.columns:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[spec.columns]
    for column in spec.date_columns:  # dates are stored as dates; the schema checks their text form
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    good, problems = validate_rows(frame, spec, file, windows)
    return _parse_dates(good, spec), problems


def _dropped(raw: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    dropped = raw.loc[raw.index.difference(kept.index)]
    dropped.attrs = {}
    return dropped


def load_table(
    data_dir: Path,
    spec: TableSpec,
    windows: Mapping[str, DateWindow] | None = None,
    stored: tuple[str, BinaryIO] | None = None,
    legacy: bool = True,
) -> Table:
    """One table; `windows` are the scenario's plausible date windows (default: schema's).
    `stored` (name, Parquet bytes): the store's version in use, which takes the place of the
    curated file (and of an imported Parquet file from the old folder store)."""
    path = Path(data_dir) / spec.filename
    if spec.geometry:
        return load_geojson_table(path, spec, windows)
    if stored is not None:
        table = load_parquet_table(stored[1], spec, windows, name=stored[0])
        table.file = stored[0]
        return table
    imported = path.with_suffix(".parquet")
    if legacy and imported.is_file():  # an old folder store's import, where there is no store yet
        return load_parquet_table(imported, spec, windows)
    return load_csv_table(path, spec, windows)


def load_tables(
    data_dir: Path,
    windows: Mapping[str, DateWindow] | None = None,
    stored: Mapping[str, tuple[str, BinaryIO]] | None = None,
    legacy: bool = True,
) -> dict[str, Table]:
    """Every table of the folder, each validated on its own (no cross-file rules yet); `stored`
    gives tables that come from the store instead (by table name); `legacy`: read an old folder
    store's incidents.parquet (only where the folder has no store)."""
    stored = stored or {}
    return {
        spec.name: load_table(Path(data_dir), spec, windows, stored.get(spec.name), legacy) for spec in TABLES
    }
