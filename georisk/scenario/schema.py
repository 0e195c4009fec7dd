"""The declared schema of every curated file: its columns, their types and allowed values.

One pandera schema per table. Rules that need more than one table (references between files,
provinces that must exist in the boundaries, coordinates inside the country) live in
`georisk.scenario.rules`, because a single table cannot check them.

Every column of a CSV is read as text and converted here (`coerce=True`), so that a bad value
rejects its row instead of silently turning the whole column into text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pandera.pandas as pa

from georisk.scenario.precision import PRECISIONS

SCHEMA_VERSION = "1.1"

CATEGORIES = ("diplomatic", "military", "economic", "energy", "security", "political")
SECTORS = ("energy", "industry", "defence", "diplomacy", "trade", "security")
# Facts are rated by how well they are attested; assessments by the analyst's confidence.
FACT_CONFIDENCE = ("confirmed", "reported", "unconfirmed", "disputed")
ASSESSED_CONFIDENCE = ("high", "moderate", "low")
DATE_PRECISION = ("day", "month", "year")
GEO_PRECISION = PRECISIONS
SITE_STATUS = ("proposed", "agreed", "under construction", "operational", "stalled")
ATTACK_TYPES = (
    "bombing",
    "suicide bombing",
    "armed assault",
    "targeted killing",
    "kidnapping",
    "infrastructure sabotage",
    "rocket attack",
    # Imported feeds do not always say: "other" is a known kind outside this list.
    "other",
    "unknown",
)
TARGET_TYPES = (
    "military",
    "police",
    "government",
    "civilians",
    "religious site",
    "energy infrastructure",
    "transport",
    "foreign nationals",
    "education",
    "health workers",
    "media",
    "other",
    "unknown",
)
# Who is said to have done it: the group claimed it, officials or reporting blamed it, reporting
# names it only as suspected, or nobody is named.
ATTRIBUTION = ("claimed", "attributed", "suspected", "unknown")
# Whether the attack did what it set out to do (GTD's `success`); failed attacks are incidents too.
OUTCOME = ("succeeded", "failed", "unknown")
INTENT = ("high", "moderate", "low", "none", "unknown")
CAPABILITY = ("high", "moderate", "low")
# Reserved actor family for incidents nobody claimed or was blamed for.
UNKNOWN_FAMILY = "unknown"
# Reserved actor family of a threat level that covers every family.
ALL_FAMILIES = "all"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
LIST_SEPARATOR = ";"


def _iso_date(series: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
    return parsed.notna()


def _id_list(series: pd.Series) -> pd.Series:
    def ok(value: str) -> bool:
        items = [item.strip() for item in value.split(LIST_SEPARATOR)]
        return all(pd.Series(items).str.fullmatch(ID_PATTERN))

    return series.map(ok)


def _not_blank(series: pd.Series) -> pd.Series:
    return series.str.strip().str.len() > 0


def iso_date_check() -> pa.Check:
    return pa.Check(_iso_date, error="not a calendar date in ISO form YYYY-MM-DD")


def one_of(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(values, error=f"not one of: {', '.join(values)}")


def between(low: float, high: float) -> pa.Check:
    return pa.Check.in_range(low, high, error=f"outside {low:g} to {high:g}")


def text(required: bool = True, checks: list[pa.Check] | None = None) -> pa.Column:
    checks = list(checks or [])
    if required:
        checks.append(pa.Check(_not_blank, error="required text is blank"))
    return pa.Column(str, checks, nullable=not required, coerce=True)


def identifier() -> pa.Column:
    return pa.Column(
        str,
        pa.Check.str_matches(ID_PATTERN, error="not an id (letters, digits, - _ . only)"),
        unique=True,
        coerce=True,
    )


def id_list(required: bool = False) -> pa.Column:
    check = pa.Check(_id_list, error="not a ';'-separated list of ids")
    return pa.Column(str, check, nullable=not required, coerce=True)


def iso_date(required: bool = True) -> pa.Column:
    return pa.Column(str, iso_date_check(), nullable=not required, coerce=True)


def vocab(values: tuple[str, ...], required: bool = True) -> pa.Column:
    return pa.Column(str, one_of(values), nullable=not required, coerce=True)


def number(low: float, high: float, required: bool = True) -> pa.Column:
    return pa.Column(float, between(low, high), nullable=not required, coerce=True)


def whole(low: int, high: int, required: bool = True) -> pa.Column:
    return pa.Column("Int64", between(low, high), nullable=not required, coerce=True)


def latitude(required: bool) -> pa.Column:
    return number(-90, 90, required)


def longitude(required: bool) -> pa.Column:
    return number(-180, 180, required)


def provenance(confidence: tuple[str, ...] = FACT_CONFIDENCE) -> dict[str, pa.Column]:
    """The two columns every curated record carries, and an optional note on uncertainty."""
    return {
        "source": text(),
        "confidence": vocab(confidence),
        "notes": text(required=False),
    }


# Displayed as written, never matched: the loader cleans every other column for matching
# (names.clean), and leaves these to georisk.text, which handles text for display.
PROSE = ("source", "notes")
# The range of a cooperation index weight, for the catalogue's weights and the index sliders alike.
INDEX_WEIGHT_RANGE = (0.0, 3.0)


@dataclass(frozen=True)
class TableSpec:
    """What a table is: its file, its id column and its declared columns."""

    name: str
    filename: str
    id_column: str
    schema: pa.DataFrameSchema
    date_columns: tuple[str, ...] = ()
    description: str = ""
    geometry: bool = False
    # Columns that may be absent from a file; they are added empty.
    optional_columns: tuple[str, ...] = field(default=())
    # The columns that together identify a row, where the id alone does not (an alias may name
    # one family before a date and another after it).
    key_columns: tuple[str, ...] = ()
    # Free text shown to the reader (besides PROSE): kept exactly as written.
    prose_columns: tuple[str, ...] = ()
    # Whole-number years, held to a plausible window like the date columns.
    year_columns: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, ...]:
        return self.key_columns or (self.id_column,)

    @property
    def matched_columns(self) -> list[str]:
        """The columns compared with a vocabulary, an id or another file: cleaned before checks."""
        return [c for c in self.columns if c not in PROSE and c not in self.prose_columns]

    @property
    def window_columns(self) -> tuple[str, ...]:
        return self.date_columns + self.year_columns

    @property
    def columns(self) -> list[str]:
        return list(self.schema.columns)

    @property
    def required_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional_columns]


def _schema(columns: dict[str, pa.Column], checks: list[pa.Check] | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, checks=checks or [], strict=False, ordered=False)


# A check across columns starts its message with the column it blames: the loader reports the
# problem in that column.
def _period_in_order(frame: pd.DataFrame) -> pd.Series:
    start = pd.to_datetime(frame["period_start"], format="%Y-%m-%d", errors="coerce")
    end = pd.to_datetime(frame["period_end"], format="%Y-%m-%d", errors="coerce")
    return ~(end < start)


def _range_in_order(frame: pd.DataFrame) -> pd.Series:
    return ~(frame["max_pct"] < frame["min_pct"])


EVENTS = TableSpec(
    name="events",
    filename="events.csv",
    id_column="event_id",
    description="Dated events on the timeline: cooperation milestones and security context.",
    date_columns=("date",),
    optional_columns=("location", "province", "lat", "lon", "site_ids", "notes"),
    prose_columns=("title", "summary", "actors", "location"),
    schema=_schema(
        {
            "event_id": identifier(),
            "date": iso_date(),
            "date_precision": vocab(DATE_PRECISION),
            "title": text(),
            "summary": text(),
            "category": vocab(CATEGORIES),
            "sector": vocab(SECTORS),
            "actors": text(),
            "location": text(required=False),
            "province": text(required=False),
            "lat": latitude(required=False),
            "lon": longitude(required=False),
            "significance": whole(1, 5),
            "site_ids": id_list(),
            **provenance(),
        }
    ),
)

INCIDENTS = TableSpec(
    name="incidents",
    filename="incidents.csv",
    id_column="incident_id",
    description="Militant attacks and security incidents, one row each.",
    date_columns=("date",),
    prose_columns=("location", "district", "group", "weapon_type", "summary", "location_flag"),
    optional_columns=(
        "location",
        "district",
        "attribution",
        "outcome",
        "suicide",
        "weapon_type",
        "target_type2",
        "target_type3",
        "summary",
        "location_flag",
        "source_row",
        "notes",
    ),
    schema=_schema(
        {
            "incident_id": identifier(),
            "date": iso_date(),
            "date_precision": vocab(DATE_PRECISION),
            "lat": latitude(required=True),
            "lon": longitude(required=True),
            "geo_precision": vocab(GEO_PRECISION),
            "location": text(required=False),
            "district": text(required=False),
            "province": text(),
            "group": text(),
            "actor_family": text(),
            "attribution": vocab(ATTRIBUTION, required=False),
            "outcome": vocab(OUTCOME, required=False),
            "suicide": whole(0, 1, required=False),
            "attack_type": vocab(ATTACK_TYPES),
            "weapon_type": text(required=False),
            "target_type": vocab(TARGET_TYPES),
            "target_type2": vocab(TARGET_TYPES, required=False),
            "target_type3": vocab(TARGET_TYPES, required=False),
            "killed": whole(0, 100_000, required=False),
            "wounded": whole(0, 100_000, required=False),
            "summary": text(required=False),
            # Why the point is not to be trusted for distance (e.g. far from the feed's own
            # province); empty when nothing is wrong with it.
            "location_flag": text(required=False),
            # The row of the feed's file this incident was imported from (header = row 1).
            "source_row": whole(1, 10**9, required=False),
            **provenance(),
        }
    ),
)

SITES = TableSpec(
    name="sites",
    filename="sites.geojson",
    id_column="site_id",
    geometry=True,
    description="Projects and assets at risk: points, pipelines (lines) or areas.",
    date_columns=("announced_date",),
    optional_columns=("value_usd", "geo_precision", "status_note", "notes"),
    prose_columns=("name", "project_type", "description", "status_note"),
    schema=_schema(
        {
            "site_id": identifier(),
            "name": text(),
            "sector": vocab(SECTORS),
            "project_type": text(),
            "partner_country": text(),
            "status": vocab(SITE_STATUS),
            "value_usd": number(0, 1e13, required=False),
            "criticality": whole(1, 5),
            "provinces": text(),
            "announced_date": iso_date(),
            "announced_precision": vocab(DATE_PRECISION),
            "description": text(),
            "geo_precision": vocab(GEO_PRECISION, required=False),
            "status_note": text(required=False),
            **provenance(),
        }
    ),
)

ACTORS = TableSpec(
    name="actors",
    filename="actors.csv",
    id_column="actor_id",
    description="Militant groups, their family, intent toward the partner countries and reach.",
    optional_columns=("notes",),
    prose_columns=("name", "ideology", "intent_evidence"),
    schema=_schema(
        {
            "actor_id": identifier(),
            "name": text(),
            "family": text(),
            "ideology": text(),
            "hostile_to": text(required=False),
            "intent": vocab(INTENT),
            "intent_evidence": text(),
            "capability": vocab(CAPABILITY),
            "areas": text(),
            **provenance(),
        }
    ),
)

THREAT_LEVELS = TableSpec(
    name="threat_levels",
    filename="threat_levels.csv",
    id_column="threat_id",
    description="An analyst's threat rating of a province for a period, overall or per family.",
    date_columns=("period_start", "period_end"),
    optional_columns=("notes",),
    prose_columns=("rationale",),
    schema=_schema(
        {
            "threat_id": identifier(),
            "province": text(),
            "period_start": iso_date(),
            "period_end": iso_date(),
            "actor_family": text(),
            "level": whole(1, 5),
            "rationale": text(),
            **provenance(ASSESSED_CONFIDENCE),
        },
        checks=[pa.Check(_period_in_order, error="period_end is before period_start")],
    ),
)

THREAT_SCALE = TableSpec(
    name="threat_scale",
    filename="threat_scale.csv",
    id_column="level",
    description="What each threat level 1-5 means.",
    optional_columns=("notes",),
    prose_columns=("label", "definition"),
    schema=_schema(
        {
            "level": pa.Column("Int64", between(1, 5), unique=True, coerce=True),
            "label": text(),
            "definition": text(),
            **provenance(),
        }
    ),
)

INDICATORS = TableSpec(
    name="indicators",
    filename="indicators.csv",
    id_column="indicator_id",
    description="Yearly values of cooperation indicators; an empty value means not known.",
    optional_columns=("notes",),
    prose_columns=("label", "unit"),
    year_columns=("year",),
    schema=_schema(
        {
            "indicator_id": identifier(),
            "indicator": pa.Column(str, pa.Check.str_matches(ID_PATTERN), coerce=True),
            "label": text(),
            # Any year here; the plausible window (date_window) decides which are kept.
            "year": whole(1, 9999),
            "value": number(-1e15, 1e15, required=False),
            "unit": text(),
            "sector": vocab(SECTORS),
            **provenance(),
        },
    ),
)

JUDGMENTS = TableSpec(
    name="judgments",
    filename="judgments.csv",
    id_column="judgment_id",
    description="The analysis's key judgments in our words, with likelihood and confidence.",
    optional_columns=("notes",),
    # The horizon is a period in words ("12 months from December 2016"), not a date.
    prose_columns=("statement", "horizon"),
    schema=_schema(
        {
            "judgment_id": identifier(),
            "statement": text(),
            "likelihood_term": text(),
            "probability_band": text(),
            "horizon": text(),
            "evidence_event_ids": id_list(),
            **provenance(ASSESSED_CONFIDENCE),
        }
    ),
)

ESTIMATIVE_SCALE = TableSpec(
    name="estimative_scale",
    filename="estimative_scale.csv",
    id_column="term",
    description="Likelihood words and the probability band each stands for.",
    optional_columns=("notes",),
    prose_columns=("definition",),
    schema=_schema(
        {
            "term": pa.Column(str, unique=True, coerce=True),
            "min_pct": number(0, 100),
            "max_pct": number(0, 100),
            "definition": text(),
            **provenance(),
        },
        checks=[pa.Check(_range_in_order, error="max_pct is below min_pct")],
    ),
)

BOUNDARIES = TableSpec(
    name="boundaries",
    filename="boundaries.geojson",
    id_column="code",
    geometry=True,
    description="Admin-1 areas (provinces) of the country, simplified.",
    date_columns=("valid_from", "valid_to"),
    optional_columns=("aliases", "valid_from", "valid_to", "successor", "notes"),
    schema=_schema(
        {
            "code": identifier(),
            "name": pa.Column(str, unique=True, coerce=True),
            "aliases": text(required=False),
            # The area existed from valid_from to valid_to (empty: open); after valid_to its
            # ground belongs to `successor` (e.g. FATA merged into Khyber Pakhtunkhwa).
            "valid_from": iso_date(required=False),
            "valid_to": iso_date(required=False),
            "successor": text(required=False),
            **provenance(),
        }
    ),
)

ALIAS_MATCH = ("exact", "word", "contains")

ACTOR_ALIASES = TableSpec(
    name="actor_aliases",
    filename="actor_aliases.csv",
    id_column="alias",
    description="How group names in imported feeds map to actor families (editable).",
    date_columns=("valid_from", "valid_to"),
    optional_columns=("valid_from", "valid_to", "notes"),
    key_columns=("alias", "valid_from"),
    schema=_schema(
        {
            "alias": pa.Column(str, pa.Check(_not_blank, error="required text is blank"), coerce=True),
            "match": vocab(ALIAS_MATCH),
            "family": text(),
            # The alias names this family for incidents dated within these (empty: open), e.g.
            # a group that changed allegiance.
            "valid_from": iso_date(required=False),
            "valid_to": iso_date(required=False),
            **provenance(),
        }
    ),
)

# Loading order matters: later tables refer to earlier ones.
TABLES: tuple[TableSpec, ...] = (
    BOUNDARIES,
    ACTORS,
    ACTOR_ALIASES,
    THREAT_SCALE,
    ESTIMATIVE_SCALE,
    SITES,
    EVENTS,
    INCIDENTS,
    THREAT_LEVELS,
    INDICATORS,
    JUDGMENTS,
)


def split_list(value: object) -> list[str]:
    """The items of a ';'-separated cell, stripped; an empty cell is an empty list."""
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


# --- plausible date windows -------------------------------------------------------------------------

# Every window lies inside what pandas' nanosecond timestamps can hold (1677-09-21 to 2262-04-11),
# so that no later conversion, chart axis or date control can overflow.
EARLIEST_DATE = date(1678, 1, 1)
LATEST_DATE = date(2261, 12, 31)

# A day as callers hand it to the model and the charts: a date (a pd.Timestamp is one) or ISO text;
# each function reads it with pd.Timestamp.
DateLike = date | str


@dataclass(frozen=True)
class DateWindow:
    """The dates a column may plausibly hold, both ends included."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


# Per table.column: the earliest plausible date, and how many years past the current one the
# window ends (on 31 December). The reasons are in data/README.md ("Plausible dates").
_DEFAULT_WINDOWS: dict[str, tuple[date, int]] = {
    # History can matter (Pakistan-USSR relations from 1947/48); plans may be dated ahead.
    "events.date": (date(1900, 1, 1), 5),
    # GTD starts in 1970 (UCDP GED in 1989, ACLED later); an incident cannot lie in the future,
    # the year ahead only absorbs time zones and feeds dated at the turn of a year.
    "incidents.date": (date(1970, 1, 1), 1),
    # Soviet-era projects (Pakistan Steel, agreed 1971) are in the portfolio; announced = past.
    "sites.announced_date": (date(1900, 1, 1), 1),
    # Ratings rest on incident data (from 1970) and may look a few years ahead.
    "threat_levels.period_start": (date(1970, 1, 1), 5),
    "threat_levels.period_end": (date(1970, 1, 1), 5),
    # Yearly statistics; a target or plan may be a few years ahead.
    "indicators.year": (date(1900, 1, 1), 5),
    # Boundaries and aliases: history, and changes already decided.
    "boundaries.valid_from": (date(1900, 1, 1), 10),
    "boundaries.valid_to": (date(1900, 1, 1), 10),
    "actor_aliases.valid_from": (date(1970, 1, 1), 10),
    "actor_aliases.valid_to": (date(1970, 1, 1), 10),
}


def window_keys() -> list[str]:
    """Every `table.column` that has a plausible window (and may be configured)."""
    return [f"{spec.name}.{column}" for spec in TABLES for column in spec.window_columns]


def date_window(
    table: str, column: str | None = None, configured: Mapping[str, DateWindow] | None = None
) -> DateWindow:
    """The plausible window of a table's date column (default: its first one).

    `configured` is a scenario's `date_windows` (Dataset.date_windows, read from catalog.json):
    a window for `table.column`, else for `table`, overrides the default. An importer applies
    the same window to the rows it imports, so that what it imports the loader keeps."""
    spec = next((s for s in TABLES if s.name == table), None)
    if spec is None or not spec.window_columns:
        raise KeyError(f"{table} has no date columns")
    column = column or spec.window_columns[0]
    key = f"{table}.{column}"
    if key not in _DEFAULT_WINDOWS:
        raise KeyError(f"{key} is not a date column")
    configured = configured or {}
    if key in configured:
        return configured[key]
    if table in configured:
        return configured[table]
    start, years_ahead = _DEFAULT_WINDOWS[key]
    return DateWindow(start, date(date.today().year + years_ahead, 12, 31))


def window_label(spec: TableSpec, column: str) -> str:
    """How a reason names the window: the table, and the column where the table has several."""
    return spec.name if len(spec.window_columns) == 1 else f"{spec.name} {column}"
