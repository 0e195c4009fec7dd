"""What every import does once a feed's columns are read: check each row, place it, name its
actor family, and account for every row in a report.

A row ends as one of:
  imported   in the incidents table. A row whose coordinates are unusable but whose province is
             known is imported at the province's representative point (geo_precision=province,
             listed as "relocated"); a row whose coordinates lie far from the feed's own province
             keeps that province and is flagged (location_flag), so that no distance is measured
             from it;
  unmapped   no usable coordinates and no known province: listed with its values, not imported;
  rejected   unusable (no date, a bad number, a duplicate id ...) or outside the feed's scope
             (not political violence, another country ...), listed with its row number, feed id,
             column and reason.
An imported row whose text the loader would show differently (invisible characters made visible)
is imported as the loader holds it, and listed as "cleaned".
imported + unmapped + rejected = read, always; and every imported row passes the same schema the
app loads with, so that what an import reports as imported is what the app then loads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import shapely

from georisk.feeds.cells import clean_text, counts, numbers
from georisk.feeds.families import attribution_in_name, family_lookup
from georisk.model.projection import Projection
from georisk.problems import ERROR
from georisk.scenario import places
from georisk.scenario.reading import validate_rows
from georisk.scenario.rules import country_outline
from georisk.scenario.schema import (
    ATTACK_TYPES,
    INCIDENTS,
    TARGET_TYPES,
    UNKNOWN_FAMILY,
    DateWindow,
    date_window,
)

# A point this close to the feed's own province (km) is taken to be in it: simplified boundaries
# put border towns on the wrong side. Farther, the disagreement is a geocoding error in the feed.
PROVINCE_TOLERANCE_KM = 25.0
# A count above this is no death toll (the schema's own, lower, limit then gives its reason for
# the rest); it is refused here because such a float cannot be made a whole number safely.
COUNT_LIMIT = 1e9
# The most unknown group names a report lists (most frequent first).
UNKNOWN_NAMES_LISTED = 50


@dataclass
class Issue:
    row: int  # the row of the feed's file (header = row 1)
    status: str  # rejected | unmapped | relocated | province_kept | location_flagged | renamed | cleaned
    column: str | None
    reason: str
    value: str | None = None
    feed_id: str | None = None  # the feed's own id of the row, where it has one


@dataclass
class Report:
    kind: str
    file: str
    encoding: str
    read: int = 0
    imported: int = 0
    unmapped: int = 0
    rejected: int = 0
    # Of the rejected rows, those outside the feed's scope rather than defective.
    out_of_scope: int = 0
    relocated: int = 0
    province_filled: int = 0
    # Coordinates in another province than the feed's: near its border (the feed's province is
    # kept) or far from it (kept too, and the point is flagged).
    province_border: int = 0
    province_far: int = 0
    province_renamed: int = 0
    unknown_counts: int = 0
    # Words the feed's mapping declares as an unknown count, beyond the standard ones.
    unknown_words: list[str] = field(default_factory=list)
    unknown_actors: dict[str, int] = field(default_factory=dict)
    other_values: dict[str, dict[str, int]] = field(default_factory=dict)
    precision: dict[str, int] = field(default_factory=dict)
    attribution: dict[str, int] = field(default_factory=dict)
    first_date: str | None = None
    last_date: str | None = None
    notes: list[str] = field(default_factory=list)
    # The feed's terms, as its publisher asks them to be cited.
    licence: str = ""
    citation: str = ""
    sha256: str = ""
    issues: list[Issue] = field(default_factory=list)
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())

    def summary(self) -> str:
        return f"read={self.read} imported={self.imported} unmapped={self.unmapped} rejected={self.rejected}"

    @property
    def defective(self) -> int:
        """Rows rejected for a defect (not for being outside the feed's scope)."""
        return self.rejected - self.out_of_scope

    def add(
        self,
        rows: Iterable[int],
        status: str,
        column: str | None,
        reason: str | list[str],
        values: Sequence[object] | None = None,
        feed_ids: Sequence[object] | None = None,
    ) -> None:
        """Record an issue for each row of `rows` (reason, value and feed id may vary by row)."""
        rows = list(rows)
        reasons = reason if isinstance(reason, list) else [reason] * len(rows)
        values = values if values is not None else [None] * len(rows)
        feed_ids = feed_ids if feed_ids is not None else [None] * len(rows)
        for row, why, value, feed_id in zip(rows, reasons, values, feed_ids, strict=True):
            self.issues.append(Issue(int(row), status, column, why, _shown(value), _shown(feed_id)))

    def lines(self) -> list[str]:
        """The report in sentences, as the command line and the Data page show it."""
        lines = [
            f"Rejected as outside the feed's scope: {self.out_of_scope:,}; for a defect: {self.defective:,}.",
            f"Kept without usable coordinates, placed at their province: {self.relocated:,}.",
            f"Coordinates in another province than the feed's: {self.province_border:,} near its border "
            f"(the feed's province kept), {self.province_far:,} far from it (flagged: no distance is "
            "measured from them).",
            f"Province taken from the coordinates where the feed gives none: {self.province_filled:,}; "
            f"renamed for a boundary change: {self.province_renamed:,}.",
            f"Counts (killed, wounded) read as unknown rather than rejected: {self.unknown_counts:,}.",
        ]
        if self.precision:
            lines.append(
                "Precision of the points: " + ", ".join(f"{k} {v:,}" for k, v in self.precision.items()) + "."
            )
        if self.attribution:
            lines.append("Attribution: " + ", ".join(f"{k} {v:,}" for k, v in self.attribution.items()) + ".")
        if self.licence or self.citation:
            lines.append(f"Licence: {self.licence or 'not stated'}. Cite: {self.citation or 'not stated'}.")
        return [*[f"Note: {n}" for n in self.notes], *lines]

    def issues_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            [asdict(i) for i in self.issues],
            columns=["row", "feed_id", "status", "column", "reason", "value"],
        )
        return frame.sort_values(["row", "status"], kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("issues")
        data["summary"] = self.summary()
        data["issue_counts"] = self.issues_frame().groupby("status").size().to_dict() if self.issues else {}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        known = {f for f in cls.__dataclass_fields__ if f != "issues"}
        return cls(**{k: v for k, v in data.items() if k in known})


def _shown(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)[:200]


@dataclass(frozen=True)
class FeedContext:
    """What an import needs from the scenario: provinces (with their other names and validity),
    the country's outline and name, and the actor alias table."""

    boundaries: pd.DataFrame
    aliases: pd.DataFrame
    country: str = "the country"
    # The scenario's own plausible date windows (catalog.json scenario.date_windows), if any.
    date_windows: Mapping[str, DateWindow] = field(default_factory=dict)

    def date_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(first, last) plausible incident date: the curated loader's window for incidents
        (georisk.scenario.schema.date_window), so that an import rejects exactly the dates the loader
        would. Worked out at each import: the window moves with the year, a server runs for months."""
        window = date_window("incidents", "date", self.date_windows)
        return pd.Timestamp(window.start), pd.Timestamp(window.end)


def finish(rows: pd.DataFrame, context: FeedContext, report: Report) -> pd.DataFrame:
    """Check, place and name the rows of a feed (one column per curated field, as read, indexed by
    the file's row number) and return the incidents to import. Fills the report."""
    report.read = len(rows)
    keep = pd.Series(True, index=rows.index)
    feed_ids = (
        clean_text(rows["incident_id"]) if "incident_id" in rows else pd.Series(pd.NA, index=rows.index)
    )
    scope = (
        rows["_scope"].fillna(False).astype(bool) if "_scope" in rows else pd.Series(False, index=rows.index)
    )

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
            list(feed_ids[mask]),
        )
        keep[mask] = False

    # Rows the format reader already refused (outside its scope, or ragged), with the column and
    # value that made it refuse them.
    if "_reject" in rows:
        refused = rows["_reject"].notna()
        report.out_of_scope = int((refused & scope).sum())
        columns = rows["_reject_column"].fillna("")
        for column in columns[refused].unique():
            reject(refused & (columns == column), column or None, rows["_reject"], rows["_reject_value"])
    reject(rows["date"].isna(), "date", "no usable date", rows.get("_date_raw"))
    # The plausible date window (data/README.md, "Plausible dates"). Dates come in at microsecond
    # resolution (years 1 to 9999) and leave at the nanosecond resolution the app uses, which the
    # window keeps them within.
    first, last = context.date_window()
    reject(
        (rows["date"] < first) | (rows["date"] > last),
        "date",
        f"outside the plausible window {first.date().isoformat()} to {last.date().isoformat()}",
        rows.get("_date_raw", rows["date"].astype("string")),
    )
    reject(feed_ids.isna(), "incident_id", "no id")
    duplicate = feed_ids.duplicated(keep="first") & feed_ids.notna() & keep
    reject(duplicate, "incident_id", "duplicate id: an earlier row has the same value", feed_ids)
    unknown_words = tuple(report.unknown_words)
    killed, killed_notes, bad_killed = counts(rows["killed"], "killed", unknown_words)
    wounded, wounded_notes, bad_wounded = counts(rows["wounded"], "wounded", unknown_words)
    reject(bad_killed, "killed", "not a number", rows["killed"])
    reject(bad_wounded, "wounded", "not a number", rows["wounded"])
    reject(killed < 0, "killed", "negative", rows["killed"])
    reject(wounded < 0, "wounded", "negative", rows["wounded"])
    reject(killed > COUNT_LIMIT, "killed", f"larger than {COUNT_LIMIT:,.0f}: not a count", rows["killed"])
    reject(wounded > COUNT_LIMIT, "wounded", f"larger than {COUNT_LIMIT:,.0f}: not a count", rows["wounded"])
    report.unknown_counts = int(
        (
            (clean_text(rows["killed"]).notna() & killed.isna())
            | (clean_text(rows["wounded"]).notna() & wounded.isna())
        )[keep].sum()
    )

    rows = rows[keep].copy()
    rows["date"] = rows["date"].astype("datetime64[ns]")
    killed, wounded = killed[keep], wounded[keep]
    feed_ids = feed_ids[keep]
    notes = _joined(
        clean_text(rows["notes"]) if "notes" in rows else None, killed_notes[keep], wounded_notes[keep]
    )
    placed = _place(rows, context, report, feed_ids)

    names, stated = attribution_in_name(clean_text(rows["group"]).fillna("unknown"))
    groups = names.fillna("unknown")
    lookup = family_lookup(context.aliases)
    families = lookup.families(groups, rows["date"])
    # Names no alias knows (a name an alias maps to "unknown" is known: nobody claimed it).
    unknown = groups[families.isna() & (groups.str.strip().str.lower() != "unknown")]
    report.unknown_actors = {
        str(k): int(v) for k, v in unknown.value_counts().head(UNKNOWN_NAMES_LISTED).items()
    }
    family = families.fillna(UNKNOWN_FAMILY)
    given_attribution = clean_text(rows["attribution"]) if "attribution" in rows else stated
    attribution = given_attribution.fillna(stated)
    attribution = attribution.where(
        attribution.notna(), np.where(family == UNKNOWN_FAMILY, "unknown", "attributed")
    )
    attribution = attribution.where(family != UNKNOWN_FAMILY, "unknown")

    source = clean_text(rows["source"])
    row_numbers = pd.Series(rows.index, index=rows.index)
    out = pd.DataFrame(
        {
            "incident_id": clean_text(rows["incident_id"]),
            "date": rows["date"],
            "date_precision": rows["date_precision"],
            "lat": placed["lat"].round(5),
            "lon": placed["lon"].round(5),
            "geo_precision": placed["geo_precision"],
            "location": clean_text(rows["location"]),
            "district": clean_text(rows["district"]),
            "province": placed["province"],
            "group": groups,
            "actor_family": family,
            "attribution": attribution.astype(object),
            "outcome": _optional(rows, "outcome"),
            "suicide": pd.to_numeric(_optional(rows, "suicide"), errors="coerce").astype("Int64"),
            "attack_type": rows["attack_type"],
            "weapon_type": clean_text(_optional(rows, "weapon_type")),
            "target_type": rows["target_type"],
            "target_type2": _optional(rows, "target_type2"),
            "target_type3": _optional(rows, "target_type3"),
            "killed": killed.round().astype("Int64"),
            "wounded": wounded.round().astype("Int64"),
            "summary": clean_text(rows["summary"]),
            "location_flag": placed["location_flag"],
            "source_row": row_numbers.astype("Int64"),
            # An imported row always carries its feed as its source, even where the feed left
            # the cell empty.
            "source": source.where(
                source.notna(), f"{report.kind.upper()} feed {report.file}, row " + row_numbers.astype(str)
            ),
            "confidence": rows["confidence"],
            "notes": _joined(notes, placed["notes"]),
        },
        index=rows.index,
    )
    out = out[~placed["unmapped"]]
    out = _schema_checked(out, report, feed_ids, context.date_windows)
    report.rejected = report.read - len(out) - report.unmapped
    report.imported = len(out)
    assert report.imported + report.unmapped + report.rejected == report.read
    report.precision = {str(k): int(v) for k, v in out["geo_precision"].value_counts().items()}
    report.attribution = {str(k): int(v) for k, v in out["attribution"].value_counts().items()}
    if len(out):
        report.first_date = out["date"].min().date().isoformat()
        report.last_date = out["date"].max().date().isoformat()
    return out.reset_index(drop=True)


def _optional(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column] if column in rows else pd.Series(None, index=rows.index, dtype=object)


def _joined(*parts: pd.Series | None) -> pd.Series:
    """Notes from several sources, joined with '; ' (NA where none has one)."""
    present = [p.astype("string") for p in parts if p is not None]
    result = present[0]
    for part in present[1:]:
        result = (
            result.fillna("") + np.where(result.notna() & part.notna(), "; ", "") + part.fillna("")
        ).replace("", pd.NA)
    return result.astype(object).where(result.notna(), None)


def _schema_checked(
    out: pd.DataFrame, report: Report, feed_ids: pd.Series, windows: Mapping[str, DateWindow]
) -> pd.DataFrame:
    """Reject what the app's loader would reject, here, with the feed's row number: so that
    imported = loaded."""
    text = out.copy()
    text["date"] = text["date"].dt.strftime("%Y-%m-%d")
    text = text.astype(object).where(text.notna(), None)
    checked, problems = validate_rows(text, INCIDENTS, report.file, windows)
    bad: dict[int, tuple[str | None, str, str | None]] = {}
    out = out.copy()
    for problem in problems:
        if problem.row is None:
            continue
        if problem.severity != ERROR:
            # A warning keeps its row, with the cell as the loader would hold it (text with its
            # invisible characters made visible ...): so that the loader finds nothing to say.
            if problem.column in out.columns and problem.row in checked.index:
                out.at[problem.row, problem.column] = checked.at[problem.row, problem.column]
            report.add(
                [problem.row], "cleaned", problem.column, problem.reason, None, [feed_ids.get(problem.row)]
            )
        elif problem.row not in bad:
            bad[problem.row] = (problem.column, problem.reason, problem.value)
    for row, (column, reason, value) in bad.items():
        report.add([row], "rejected", column, reason, [value], [feed_ids.get(row)])
    return out.drop(index=list(bad))


def _place(rows: pd.DataFrame, context: FeedContext, report: Report, feed_ids: pd.Series) -> pd.DataFrame:
    """Where each row lies: lat, lon, geo_precision, province, location_flag, notes, unmapped."""
    boundaries = context.boundaries
    dates = rows["date"]
    given_raw = clean_text(rows["province"])
    given = places.recognise(given_raw, boundaries)
    unrecognised = given_raw[given_raw.notna() & given.isna()].value_counts()
    if len(unrecognised):
        report.other_values["province"] = {str(k): int(v) for k, v in unrecognised.items()}
    renamed = places.at_date(given, dates, boundaries)
    moved = given.notna() & (renamed != given).fillna(False)
    report.province_renamed = int(moved.sum())
    report.add(
        rows.index[moved],
        "renamed",
        "province",
        [
            f"{g} no longer existed on this date: placed in {r}"
            for g, r in zip(given[moved], renamed[moved], strict=True)
        ],
        None,
        list(feed_ids[moved]),
    )
    given = renamed

    # Coordinates: numbers, in range, inside the country (with the validator's tolerance).
    lat, bad_lat = numbers(rows["lat"])
    lon, bad_lon = numbers(rows["lon"])
    usable = lat.notna() & lon.notna() & lat.between(-90, 90) & lon.between(-180, 180)
    outline = country_outline(boundaries)
    inside = np.zeros(len(rows), dtype=bool)
    inside[usable.to_numpy()] = shapely.contains_xy(outline, lon[usable].to_numpy(), lat[usable].to_numpy())
    inside = pd.Series(inside, index=rows.index)
    why = pd.Series(
        np.where(
            bad_lat | bad_lon,
            "latitude or longitude is not a number",
            np.where(~usable, "no coordinates", f"coordinates outside {context.country}"),
        ),
        index=rows.index,
    )
    raw_coords = rows["lat"].astype("string").fillna("") + ", " + rows["lon"].astype("string").fillna("")

    located = places.province_of(lon.where(inside), lat.where(inside), boundaries, dates)
    filled = inside & given.isna() & located.notna()
    report.province_filled = int(filled.sum())
    disagree = inside & given.notna() & located.notna() & (given != located).fillna(False)
    away_km = _km_outside(lon[disagree], lat[disagree], given[disagree], boundaries)
    border = disagree.copy()
    border[disagree] = away_km <= PROVINCE_TOLERANCE_KM
    far = disagree & ~border
    report.province_border, report.province_far = int(border.sum()), int(far.sum())
    report.add(
        rows.index[border],
        "province_kept",
        "province",
        [
            f"the coordinates lie {d:.0f} km outside {g}, the feed's province, within the "
            f"{PROVINCE_TOLERANCE_KM:g} km tolerance of a simplified border: {g} is kept"
            for d, g in zip(away_km[border[disagree].to_numpy()], given[border], strict=True)
        ],
        list(raw_coords[border]),
        list(feed_ids[border]),
    )
    flags = pd.Series(None, index=rows.index, dtype=object)
    flags[far] = [
        f"the coordinates lie {d:.0f} km from {g}, the feed's province (they fall in {c}): "
        "a geocoding error in the feed is likely, so no distance is measured from them"
        for d, g, c in zip(away_km[far[disagree].to_numpy()], given[far], located[far], strict=True)
    ]
    report.add(
        rows.index[far],
        "location_flagged",
        "lat",
        list(flags[far]),
        list(raw_coords[far]),
        list(feed_ids[far]),
    )
    province = given.where(given.notna(), located.where(inside))

    relocate = ~inside & given.notna()
    unmapped = ~inside & given.isna()
    report.add(
        rows.index[relocate],
        "relocated",
        "lat",
        [f"{w}: placed at the centre of {p}" for w, p in zip(why[relocate], given[relocate], strict=True)],
        list(raw_coords[relocate]),
        list(feed_ids[relocate]),
    )
    report.add(
        rows.index[unmapped],
        "unmapped",
        "lat",
        [f"{w} and no known province" for w in why[unmapped]],
        list(raw_coords[unmapped]),
        list(feed_ids[unmapped]),
    )
    report.unmapped = int(unmapped.sum())
    report.relocated = int(relocate.sum())
    centres = {
        n: g.representative_point() for n, g in zip(boundaries["name"], boundaries.geometry, strict=True)
    }
    lat = lat.where(inside, given.map({n: c.y for n, c in centres.items()}).astype(float))
    lon = lon.where(inside, given.map({n: c.x for n, c in centres.items()}).astype(float))
    # A point without a precision of its own is of unknown precision, not a town.
    precision = rows["geo_precision"].where(rows["geo_precision"].notna(), "unknown")
    precision = precision.where(inside, "province")
    notes = pd.Series(pd.NA, index=rows.index, dtype="string")
    notes[relocate] = "Placed at the centre of its province: the feed's coordinates were not usable."
    return pd.DataFrame(
        {
            "lat": lat,
            "lon": lon,
            "geo_precision": precision,
            "province": province,
            "location_flag": flags,
            "notes": notes,
            "unmapped": unmapped,
        },
        index=rows.index,
    )


def _km_outside(lon: pd.Series, lat: pd.Series, provinces: pd.Series, boundaries: pd.DataFrame) -> np.ndarray:
    """How far (km) each point lies from the named province's area, in a metric projection."""
    if not len(lon):
        return np.zeros(0)
    projection = Projection.for_area(list(boundaries.geometry))
    x, y = projection.points(lon, lat)
    points = shapely.points(np.asarray(x), np.asarray(y))
    areas = {n: projection.to_metric(g) for n, g in zip(boundaries["name"], boundaries.geometry, strict=True)}
    result = np.zeros(len(lon))
    names = provinces.to_numpy(dtype=object)
    for name in set(names):
        here = names == name
        result[here] = shapely.distance(areas[name], points[here]) / 1000
    return result


VOCABULARIES = {"attack_type": ATTACK_TYPES, "target_type": TARGET_TYPES}
