"""ACLED exports (acleddata.com), by their documented columns.

Only political violence becomes an incident: event types "Battles", "Explosions/Remote
violence" and "Violence against civilians". Other rows (protests, riots, strategic developments)
are refused with their event type as the reason. The perpetrator is the first of actor1 and
actor2 that is neither a state force nor civilians; the target type comes from the other actor or
from ACLED's civilian-targeting flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from georisk.feeds.core import FeedContext, Report
from georisk.feeds.reading import (
    cited,
    coded,
    copy_columns,
    dates,
    empty_rows,
    feed_column,
    frame_for,
    read_table,
    refuse,
    refuse_other_countries,
    require,
)
from georisk.scenario.precision import ACLED_GEO

REQUIRED = ("event_id_cnty", "event_date", "event_type", "actor1", "latitude", "longitude")
VIOLENT = ("Battles", "Explosions/Remote violence", "Violence against civilians")
ATTACK_TYPES = {
    "Suicide bomb": "suicide bombing",
    "Remote explosive/landmine/IED": "bombing",
    "Grenade": "bombing",
    "Shelling/artillery/missile attack": "rocket attack",
    "Air/drone strike": "other",
    "Armed clash": "armed assault",
    "Attack": "armed assault",
    "Abduction/forced disappearance": "kidnapping",
    "Sexual violence": "other",
    "Government regains territory": "other",
    "Non-state actor overtakes territory": "other",
}
# Actor names that say who was hit rather than who struck.
TARGETS = (
    ("Police Forces", "police"),
    ("Military Forces", "military"),
    ("Civilians", "civilians"),
    ("Government of", "government"),
)
NOT_PERPETRATORS = ("Police Forces", "Military Forces", "Civilians", "Protesters", "Rioters", "Government of")
# ACLED's time_precision: 1 an actual date, 2 a week or similar period, 3 only the month.
TIME_PRECISION = {"1": "day", "2": "month", "3": "month"}
LICENCE = "ACLED Terms of Use and Attribution Policy (acleddata.com); no redistribution of raw data"
CITATION = "Armed Conflict Location & Event Data Project (ACLED); www.acleddata.com"


def _is_state_or_civilian(names: pd.Series) -> pd.Series:
    text = names.fillna("").astype(str)
    return np.logical_or.reduce([text.str.startswith(p) for p in NOT_PERPETRATORS]) | (text.str.strip() == "")


def _target(actor: pd.Series) -> pd.Series:
    text = actor.fillna("").astype(str)
    result = pd.Series("unknown", index=actor.index, dtype=object)
    for prefix, target in reversed(TARGETS):
        result[text.str.startswith(prefix)] = target
    return result


def read(
    data: bytes, name: str, context: FeedContext, mapping_text: str | None = None, encoding: str = "auto"
) -> tuple[pd.DataFrame, Report]:
    frame, used, ragged, notes = read_table(data, name, encoding)
    require(frame, REQUIRED, name, "an ACLED export")
    rows = empty_rows(frame.index)
    actor1, actor2 = feed_column(frame, "actor1"), feed_column(frame, "actor2")
    first_is_state = pd.Series(_is_state_or_civilian(actor1), index=frame.index)
    rows["group"] = actor1.where(~first_is_state, actor2)
    target = _target(actor2.where(~first_is_state, actor1))
    civilian = (
        feed_column(frame, "civilian_targeting").fillna("").astype(str).str.contains("Civilian", case=False)
    )
    target[civilian & (target == "unknown")] = "civilians"
    sub_event = feed_column(frame, "sub_event_type").fillna("").astype(str)
    rows["attack_type"] = sub_event.map(ATTACK_TYPES).fillna("unknown")
    rows["target_type"] = target
    rows["incident_id"] = "ACLED-" + frame["event_id_cnty"].astype(str)
    rows["_date_raw"] = frame["event_date"]
    rows["date"] = dates(frame["event_date"], ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y"))
    rows["date_precision"] = coded(frame, "time_precision", TIME_PRECISION, "day")
    rows["lat"], rows["lon"] = frame["latitude"], frame["longitude"]
    rows["geo_precision"] = coded(frame, "geo_precision", ACLED_GEO, "unknown")
    copy_columns(
        rows,
        frame,
        {"location": "location", "district": "admin2", "province": "admin1", "killed": "fatalities"},
    )
    rows["wounded"] = pd.NA
    rows["summary"] = feed_column(frame, "notes")
    sources = feed_column(frame, "source").fillna("").astype(str)
    rows["source"] = cited("ACLED event ", frame["event_id_cnty"].astype(str), sources)
    rows["confidence"] = "reported"
    event_type = frame["event_type"].astype("string")
    refuse(
        rows,
        ~event_type.isin(VIOLENT),
        "event_type",
        "event type " + event_type.fillna("") + " is not political violence",
        event_type,
    )
    refuse_other_countries(rows, frame, "country", context.country)
    report = Report("acled", name, used, notes=notes, licence=LICENCE, citation=CITATION)
    return frame_for(rows, ragged), report
