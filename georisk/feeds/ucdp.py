"""The UCDP Georeferenced Event Dataset (Uppsala Conflict Data Program), by its codebook columns,
as CSV (with or without HDX's HXL tag row on the second line), Excel or Parquet.

One row is an event of organised violence with at least one death. In state-based conflict side_a
is a government and side_b the rebel group (or another government); in one-sided violence side_a
is the perpetrator and side_b "Civilians"; in non-state conflict both are non-state groups. The
group of an incident is the first side that is neither a government nor civilians. Events where
no such side exists (a war between states, a government's violence against civilians) are out of
scope and refused with that reason.

Target: only one-sided violence says who was attacked (civilians); a clash between two sides
does not say which one struck, so its target is unknown.

Precision comes from the feed: where_prec 1-7 (1 the exact place ... 4 a province, 5 an area or
line wider than a province, 6 the country, 7 at sea or in the air) and date_prec 1-5 (1 the day,
2-4 within a week or a month, 5 within a year). Deaths are UCDP's best estimate; when its low and
high estimates differ the row's notes give them.
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
from georisk.scenario.precision import UCDP_WHERE

REQUIRED = ("id", "type_of_violence", "side_a", "side_b", "latitude", "longitude", "date_start", "best")
DATE_PRECISION = {"1": "day", "2": "month", "3": "month", "4": "month", "5": "year"}
LICENCE = "CC BY 4.0 (UCDP GED as published on HDX)"
CITATION = (
    "Uppsala Conflict Data Program, UCDP GED (Sundberg and Melander 2013, "
    "Journal of Peace Research 50(4)); the dataset's version as downloaded"
)


def _is_state_or_civilians(names: pd.Series) -> pd.Series:
    text = names.fillna("").astype(str).str.strip()
    return text.str.startswith("Government of") | (text == "Civilians") | (text == "")


def read(
    data: bytes, name: str, context: FeedContext, mapping_text: str | None = None, encoding: str = "auto"
) -> tuple[pd.DataFrame, Report]:
    frame, used, ragged, notes = read_table(data, name, encoding)
    require(frame, REQUIRED, name, "a UCDP GED file")
    rows = empty_rows(frame.index)
    side_a, side_b = feed_column(frame, "side_a"), feed_column(frame, "side_b")
    a_is_state = _is_state_or_civilians(side_a)
    b_is_state = _is_state_or_civilians(side_b)
    rows["group"] = side_a.where(~a_is_state, side_b.where(~b_is_state))
    # Only one-sided violence says who was attacked (civilians); in a clash between two sides,
    # UCDP does not say which side struck.
    rows["target_type"] = coded(frame, "type_of_violence", {"3": "civilians"}, "unknown")
    rows["attack_type"] = "unknown"
    rows["attribution"] = "attributed"  # UCDP names the sides of every event it codes
    event_id = frame["id"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    rows["incident_id"] = "UCDP-" + event_id
    rows["_date_raw"] = frame["date_start"]
    rows["date"] = dates(frame["date_start"], ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"))
    rows["date_precision"] = coded(frame, "date_prec", DATE_PRECISION, "day")
    rows["lat"], rows["lon"] = frame["latitude"], frame["longitude"]
    rows["geo_precision"] = coded(frame, "where_prec", UCDP_WHERE, "unknown")
    copy_columns(rows, frame, {"location": "where_coordinates", "district": "adm_2", "province": "adm_1"})
    rows["killed"] = frame["best"]
    rows["wounded"] = pd.NA
    low, high = (
        pd.to_numeric(feed_column(frame, "low"), errors="coerce"),
        pd.to_numeric(feed_column(frame, "high"), errors="coerce"),
    )
    spread = low.notna() & high.notna() & (low != high)
    rows["notes"] = np.where(
        spread,
        "UCDP deaths: best "
        + frame["best"].astype(str)
        + ", low "
        + low.astype("Int64").astype(str)
        + ", high "
        + high.astype("Int64").astype(str),
        None,
    )
    rows["summary"] = (
        feed_column(frame, "dyad_name").fillna("").astype(str)
        + np.where(feed_column(frame, "where_description").fillna("") != "", ": ", "")
        + feed_column(frame, "where_description").fillna("").astype(str)
    )
    article = feed_column(frame, "source_article").fillna("").astype(str).str.replace(r"\s+", " ", regex=True)
    rows["source"] = cited("UCDP GED event ", event_id.fillna(""), article, limit=200)
    rows["confidence"] = "reported"
    neither = a_is_state & b_is_state
    dyad = feed_column(frame, "dyad_name").fillna("").astype(str)
    refuse(
        rows,
        neither,
        "side_a",
        "no non-state side (" + dyad + "): a government's war or violence, not a militant incident",
        side_a,
    )
    refuse_other_countries(rows, frame, "country", context.country)
    report = Report("ucdp", name, used, notes=notes, licence=LICENCE, citation=CITATION)
    return frame_for(rows, ragged), report
