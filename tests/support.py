"""Helpers several test files share (feed rows, model fixtures, filter strategies)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
from hypothesis import strategies as st
from shapely.geometry import Point, box

from georisk import feeds
from georisk.model import context as model_context
from georisk.model import projection, scoring
from georisk.model import settings as model_settings
from georisk.scenario.dataset import Dataset, load_dataset
from georisk.view import (
    Choices,
    Filters,
    choices_for,
)
from tests.conftest import DATA, ROOT


@cache
def bundled() -> Dataset:
    """The bundled scenario, loaded once for the whole test session and shared by every test that
    only reads it (a test that changes a dataset loads its own copy with load_dataset)."""
    return load_dataset(DATA)


CONTEXT = feeds.context_for(DATA)


ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
    "source,notes,fatalities,timestamp"
)


def acled_row(
    event_id="PAK1",
    date="15 December 2016",
    event_type="Explosions/Remote violence",
    sub_event="Suicide bomb",
    actor1="TTP: Tehreek-i-Taliban Pakistan",
    actor2="Police Forces of Pakistan (2013-2018)",
    admin1="Khyber Pakhtunkhwa",
    lat="34.0151",
    lon="71.5249",
    fatalities="3",
) -> str:
    return (
        f"{event_id},{date},2016,1,Political violence,{event_type},{sub_event},{actor1},,2,{actor2},{admin1},"
        f"Peshawar,,Peshawar,{lat},{lon},1,Test source,A test event.,{fatalities},1700000000"
    )


def issues(report) -> dict[int, tuple[str, str]]:
    frame = report.issues_frame()
    return {int(r.row): (r.status, r.reason) for r in frame.itertuples()}


GTD_COLUMNS = [
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "country_txt",
    "provstate",
    "city",
    "latitude",
    "longitude",
    "specificity",
    "attacktype1_txt",
    "targtype1_txt",
    "gname",
    "nkill",
    "nwound",
    "suicide",
    "summary",
    "scite1",
]


def gtd_frame() -> pd.DataFrame:
    rows = [
        [
            "201612150001",
            2016,
            12,
            15,
            "Pakistan",
            "Sindh",
            "Karachi",
            24.86,
            67.01,
            1,
            "Bombing/Explosion",
            "Utilities",
            "Baloch Republican Army (BRA)",
            0,
            2,
            0,
            "A test blast.",
            "Test citation",
        ],
        [
            "201612000002",
            2016,
            12,
            0,
            "Pakistan",
            "Balochistan",
            "Quetta",
            30.18,
            67.0,
            1,
            "Bombing/Explosion",
            "Police",
            "Tehrik-i-Taliban Pakistan (TTP)",
            5,
            10,
            1,
            "",
            "",
        ],
        [
            "201600000003",
            2016,
            0,
            0,
            "Pakistan",
            "Punjab",
            "Lahore",
            31.55,
            74.34,
            1,
            "Armed Assault",
            "Private Citizens & Property",
            "Unknown",
            "",
            "",
            0,
            "",
            "",
        ],
        [
            "201612150004",
            2016,
            12,
            15,
            "Afghanistan",
            "Kabul",
            "Kabul",
            34.5,
            69.2,
            1,
            "Armed Assault",
            "Police",
            "Taliban",
            3,
            1,
            0,
            "",
            "",
        ],
    ]
    return pd.DataFrame(rows, columns=GTD_COLUMNS)


@cache
def choices() -> Choices:
    return choices_for(bundled())


def subsets(values):
    return st.lists(st.sampled_from(values), unique=True, max_size=3).map(
        lambda chosen: tuple(v for v in values if v in chosen)
    )


@st.composite
def valid_filters(draw) -> Filters:
    """Any filter the sidebar can produce: from <= to <= as-of, inside the data's dates."""
    c = choices()
    dates = st.dates(min_value=c.first_date, max_value=c.last_date)
    a, b, asof = sorted([draw(dates), draw(dates), draw(dates)])
    return Filters(
        sectors=draw(subsets(c.sectors)),
        regions=draw(subsets(c.regions)),
        actors=draw(subsets(c.actors)),
        categories=draw(subsets(c.categories)),
        start=a,
        end=b,
        asof=asof,
    )


GEOD = pyproj.Geod(ellps="WGS84")


SITE_LON, SITE_LAT = 70.0, 30.0


ASOF = pd.Timestamp("2016-12-15")


def offset(km_east: float, km_north: float = 0.0) -> tuple[float, float]:
    """The point `km_east` then `km_north` km from the site, along geodesics."""
    lon, lat, _ = GEOD.fwd(SITE_LON, SITE_LAT, 90, km_east * 1000)
    lon, lat, _ = GEOD.fwd(lon, lat, 0, km_north * 1000)
    return lon, lat


def incident(
    km_east: float,
    days_before: int,
    killed: float = 1,
    wounded: float = 0,
    family: str = "Hostile",
    target: str = "civilians",
    precision: str = "town",
) -> dict:
    lon, lat = offset(km_east)
    return {
        "date": ASOF - pd.Timedelta(days=days_before),
        "lon": lon,
        "lat": lat,
        "geo_precision": precision,
        "killed": killed,
        "wounded": wounded,
        "actor_family": family,
        "target_type": target,
    }


def incidents_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["date", "lon", "lat", "geo_precision", "killed", "wounded", "actor_family", "target_type"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["killed"] = frame["killed"].astype("Float64")
    frame["wounded"] = frame["wounded"].astype("Float64")
    return frame


def levels(overall: int = 2, hostile: int | None = 3) -> pd.DataFrame:
    rows = [("Testland", "2016-01-01", "2016-12-31", "all", overall)]
    if hostile is not None:
        rows.append(("Testland", "2016-01-01", "2016-12-31", "Hostile", hostile))
    frame = pd.DataFrame(rows, columns=["province", "period_start", "period_end", "actor_family", "level"])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    return frame


ACTORS = pd.DataFrame({"family": ["Hostile", "Other"], "hostile_to": ["Partnerland;Elsewhere", "Elsewhere"]})


BOUNDARIES = gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(65, 25, 75, 35)], crs="EPSG:4326")


def context(rows: list[dict], threat: pd.DataFrame | None = None) -> model_context.ModelContext:
    return model_context.context_for(
        incidents_frame(rows),
        levels() if threat is None else threat,
        ACTORS,
        BOUNDARIES,
        projection=projection.Projection(SITE_LON, SITE_LAT),
    )


def site(geometry=None, criticality: int = 4, sector: str = "energy") -> dict:
    return {
        "site_id": "s1",
        "name": "Test site",
        "sector": sector,
        "status": "operational",
        "partner_country": "Partnerland",
        "criticality": criticality,
        "provinces": "Testland",
        "geometry": geometry if geometry is not None else Point(SITE_LON, SITE_LAT),
    }


def score_point(
    ctx: model_context.ModelContext,
    params: model_settings.ModelSettings = model_settings.DEFAULTS,
    **site_args,
) -> scoring.UnitScore:
    s = site(**site_args)
    return scoring.score_unit(s, 1, 1, ctx.whole(s["geometry"]), ctx, ASOF, params)


PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


BASELINE = bundled()


def imported_copy(tmp_path: Path, data_copy: Path) -> Path:
    feed = tmp_path / "export.csv"
    feed.write_text("\n".join([ACLED_HEADER, acled_row("PAK1"), acled_row("PAK2")]), encoding="utf-8")
    feeds.import_file("acled", feed, data_copy)
    return data_copy


DATASET = bundled()
