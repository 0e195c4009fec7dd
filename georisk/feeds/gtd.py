"""The Global Terrorism Database (START, University of Maryland), by its codebook columns, as CSV
or Excel. A month or day of 0 means unknown: the date then has month or year precision. Rows of
another country than the scenario's are refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from georisk.feeds.core import Report
from georisk.feeds.reading import empty_rows, frame_for, read_table, refuse, require

REQUIRED = ("eventid", "iyear", "imonth", "iday", "latitude", "longitude", "gname")
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
# GTD's specificity: 1 the place itself, 2 its district, 3 and 4 the province or wider, 5 unknown.
SPECIFICITY = {"1": "town", "2": "district", "3": "province", "4": "province", "5": "province"}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")


def _int(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def read(
    data: bytes,
    name: str,
    mapping_text: str | None = None,
    encoding: str = "auto",
    country: str | None = "Pakistan",
) -> tuple[pd.DataFrame, Report]:
    frame, used, ragged = read_table(data, name, encoding)
    require(frame, REQUIRED, name, "a Global Terrorism Database file")
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
    rows["incident_id"] = "GTD-" + frame["eventid"].astype(str)
    rows["lat"], rows["lon"] = frame["latitude"], frame["longitude"]
    rows["geo_precision"] = (
        _column(frame, "specificity").astype("string").str.split(".").str[0].map(SPECIFICITY).fillna("town")
    )
    rows["location"] = _column(frame, "city")
    rows["district"] = _column(frame, "city")
    rows["province"] = _column(frame, "provstate")
    rows["group"] = frame["gname"]
    attack = _column(frame, "attacktype1_txt").astype("string")
    suicide = _column(frame, "suicide").astype("string").str.strip().isin(["1", "1.0"])
    rows["attack_type"] = (
        attack.map(ATTACK_TYPES)
        .fillna("unknown")
        .where(~(suicide & attack.eq("Bombing/Explosion")), "suicide bombing")
    )
    rows["target_type"] = _column(frame, "targtype1_txt").astype("string").map(TARGET_TYPES).fillna("unknown")
    rows["killed"] = _column(frame, "nkill")
    rows["wounded"] = _column(frame, "nwound")
    rows["summary"] = _column(frame, "summary")
    cite = _column(frame, "scite1").fillna("").astype(str)
    rows["source"] = (
        "GTD " + frame["eventid"].astype(str) + np.where(cite != "", " (" + cite.str[:200] + ")", "")
    )
    rows["confidence"] = "reported"
    if country and "country_txt" in frame.columns:
        other = frame["country_txt"].astype("string").str.strip() != country
        refuse(rows, other, "country_txt", "another country than " + country, frame["country_txt"])
    return frame_for(rows, ragged), Report("gtd", name, used)
