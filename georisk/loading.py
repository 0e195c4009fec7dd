"""Read the curated files of a data folder, validate them against their schema, keep the good rows.

A file with broken rows loads its good rows; each rejected row becomes a `Problem` saying which
row, which column and why. A missing or unreadable file becomes a file-level problem and an empty
table with the declared columns, so that every page can still draw.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pandera.pandas as pa
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from georisk.problems import WARNING, Problem
from georisk.schema import TABLES, TableSpec

CRS = "EPSG:4326"
MAX_PASSES = 4


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
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        warning = Problem(
            path.name,
            None,
            None,
            f"not valid UTF-8 (byte {err.start}); read as Windows-1252, check accented text",
            severity=WARNING,
        )
        return raw.decode("cp1252", errors="replace"), [warning]


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
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or not any(cell.strip() for cell in records[0]):
        problems.append(Problem(name, None, None, "the file is empty: no header row"))
        return None, problems
    header = [cell.strip() for cell in records[0]]
    missing = [c for c in spec.required_columns if c not in header]
    if missing:
        reason = f"missing required column(s): {', '.join(missing)}"
        delimiter = _sniff_delimiter(",".join(records[0]))
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
    for number, record in enumerate(records[1:], start=2):
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
                    ",".join(record),
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


def validate_rows(frame: pd.DataFrame, spec: TableSpec, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate against the table's schema, rejecting each row that fails and saying why.

    pandera reports a failed type conversion and then cannot run the column's other checks,
    so this runs again on the remaining rows until they pass.
    """
    problems: list[Problem] = []
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


def load_csv_table(path: Path, spec: TableSpec) -> Table:
    if not path.is_file():
        problem = Problem(path.name, None, None, f"file not found in {path.parent}")
        return Table(spec, empty_frame(spec), [problem])
    try:
        frame, problems = read_csv_records(path, spec)
    except (OSError, csv.Error) as err:
        return Table(spec, empty_frame(spec), [Problem(path.name, None, None, f"unreadable: {err}")])
    if frame is None:
        return Table(spec, empty_frame(spec), problems)
    ragged = frame.attrs.pop("ragged")  # a frame in attrs would break every later concat
    raw = pd.concat([frame, ragged]) if len(ragged) else frame
    frame, row_problems = validate_rows(frame, spec, path.name)
    return Table(spec, _parse_dates(frame, spec), problems + row_problems, dropped=_dropped(raw, frame))


def _geometry_problem(geometry: shapely.Geometry) -> str | None:
    if geometry.is_empty:
        return "empty geometry"
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return "coordinates are not longitude/latitude degrees (projected CRS?); expected WGS84"
    if not geometry.is_valid:
        return f"invalid geometry: {explain_validity(geometry)}"
    return None


def read_geojson_features(path: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Feature properties as text cells plus a `geometry` column, indexed by feature number."""
    name = path.name
    text, problems = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(Problem(name, None, None, f"not valid JSON: {err}"))
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
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(name, number, None, "not a GeoJSON Feature"))
            continue
        properties = feature.get("properties") or {}
        unknown.update(k for k in properties if k not in spec.columns)
        # A feature with a bad geometry keeps its properties, with no geometry: the loader
        # leaves it out but knows its id, so that references to it are told apart from typos.
        geometry = None
        raw = feature.get("geometry")
        if not raw:
            problems.append(Problem(name, number, "geometry", "feature without geometry"))
        else:
            try:
                geometry = shape(raw)
                reason = _geometry_problem(geometry)
            except Exception as err:  # shapely raises several types for malformed input
                reason = f"unreadable geometry: {err}"
            if reason:
                problems.append(Problem(name, number, "geometry", reason))
                geometry = None
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


def load_geojson_table(path: Path, spec: TableSpec) -> Table:
    if not path.is_file():
        problem = Problem(path.name, None, None, f"file not found in {path.parent}")
        return Table(spec, empty_geoframe(spec), [problem])
    try:
        frame, problems = read_geojson_features(path, spec)
    except OSError as err:
        return Table(spec, empty_geoframe(spec), [Problem(path.name, None, None, f"unreadable: {err}")])
    if frame is None:
        return Table(spec, empty_geoframe(spec), problems)
    geometry = frame.pop("geometry")
    raw = frame
    frame, row_problems = validate_rows(frame[geometry.notna()], spec, path.name)
    frame = _parse_dates(frame, spec)
    gdf = gpd.GeoDataFrame(frame, geometry=geometry.loc[frame.index].tolist(), crs=CRS)
    gdf.index.name = "row"
    return Table(spec, gdf, problems + row_problems, dropped=_dropped(raw, frame))


def empty_geoframe(spec: TableSpec) -> gpd.GeoDataFrame:
    frame = empty_frame(spec)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS, index=frame.index), crs=CRS)


def load_parquet_table(path: Path, spec: TableSpec) -> Table:
    """An imported table stored as Parquet: checked against the same schema as its CSV form."""
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types for a damaged file
        return Table(
            spec,
            empty_frame(spec),
            [Problem(path.name, None, None, f"unreadable Parquet: {err}")],
            file=path.name,
        )
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        problem = Problem(path.name, None, None, f"missing required column(s): {', '.join(missing)}")
        return Table(spec, empty_frame(spec), [problem], file=path.name)
    for column in spec.columns:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[spec.columns]
    for column in spec.date_columns:  # dates are stored as dates; the schema checks their text form
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    # Problems name the row of the feed's file the incident came from, not a row of this file.
    source_rows = pd.to_numeric(frame["source_row"], errors="coerce") if "source_row" in frame else None
    if source_rows is not None and source_rows.notna().all() and source_rows.is_unique:
        frame.index = pd.Index(source_rows.astype(int).to_numpy(), name="row")
    else:
        frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    raw = frame
    frame, problems = validate_rows(frame, spec, path.name)
    return Table(spec, _parse_dates(frame, spec), problems, file=path.name, dropped=_dropped(raw, frame))


def _dropped(raw: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    dropped = raw.loc[raw.index.difference(kept.index)]
    dropped.attrs = {}
    return dropped


def load_table(data_dir: Path, spec: TableSpec) -> Table:
    path = Path(data_dir) / spec.filename
    if spec.geometry:
        return load_geojson_table(path, spec)
    imported = path.with_suffix(".parquet")
    if imported.is_file():  # an imported feed takes the place of the curated file
        return load_parquet_table(imported, spec)
    return load_csv_table(path, spec)


def load_tables(data_dir: Path) -> dict[str, Table]:
    """Every table of the folder, each validated on its own (no cross-file rules yet)."""
    return {spec.name: load_table(Path(data_dir), spec) for spec in TABLES}
