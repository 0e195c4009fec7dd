"""What every import does once a feed's columns are read: check each row, place it, name its
actor family, and account for every row in a report.

A row ends as one of:
  imported   in the incidents table (rows whose coordinates were unusable but whose province is
             known are imported at the province's representative point, geo_precision=province,
             and listed as "relocated");
  unmapped   no usable coordinates and no known province: listed with its values, not imported;
  rejected   unusable (no date, a bad number, a duplicate id, not a militant incident ...),
             listed with its row number, column and reason.
imported + unmapped + rejected = read, always.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from georisk.schema import ATTACK_TYPES, TARGET_TYPES, UNKNOWN_FAMILY, split_list
from georisk.validation import COUNTRY_TOLERANCE_DEG

PARQUET = "incidents.parquet"
REPORT = "import_report.json"
REPORT_ROWS = "import_rows.csv"


@dataclass
class Issue:
    row: int
    status: str  # rejected | unmapped | relocated | province_corrected
    column: str | None
    reason: str
    value: str | None = None


@dataclass
class Report:
    kind: str
    file: str
    encoding: str
    read: int = 0
    imported: int = 0
    unmapped: int = 0
    rejected: int = 0
    relocated: int = 0
    province_filled: int = 0
    province_corrected: int = 0
    unknown_actors: dict[str, int] = field(default_factory=dict)
    other_values: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())

    def summary(self) -> str:
        return f"read={self.read} imported={self.imported} unmapped={self.unmapped} rejected={self.rejected}"

    def add(self, rows, status: str, column: str | None, reason, values=None) -> None:
        """Record an issue for each row of `rows` (reason and value may vary by row)."""
        rows = list(rows)
        reasons = reason if isinstance(reason, list) else [reason] * len(rows)
        values = values if values is not None else [None] * len(rows)
        for row, why, value in zip(rows, reasons, values, strict=True):
            shown = (
                None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)[:200]
            )
            self.issues.append(Issue(int(row), status, column, why, shown))

    def issues_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [asdict(i) for i in self.issues], columns=["row", "status", "column", "reason", "value"]
        )
        return frame.sort_values(["row", "status"], kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("issues")
        data["summary"] = self.summary()
        data["issue_counts"] = self.issues_frame().groupby("status").size().to_dict() if self.issues else {}
        return data


@dataclass(frozen=True)
class Context:
    """What an import needs from the scenario: provinces (with their other names), the country's
    outline and the actor alias table."""

    boundaries: pd.DataFrame
    aliases: pd.DataFrame
    country: str = "the country"

    @property
    def province_names(self) -> dict[str, str]:
        """Every way of writing a province (lower case) -> its name in the boundaries."""
        names = {}
        for name, aliases in zip(
            self.boundaries["name"],
            self.boundaries.get("aliases", [None] * len(self.boundaries)),
            strict=True,
        ):
            names[name.lower()] = name
            for alias in split_list(aliases):
                names[alias.lower()] = name
        return names


def decode(raw: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a file and the encoding used: UTF-8 (with or without BOM), else Windows-1252,
    else Latin-1 (which decodes any byte), unless one is declared."""
    if encoding != "auto":
        return raw.decode(encoding), encoding
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def clean_text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().replace("", pd.NA)


def numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values, bad): values as floats; bad is True where a cell holds text that is not a number."""
    text = clean_text(series)
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & values.isna()
    return values.astype(float), bad


def family_lookup(aliases: pd.DataFrame):
    """A function from a group name to its family (None when no alias matches)."""
    exact = {
        a.lower(): f
        for a, f, m in zip(aliases["alias"], aliases["family"], aliases["match"], strict=True)
        if m == "exact"
    }
    patterns = []
    for alias, family, match in zip(aliases["alias"], aliases["family"], aliases["match"], strict=True):
        if match == "word":
            patterns.append((re.compile(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", re.IGNORECASE), family))
        elif match == "contains":
            patterns.append((re.compile(re.escape(alias), re.IGNORECASE), family))

    def lookup(name: str) -> str | None:
        key = name.strip().lower()
        if key in exact:
            return exact[key]
        for pattern, family in patterns:
            if pattern.search(name):
                return family
        return None

    return lookup


def vocabulary(
    values: pd.Series, mapping: dict[str, str], allowed: tuple[str, ...], report: Report, name: str
) -> pd.Series:
    """Map a feed's words onto our vocabulary; blanks become 'unknown', unmapped words 'other'
    (and are counted in the report)."""
    text = clean_text(values)
    lowered = {k.lower(): v for k, v in mapping.items()}
    allowed_lower = {a.lower(): a for a in allowed}

    def one(value) -> str:
        if value is pd.NA or value is None:
            return "unknown"
        key = str(value).lower()
        if key in lowered:
            return lowered[key]
        return allowed_lower.get(key, "other")

    uniques = text.dropna().unique()
    table = {u: one(u) for u in uniques}
    result = text.astype(object).map(table).astype(object).where(lambda s: s.notna(), "unknown")
    unmapped = ~text.str.lower().isin(list(lowered)) & ~text.str.lower().isin(list(allowed_lower))
    others = text[(result == "other") & text.notna() & unmapped].value_counts()
    if len(others):
        report.other_values[name] = {str(k): int(v) for k, v in others.items()}
    return result


def finish(rows: pd.DataFrame, context: Context, report: Report) -> pd.DataFrame:
    """Check, place and name the rows of a feed (one column per curated field, as read, indexed by
    the file's row number) and return the incidents to import. Fills the report."""
    report.read = len(rows)
    keep = pd.Series(True, index=rows.index)

    def reject(mask: pd.Series, column: str | None, reason, values=None) -> None:
        mask = mask & keep
        if not mask.any():
            return
        picked = reason[mask] if isinstance(reason, pd.Series) else reason
        report.add(
            rows.index[mask],
            "rejected",
            column,
            list(picked) if isinstance(picked, pd.Series) else picked,
            None if values is None else list(values[mask]),
        )
        keep[mask] = False

    # Rows the format reader already refused (e.g. not a militant event type), with the column
    # and value that made it refuse them.
    if "_reject" in rows:
        refused = rows["_reject"].notna()
        columns = rows["_reject_column"].fillna("")
        for column in columns[refused].unique():
            reject(refused & (columns == column), column or None, rows["_reject"], rows["_reject_value"])
    reject(rows["date"].isna(), "date", "no usable date", rows.get("_date_raw"))
    ids = clean_text(rows["incident_id"])
    reject(ids.isna(), "incident_id", "no id")
    duplicate = ids.duplicated(keep="first") & ids.notna()
    reject(duplicate, "incident_id", "duplicate id: an earlier row has the same value", ids)
    killed, bad_killed = numbers(rows["killed"])
    wounded, bad_wounded = numbers(rows["wounded"])
    reject(bad_killed, "killed", "not a number", rows["killed"])
    reject(bad_wounded, "wounded", "not a number", rows["wounded"])
    reject(killed < 0, "killed", "negative", rows["killed"])
    reject(wounded < 0, "wounded", "negative", rows["wounded"])

    rows = rows[keep]
    killed, wounded = killed[keep], wounded[keep]

    # Province as the feed writes it, recognised through the boundaries' names and aliases.
    names = context.province_names
    given = clean_text(rows["province"]).str.lower().map(names)

    # Coordinates: numbers, in range, inside the country (with the validator's tolerance).
    lat, bad_lat = numbers(rows["lat"])
    lon, bad_lon = numbers(rows["lon"])
    usable = lat.notna() & lon.notna() & lat.between(-90, 90) & lon.between(-180, 180)
    outline = shapely.union_all(np.asarray(context.boundaries.geometry)).buffer(COUNTRY_TOLERANCE_DEG)
    shapely.prepare(outline)
    inside = np.zeros(len(rows), dtype=bool)
    inside[usable.to_numpy()] = shapely.contains_xy(outline, lon[usable].to_numpy(), lat[usable].to_numpy())
    inside = pd.Series(inside, index=rows.index)
    why = np.where(
        bad_lat | bad_lon,
        "latitude or longitude is not a number",
        np.where(~usable, "no coordinates", f"coordinates outside {context.country}"),
    )
    why = pd.Series(why, index=rows.index)
    raw_coords = rows["lat"].astype("string").fillna("") + ", " + rows["lon"].astype("string").fillna("")

    located = province_of(lon.where(inside), lat.where(inside), context.boundaries)
    filled = inside & given.isna() & located.notna()
    corrected = inside & given.notna() & located.notna() & (given != located)
    report.province_filled = int(filled.sum())
    report.province_corrected = int(corrected.sum())
    report.add(
        rows.index[corrected],
        "province_corrected",
        "province",
        [
            f"the feed says {g}; the coordinates lie in {c}"
            for g, c in zip(rows.loc[corrected, "province"], located[corrected], strict=True)
        ],
    )
    province = located.where(inside, given)

    relocate = ~inside & given.notna()
    unmapped = ~inside & given.isna()
    report.add(
        rows.index[relocate],
        "relocated",
        "lat",
        [f"{w}: placed at the centre of {p}" for w, p in zip(why[relocate], given[relocate], strict=True)],
        list(raw_coords[relocate]),
    )
    report.add(
        rows.index[unmapped],
        "unmapped",
        "lat",
        [f"{w} and no known province" for w in why[unmapped]],
        list(raw_coords[unmapped]),
    )
    report.unmapped = int(unmapped.sum())
    report.relocated = int(relocate.sum())

    centres = {
        n: g.representative_point()
        for n, g in zip(context.boundaries["name"], context.boundaries.geometry, strict=True)
    }
    lat = lat.where(inside, given.map(lambda n: centres[n].y if isinstance(n, str) else np.nan))
    lon = lon.where(inside, given.map(lambda n: centres[n].x if isinstance(n, str) else np.nan))
    geo = rows["geo_precision"].where(inside, "province")

    lookup = family_lookup(context.aliases)
    groups = clean_text(rows["group"]).fillna("unknown")
    families = {g: lookup(g) for g in groups.unique()}
    unknown = groups[groups.map(families).isna() & (groups.str.lower() != "unknown")]
    report.unknown_actors = {str(k): int(v) for k, v in unknown.value_counts().items()}
    family = groups.map(families).fillna(UNKNOWN_FAMILY)

    out = pd.DataFrame(
        {
            "incident_id": clean_text(rows["incident_id"]),
            "date": rows["date"],
            "date_precision": rows["date_precision"],
            "lat": lat.round(5),
            "lon": lon.round(5),
            "geo_precision": geo,
            "location": clean_text(rows["location"]),
            "district": clean_text(rows["district"]),
            "province": province,
            "group": groups,
            "actor_family": family,
            "attack_type": rows["attack_type"],
            "target_type": rows["target_type"],
            "killed": killed.round().astype("Int64"),
            "wounded": wounded.round().astype("Int64"),
            "summary": clean_text(rows["summary"]),
            "source": clean_text(rows["source"]),
            "confidence": rows["confidence"],
            "notes": np.where(
                relocate,
                "Placed at the centre of its province: the feed's coordinates were not usable.",
                None,
            ),
        },
        index=rows.index,
    )
    out = out[~unmapped]
    report.rejected = report.read - len(rows)
    report.imported = len(out)
    assert report.imported + report.unmapped + report.rejected == report.read
    out.index.name = "row"
    return out.reset_index(drop=True)


def province_of(lon: pd.Series, lat: pd.Series, boundaries: pd.DataFrame) -> pd.Series:
    """The province each point lies in; a point just outside every polygon (coarse coastlines)
    takes the nearest one. NaN coordinates give NA."""
    result = pd.Series(pd.NA, index=lon.index, dtype="string")
    have = lon.notna() & lat.notna()
    if not have.any():
        return result
    x, y = lon[have].to_numpy(), lat[have].to_numpy()
    found = np.full(len(x), None, dtype=object)
    for name, geometry in zip(boundaries["name"], boundaries.geometry, strict=True):
        shapely.prepare(geometry)
        hit = (found == None) & shapely.contains_xy(geometry, x, y)  # noqa: E711 - elementwise on objects
        found[hit] = name
    missing = np.flatnonzero(found == None)  # noqa: E711
    if len(missing):
        tree = shapely.STRtree(np.asarray(boundaries.geometry))
        nearest = tree.nearest(shapely.points(x[missing], y[missing]))
        found[missing] = np.asarray(boundaries["name"])[nearest]
    result[have] = found
    return result


PREVIOUS = "incidents.previous.parquet"


def write(data_dir: Path, incidents: pd.DataFrame, report: Report) -> Path:
    """Store the import next to the data: the incidents as Parquet (the app prefers it to
    incidents.csv), the report as JSON and the listed rows as CSV. A previous import is kept
    as `incidents.previous.parquet` so that it can be restored."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / f"{PARQUET}.partial"
    incidents.to_parquet(staging, index=False)
    _install(data_dir, staging)
    (data_dir / REPORT).write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    report.issues_frame().to_csv(data_dir / REPORT_ROWS, index=False)
    return data_dir / PARQUET


def restore_previous(data_dir: Path) -> None:
    """Swap the current import and the previous one (a second restore undoes the first)."""
    data_dir = Path(data_dir)
    staging = data_dir / f"{PARQUET}.partial"
    _link_or_copy(data_dir / PREVIOUS, staging)
    _install(data_dir, staging)


def use_curated(data_dir: Path) -> None:
    """Go back to the curated incidents.csv; the current import becomes the previous one."""
    data_dir = Path(data_dir)
    (data_dir / PARQUET).replace(data_dir / PREVIOUS)


def _install(data_dir: Path, staging: Path) -> None:
    """Make `staging` the current import and the current one the previous. Other sessions and
    other app processes read this folder at any moment: each step is an atomic rename, so a
    reader sees the old file or the new one, never a half-written one and never none."""
    current, kept = data_dir / PARQUET, data_dir / f"{PREVIOUS}.partial"
    if current.exists():
        _link_or_copy(current, kept)
    staging.replace(current)
    if kept.exists():
        kept.replace(data_dir / PREVIOUS)


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)  # a second name for the same bytes: instant, no copy
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


VOCABULARIES = {"attack_type": ATTACK_TYPES, "target_type": TARGET_TYPES}
