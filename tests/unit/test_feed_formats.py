"""Real files as they come: GTD in the forms its users hold, UCDP GED, unknown counts, attribution
words, where an incident is (border tolerance, boundary changes), and actor names. Fixtures are
written here from the documented columns; no rows are copied from real feeds."""

from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import pytest

from georisk import feeds
from georisk.feeds.families import attribution_in_name, family_lookup
from georisk.view import Filters, filtered
from tests.conftest import DATA
from tests.support import bundled, gtd_frame, issues

CONTEXT = feeds.context_for(DATA)


def gtd_full() -> pd.DataFrame:
    frame = gtd_frame()
    frame["success"] = [1, 0, 1, 1]
    frame["claimed"] = [1, 0, -9, 0]
    frame["guncertain1"] = [0, 1, 0, 0]
    frame["weaptype1_txt"] = ["Explosives", "Explosives", "Firearms", "Firearms"]
    frame["targtype2_txt"] = ["Police", "", "", ""]
    frame["targtype3_txt"] = ["", "", "", ""]
    return frame


def as_bytes(frame: pd.DataFrame, form: str) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if form == "csv":
        return frame.to_csv(index=False).encode(), "gtd.csv"
    if form == "xlsx":
        frame.to_excel(buffer, index=False)
        return buffer.getvalue(), "gtd.xlsx"
    frame.astype(str).to_parquet(buffer, index=False)
    return buffer.getvalue(), "gtd.parquet"


@pytest.mark.parametrize("form", ["csv", "xlsx", "parquet"])
def test_gtd_in_every_form_keeps_outcome_suicide_weapon_targets_and_attribution(form):
    data, name = as_bytes(gtd_full(), form)
    incidents, report = feeds.run("gtd", data, name, CONTEXT)
    assert report.summary() == "read=4 imported=3 unmapped=0 rejected=1" and report.out_of_scope == 1
    rows = incidents.set_index("incident_id")
    assert rows.at["GTD-201612000002", "outcome"] == "failed", "a failed attack is kept"
    assert rows.at["GTD-201612150001", "outcome"] == "succeeded"
    assert rows.at["GTD-201612000002", "suicide"] == 1 and rows.at["GTD-201612150001", "suicide"] == 0
    assert rows.at["GTD-201612150001", "weapon_type"] == "Explosives"
    assert rows.at["GTD-201612150001", "target_type2"] == "police" and pd.isna(
        rows.at["GTD-201612000002", "target_type2"]
    )
    assert rows.at["GTD-201612150001", "attribution"] == "claimed"
    assert rows.at["GTD-201612000002", "attribution"] == "suspected", "guncertain1 = 1"
    assert rows.at["GTD-201600000003", "attribution"] == "unknown", "the group is Unknown"
    assert pd.isna(rows.at["GTD-201600000003", "killed"]), "nkill blank stays blank"
    assert rows.at["GTD-201612150001", "geo_precision"] == "town"


def test_gtd_without_eventid_gets_stable_ids_derived_from_each_row():
    frame = gtd_full().drop(columns="eventid")
    first, report = feeds.run("gtd", frame.to_csv(index=False).encode(), "extract.csv", CONTEXT)
    again, _ = feeds.run("gtd", frame.to_csv(index=False).encode(), "extract.csv", CONTEXT)
    assert report.imported == 3 and list(first["incident_id"]) == list(again["incident_id"])
    assert first["incident_id"].str.fullmatch(r"GTD-h[0-9a-f]{16}").all()
    assert any("no eventid column" in note for note in report.notes)


def test_gtd_takes_its_country_from_the_scenario():
    frame = gtd_full()
    frame["country_txt"] = "Afghanistan"
    other = replace(CONTEXT, country="Afghanistan")
    _, report = feeds.run("gtd", frame.to_csv(index=False).encode(), "gtd.csv", other)
    assert report.out_of_scope == 0, "an Afghan scenario keeps Afghan rows"


@pytest.mark.parametrize(
    "cell,killed,note",
    [
        ("Unknown", None, None),
        ("N/A", None, None),
        ("-", None, None),
        ("", None, None),
        ("not given", None, None),  # declared by the mapping
        ("5-7", 5, "range 5-7"),
        ("12+", 12, "lower bound"),
        ("-99", None, "coded as unknown"),
        ("1,149", 1149, None),
    ],
)
def test_an_unknown_count_is_unknown_never_a_rejected_incident(cell, killed, note):
    mapping = (
        '[file]\nunknown_words = ["not given"]\n[columns]\ndate = "Date"\nkilled = "Killed"\nprovince = "P"\n'
    )
    text = pd.DataFrame({"Date": ["2016-01-05"], "Killed": [cell], "P": ["Sindh"]}).to_csv(index=False)
    incidents, report = feeds.run("csv", text.encode(), "feed.csv", CONTEXT, mapping)
    assert report.imported == 1, report.issues_frame()
    value = incidents.at[0, "killed"]
    assert pd.isna(value) if killed is None else value == killed
    if note:
        assert note in incidents.at[0, "notes"]


def test_a_count_that_is_not_a_number_still_rejects_its_row():
    mapping = '[columns]\ndate = "Date"\nkilled = "Killed"\nprovince = "P"\n'
    text = "Date,Killed,P\n2016-01-05,many,Sindh\n"
    _, report = feeds.run("csv", text.encode(), "feed.csv", CONTEXT, mapping)
    assert issues(report)[2] == ("rejected", "not a number")


@pytest.mark.parametrize(
    "name,cleaned,stated",
    [
        ("TTP (suspected)", "TTP", "suspected"),
        ("suspected Lashkar-e-Jhangvi militants", "Lashkar-e-Jhangvi militants", "suspected"),
        ("claimed by Jamaat-ul-Ahrar", "Jamaat-ul-Ahrar", "claimed"),
        ("Baloch Republican Army (claimed)", "Baloch Republican Army", "claimed"),
        ("Tehrik-i-Taliban Pakistan (TTP)", "Tehrik-i-Taliban Pakistan (TTP)", None),
    ],
)
def test_attribution_words_in_a_group_name_set_the_attribution(name, cleaned, stated):
    names, attribution = attribution_in_name(pd.Series([name]))
    assert names.iloc[0] == cleaned
    assert pd.isna(attribution.iloc[0]) if stated is None else attribution.iloc[0] == stated


def test_attribution_is_imported_and_can_be_filtered():

    mapping = '[columns]\ndate = "Date"\ngroup = "Who"\nprovince = "P"\n'
    text = (
        "Date,Who,P\n2016-01-05,TTP (suspected),Sindh\n2016-01-06,claimed by TTP,Sindh\n"
        "2016-01-07,TTP,Sindh\n"
    )
    incidents, _ = feeds.run("csv", text.encode(), "feed.csv", CONTEXT, mapping)
    assert list(incidents["attribution"]) == ["suspected", "claimed", "attributed"]
    assert (incidents["actor_family"] == "TTP").all(), "the words do not hide the family"
    kept = filtered(incidents, "incidents", Filters(attributions=("claimed",)))
    assert list(kept["attribution"]) == ["claimed"]


UCDP_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,conflict_name,"
    "dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,side_b_new_id,"
    "side_b,number_of_sources,source_article,source_office,source_date,source_headline,source_original,"
    "where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,"
    "country,iso3,country_id,region,event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,"
    "deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
)
HXL = ",,#date+year,,,,,,,,,,,,#group+name+first,,,#group+name+second" + "," * 32


def ucdp_row(
    event_id,
    side_a="Government of Pakistan",
    side_b="TTP",
    where_prec=1,
    date_prec=1,
    violence=1,
    best=3,
    low=2,
    high=5,
    adm_1="Khyber Pakhtunkwa province",
    lat=34.0151,
    lon=71.5249,
    date="2016-12-15 00:00:00.000",
) -> str:
    cells = [
        event_id,
        "R",
        "2016",
        "1",
        "Clear",
        violence,
        "1",
        "1",
        "Pakistan: Government",
        "1",
        "1",
        f"{side_a} - {side_b}",
        "1",
        "1",
        side_a,
        "2",
        "2",
        side_b,
        "1",
        '"Dawn, a report\nwith a line break"',
        "",
        "",
        "",
        "",
        where_prec,
        "Peshawar town",
        "near Peshawar",
        adm_1,
        "Peshawar district",
        lat,
        lon,
        f"POINT ({lon} {lat})",
        "1",
        "Pakistan",
        "PAK",
        "770",
        "Asia",
        "1",
        date_prec,
        date,
        date,
        "0",
        "0",
        "0",
        "0",
        best,
        high,
        low,
        "770",
        "",
    ]
    return ",".join(str(c) for c in cells)


def test_ucdp_ged_with_its_hxl_row_precision_and_sides():
    lines = [
        UCDP_HEADER,
        HXL,
        ucdp_row("1"),  # row 3
        ucdp_row("2", where_prec=3, date_prec=4),  # a district, a month
        ucdp_row("3", side_a="TTP", side_b="Civilians", violence=3, where_prec=4),
        ucdp_row(
            "4", side_a="Government of India", side_b="Government of Pakistan", adm_1="Azad Jammu & Kashmir"
        ),
        ucdp_row("5", where_prec=6, adm_1="FATA", date="2019-02-01 00:00:00.000", lat=32.5, lon=69.9),
    ]
    incidents, report = feeds.run("ucdp", "\n".join(lines).encode(), "ged.csv", CONTEXT)
    assert report.summary() == "read=5 imported=4 unmapped=0 rejected=1" and report.out_of_scope == 1
    assert any("HXL" in note for note in report.notes)
    assert issues(report)[6][0] == "rejected" and "no non-state side" in issues(report)[6][1]
    rows = incidents.set_index("incident_id")
    assert list(rows["geo_precision"]) == ["town", "district", "province", "country"]
    assert rows.at["UCDP-2", "date_precision"] == "month"
    assert rows.at["UCDP-1", "group"] == "TTP" and rows.at["UCDP-1", "actor_family"] == "TTP"
    assert rows.at["UCDP-3", "target_type"] == "civilians" and rows.at["UCDP-1", "target_type"] == "unknown"
    assert rows.at["UCDP-1", "killed"] == 3 and "low 2, high 5" in rows.at["UCDP-1", "notes"]
    assert rows.at["UCDP-1", "province"] == "Khyber Pakhtunkhwa", "UCDP's spelling is recognised"
    assert rows.at["UCDP-5", "province"] == "Khyber Pakhtunkhwa", "FATA no longer existed in 2019"
    assert list(rows["source_row"]) == [3, 4, 5, 7], "rows of the file, HXL row counted"
    assert report.licence.startswith("CC BY 4.0") and "Uppsala" in report.citation


def test_a_point_near_the_feeds_province_keeps_it_and_a_far_one_is_flagged():
    mapping = (
        '[columns]\ndate = "Date"\nlatitude = "Lat"\nlongitude = "Lon"\nprovince = "P"\n'
        '[constants]\ngeo_precision = "town"\n'
    )
    rows = [
        "2016-01-05,24.86,67.01,Sindh",  # Karachi, in Sindh: no disagreement
        "2016-01-05,31.55,74.34,Sindh",  # Lahore: hundreds of km from Sindh -> flagged
        "2016-01-05,28.564,69.507,Sindh",  # about 4 km over the Sindh-Punjab line -> Sindh kept
    ]
    incidents, report = feeds.run(
        "csv", ("Date,Lat,Lon,P\n" + "\n".join(rows)).encode(), "f.csv", CONTEXT, mapping
    )
    assert (report.province_border, report.province_far) == (1, 1)
    assert list(incidents["province"]) == ["Sindh", "Sindh", "Sindh"]
    assert pd.isna(incidents.at[0, "location_flag"]) and pd.isna(incidents.at[2, "location_flag"])
    assert "km from Sindh, the feed's province" in incidents.at[1, "location_flag"]
    assert issues(report)[4][0] == "province_kept"


def test_a_point_in_fata_is_placed_in_the_province_that_existed_on_its_date():
    mapping = '[columns]\ndate = "Date"\nlatitude = "Lat"\nlongitude = "Lon"\n'
    text = "Date,Lat,Lon\n2018-05-30,32.5,69.9\n2018-05-31,32.5,69.9\n"  # South Waziristan
    incidents, _ = feeds.run("csv", text.encode(), "f.csv", CONTEXT, mapping)
    assert list(incidents["province"]) == ["FATA", "Khyber Pakhtunkhwa"]


def test_group_names_match_after_normalising_case_punctuation_and_brackets():
    lookup = family_lookup(bundled().actor_aliases)
    assert lookup("Ansar al-Sharia (Pakistan)") == lookup("Ansar al-Sharia Pakistan") == "Al-Qaeda affiliates"
    assert lookup("TEHRIK-I-TALIBAN PAKISTAN") == lookup("Tehrik i Taliban Pakistan") == "TTP"
    assert lookup("Hizb-ul-Ahrar") == "Jamaat-ul-Ahrar" and lookup("BLUF") == "Baloch separatists"
    assert lookup("Abdullah Azzam Brigades") == "Al-Qaeda affiliates"


def test_an_alias_with_a_validity_period_names_its_family_by_date():
    lookup = family_lookup(bundled().actor_aliases)
    assert lookup("Jundallah (Pakistan)", "2014-06-01") == "TTP"
    assert lookup("Jundallah (Pakistan)", "2015-06-01") == "IS-Khorasan"
    names = pd.Series(["Jundallah (Pakistan)", "Jundallah (Pakistan)"])
    dates = pd.Series(pd.to_datetime(["2014-06-01", "2015-06-01"]))
    assert list(lookup.families(names, dates)) == ["TTP", "IS-Khorasan"]


def test_the_report_lists_the_most_frequent_unknown_names_first():
    mapping = '[columns]\ndate = "Date"\ngroup = "Who"\nprovince = "P"\n'
    who = ["Group B"] + ["Group A"] * 3 + ["Group C"] * 2
    text = "Date,Who,P\n" + "\n".join(f"2016-01-05,{w},Sindh" for w in who)
    _, report = feeds.run("csv", text.encode(), "f.csv", CONTEXT, mapping)
    assert list(report.unknown_actors.items()) == [("Group A", 3), ("Group C", 2), ("Group B", 1)]


def test_a_utf16_file_with_its_byte_order_mark_is_read_as_text():
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark (a zero byte in every ASCII
    character, which must not make the file look binary)."""
    from georisk.feeds.reading import read_table
    from georisk.scenario import decoding

    text = "event_id,location\nPAK1,São Paulo Road\n"
    for codec in ("utf-16-le", "utf-16-be"):
        bom = decoding.codecs.BOM_UTF16_LE if codec.endswith("le") else decoding.codecs.BOM_UTF16_BE
        raw = bom + text.encode(codec)
        assert decoding.decode(raw) == (text, "utf-16", None)
        frame, used, bad, _ = read_table(raw, "feed.csv")
        assert used == "utf-16" and not bad
        assert list(frame.iloc[0]) == ["PAK1", "São Paulo Road"]
    # Bytes that start like the mark but cannot be UTF-16 (an odd length) are read as before.
    lookalike = "ÿþ,Lahor\n".encode("cp1252")
    assert decoding.decode(lookalike).text == "ÿþ,Lahor\n"
