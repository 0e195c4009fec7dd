"""The Global Terrorism Database (START, University of Maryland), by its codebook columns, as
CSV, Excel or Parquet, the forms GTD users hold.

A month or day of 0 means unknown: the date then has month or year precision. Rows of another
country than the scenario's are refused as out of scope. Failed attacks (`success` 0) are kept,
with their outcome, so that they can be filtered. An extract that keeps the codebook columns but
lacks `eventid` gets ids derived from each row's content (the same row always gets the same id),
and the report says so.

Attribution (codebook): `claimed` 1 = a group claimed it; `guncertain1` 1 = the attribution rests
on speculation or a dubious claim (suspected); otherwise the group is attributed.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from georisk.feeds.core import FeedContext, Report
from georisk.feeds.reading import (
    cited,
    coded,
    copy_columns,
    empty_rows,
    feed_column,
    frame_for,
    read_table,
    refuse_other_countries,
    require,
)
from georisk.scenario.precision import GTD_SPECIFICITY

REQUIRED = ("iyear", "imonth", "iday", "latitude", "longitude", "gname")
ATTACK_TYPES = {
    "Bombing/Explosion": "bombing",
    "Armed Assault": "armed assault",
    "Assassination": "targeted killing",
    "Hostage Taking (Kidnapping)": "kidnapping",
    "Hostage Taking (Barricade Incident)": "kidnapping",
    "Facility/Infrastructure Attack": "infrastructure sabotage",
    "Hijacking": "other",
    "Unarmed Assault": "other",
    "Unknown": "unknown",
}
TARGET_TYPES = {
    "Military": "military",
    "Police": "police",
    "Government (General)": "government",
    "Government (Diplomatic)": "foreign nationals",
    "Private Citizens & Property": "civilians",
    "Religious Figures/Institutions": "religious site",
    "Utilities": "energy infrastructure",
    "Transportation": "transport",
    "Airports & Aircraft": "transport",
    "Maritime": "transport",
    "Educational Institution": "education",
    "Journalists & Media": "media",
    "Tourists": "foreign nationals",
    "NGO": "health workers",
    "Business": "civilians",
    "Telecommunication": "other",
    "Food or Water Supply": "other",
    "Terrorists/Non-State Militia": "other",
    "Violent Political Party": "other",
    "Other": "other",
    "Unknown": "unknown",
}
LICENCE = "START GTD Terms of Use: no republication of the data online or commercial use without permission"
CITATION = (
    "National Consortium for the Study of Terrorism and Responses to Terrorism (START), "
    "Global Terrorism Database, https://www.start.umd.edu/gtd"
)


def _int(series: pd.Series) -> pd.Series:
    """A codebook number (year, month, day) as a float; NaN unless it is a whole number of at most
    six digits (a year 1e20, "inf" or 2016.5 is not a date part)."""
    values = pd.to_numeric(series, errors="coerce").astype(float)
    return values.where(np.isfinite(values) & (values == values.round()) & (values.abs() < 1e6))


def _flag(series: pd.Series) -> pd.Series:
    """A codebook 1/0 flag as 1.0, 0.0 or NaN (blank, or -9 for not known)."""
    values = pd.Series(
        pd.to_numeric(series, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        index=series.index,
    )
    return values.where(values.isin([0, 1]))


def _derived_ids(frame: pd.DataFrame) -> pd.Series:
    """A stable id for each row from its cells: the same content gives the same id on every import."""
    text = frame.astype(str).agg("\x1f".join, axis=1)
    return text.map(lambda row: "h" + hashlib.sha256(row.encode("utf-8")).hexdigest()[:16])


def _targets(frame: pd.DataFrame, column: str) -> pd.Series:
    return feed_column(frame, column).astype("string").str.strip().replace("", pd.NA).map(TARGET_TYPES)


def read(
    data: bytes, name: str, context: FeedContext, mapping_text: str | None = None, encoding: str = "auto"
) -> tuple[pd.DataFrame, Report]:
    frame, used, ragged, notes = read_table(data, name, encoding)
    require(frame, REQUIRED, name, "a Global Terrorism Database file")
    if "eventid" in frame.columns:
        eventid = frame["eventid"].astype("string").str.strip().replace("", pd.NA)
        eventid = eventid.str.replace(r"\.0$", "", regex=True)
    else:
        eventid = _derived_ids(frame)
        notes.append(
            f"the file has no eventid column: each row's id was derived from its content "
            f"({len(frame):,} rows; the same row gets the same id on every import)"
        )
    rows = empty_rows(frame.index)
    year, month, day = _int(frame["iyear"]), _int(frame["imonth"]), _int(frame["iday"])
    known_month = month.between(1, 12)
    known_day = known_month & day.between(1, 31)
    text = (
        year.astype("Int64").astype("string")
        + "-"
        + month.where(known_month, 1).astype("Int64").astype("string")
        + "-"
        + day.where(known_day, 1).astype("Int64").astype("string")
    )
    rows["_date_raw"] = (
        frame["iyear"].astype(str) + "/" + frame["imonth"].astype(str) + "/" + frame["iday"].astype(str)
    )
    rows["date"] = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    rows["date_precision"] = np.where(known_day, "day", np.where(known_month, "month", "year"))
    rows["incident_id"] = "GTD-" + eventid
    rows["lat"], rows["lon"] = frame["latitude"], frame["longitude"]
    rows["geo_precision"] = coded(frame, "specificity", GTD_SPECIFICITY, "unknown")
    copy_columns(rows, frame, {"location": "city", "district": "city", "province": "provstate"})
    rows["group"] = frame["gname"]
    claimed, uncertain = _flag(feed_column(frame, "claimed")), _flag(feed_column(frame, "guncertain1"))
    rows["attribution"] = np.where(uncertain == 1, "suspected", np.where(claimed == 1, "claimed", None))
    attack = feed_column(frame, "attacktype1_txt").astype("string")
    suicide = _flag(feed_column(frame, "suicide"))
    rows["suicide"] = suicide
    rows["attack_type"] = (
        attack.map(ATTACK_TYPES)
        .fillna("unknown")
        .where(~((suicide == 1) & attack.eq("Bombing/Explosion")).fillna(False), "suicide bombing")
    )
    success = _flag(feed_column(frame, "success"))
    rows["outcome"] = np.where(success == 1, "succeeded", np.where(success == 0, "failed", "unknown"))
    rows["weapon_type"] = feed_column(frame, "weaptype1_txt")
    rows["target_type"] = (
        feed_column(frame, "targtype1_txt").astype("string").map(TARGET_TYPES).fillna("unknown")
    )
    rows["target_type2"] = _targets(frame, "targtype2_txt")
    rows["target_type3"] = _targets(frame, "targtype3_txt")
    copy_columns(rows, frame, {"killed": "nkill", "wounded": "nwound", "summary": "summary"})
    cite = feed_column(frame, "scite1").fillna("").astype(str)
    rows["source"] = cited("GTD ", eventid.fillna(""), cite, limit=200)
    rows["confidence"] = "reported"
    refuse_other_countries(rows, frame, "country_txt", context.country)
    report = Report("gtd", name, used, notes=notes, licence=LICENCE, citation=CITATION)
    return frame_for(rows, ragged), report
