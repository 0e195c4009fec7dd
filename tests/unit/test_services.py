"""The clients for ACLED's and UCDP's APIs against local stand-ins (tests/fakes): a pull is complete
or raises ServiceError, never partial; faults are retried within the budget; tokens are renewed;
secrets never show; what a pull brings imports as the service's own file does."""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from georisk import feeds, synthetic
from georisk.scenario.dataset import load_dataset
from georisk.services import (
    AcledCredentials,
    Budget,
    CredentialsMissing,
    ServiceError,
    UcdpCredentials,
    acled_credentials,
    acled_url,
    forget_tokens,
    pull_acled,
    pull_ucdp,
    redact,
    ucdp_credentials,
    ucdp_url,
)
from georisk.services.http import RetryPolicy, retry_after_seconds
from georisk.services.ucdp_api import candidate_month, yearly_last_day
from tests.conftest import DATA, external
from tests.fakes.acled_server import DEFAULT_EMAIL, DEFAULT_PASSWORD, AcledServer
from tests.fakes.ucdp_server import DEFAULT_TOKEN, UcdpServer, ged_rows

# Short everything: a fault costs milliseconds, not the minutes the defaults would allow.
FAST = RetryPolicy(attempts=3, timeout=0.4, backoff=0.01, backoff_cap=0.05, max_retry_after=5)
START, END = date(2020, 1, 1), date(2020, 12, 31)
PAGE = 5
N_EVENTS = 23  # four full pages of 5 and a short one
TRANSIENT = ("timeout", "500", "503", "429", "drop", "malformed", "truncated")
UCDP_FILE = "ucdp_ged_pakistan.csv"


def acled_rows(n: int = N_EVENTS) -> list[dict]:
    return [
        {
            "event_id_cnty": f"PAK{i}",
            "event_date": (START + timedelta(days=i * 7)).isoformat(),
            "event_type": "Battles",
            "sub_event_type": "Armed clash",
            "actor1": "TTP: Tehreek-i-Taliban Pakistan",
            "actor2": "Military Forces of Pakistan (2013-2018)",
            "admin1": "Khyber Pakhtunkhwa",
            "latitude": str(33.0 + i / 100),
            "longitude": str(71.0 + i / 100),
            "fatalities": str(i % 4),
        }
        for i in range(1, n + 1)
    ]


CREDS = AcledCredentials(DEFAULT_EMAIL, DEFAULT_PASSWORD)


@pytest.fixture(autouse=True)
def fresh_tokens():
    forget_tokens()
    yield
    forget_tokens()


@pytest.fixture
def acled():
    with AcledServer(events=acled_rows()) as server:
        yield server


def pull(server, cursor=None, budget=10.0, creds=CREDS, **kw):
    return pull_acled(
        creds, server.url, "Pakistan", None, START, END, cursor, Budget(budget), PAGE, policy=FAST, **kw
    )


def ids(p) -> set[str]:
    return {row["event_id_cnty"] for row in p.rows}


ALL = {f"PAK{i}" for i in range(1, N_EVENTS + 1)}
# Token, pages 1-5, and the page after the short one, which must be empty.
FULL_REQUESTS = 7


# -- ACLED: complete pulls ---------------------------------------------------------------------
def test_acled_full_pull_reads_every_page_and_says_what_it_covers(acled):
    seen = []
    p = pull(acled, progress=seen.append)
    assert ids(p) == ALL and len(p.rows) == N_EVENTS
    assert p.covers == [("acled", START, END)] and p.withdrawn == []
    assert p.requests == acled.requests == FULL_REQUESTS and p.retries == 0
    assert [s.query["page"] for s in acled.seen[1:]] == ["1", "2", "3", "4", "5", "6"]
    query = acled.seen[1].query
    assert query["event_date"] == "2020-01-01|2020-12-31" and query["event_date_where"] == "BETWEEN"
    assert query["_format"] == "json" and query["country"] == "Pakistan" and query["limit"] == str(PAGE)
    assert len(seen) == 5 and "page 1" in seen[0]
    assert all(isinstance(v, str) for row in p.rows for v in row.values())


def test_acled_token_is_reused_while_valid(acled):
    pull(acled)
    pull(acled)
    assert acled.logins == 1 and acled.refreshes == 0
    assert sum(s.path == "/oauth/token" for s in acled.seen) == 1


def test_acled_bounding_box_is_sent_and_applied(acled):
    box = (71.0, 33.0, 71.1, 33.1)  # west, south, east, north: the first ten events
    p = pull_acled(CREDS, acled.url, None, box, START, END, None, Budget(10), PAGE, policy=FAST)
    assert ids(p) == {f"PAK{i}" for i in range(1, 11)}
    query = acled.seen[1].query
    assert query["latitude"] == "33.0|33.1" and query["latitude_where"] == "BETWEEN"
    assert query["longitude"] == "71.0|71.1" and "country" not in query


def test_acled_duplicates_across_pages_keep_the_later_copy(acled):
    baseline = pull(acled)
    # A revision between two pages moves an event to the front, so it is listed twice.
    acled.events["PAK1"]["event_date"] = "2020-12-30"
    acled.events["PAK1"]["fatalities"] = "9"
    p = pull(acled)
    assert ids(p) == ids(baseline) and len(p.rows) == N_EVENTS
    assert next(r for r in p.rows if r["event_id_cnty"] == "PAK1")["fatalities"] == "9"


# -- ACLED: faults -----------------------------------------------------------------------------
@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("at", [1, 3])  # the token exchange, a page in the middle
def test_acled_transient_fault_is_retried_and_the_pull_is_complete(acled, fault, at):
    acled.inject(fault, at=at, seconds=1.0)
    p = pull(acled)
    assert ids(p) == ALL and len(p.rows) == N_EVENTS
    assert p.retries == 1 and acled.requests == FULL_REQUESTS + 1
    assert any("retried" in note for note in p.notes)


@pytest.mark.parametrize("fault", TRANSIENT)
def test_acled_fault_that_persists_fails_the_pull(acled, fault):
    acled.inject(fault, at=[3, 4, 5], seconds=1.0)
    with pytest.raises(ServiceError, match="page 2 failed 3 times"):
        pull(acled)
    assert acled.requests == 5, "three tries of page 2, then no further page"


def test_acled_repeated_page_fails_the_pull(acled):
    acled.inject("repeat", at=3)
    with pytest.raises(ServiceError, match="same events as page 1"):
        pull(acled)


def test_acled_page_cut_short_fails_the_pull(acled):
    acled.inject("missing", at=3)
    with pytest.raises(ServiceError, match="came incomplete"):
        pull(acled)


def test_acled_4xx_is_not_retried(acled):
    acled.inject("refuse", at=2)
    with pytest.raises(ServiceError, match="HTTP 400"):
        pull(acled)
    assert acled.requests == 2


def test_acled_retry_after_in_seconds_is_honoured(acled):
    acled.inject("429", at=2, retry_after="1")
    began = time.monotonic()
    p = pull(acled)
    assert time.monotonic() - began >= 1.0
    assert ids(p) == ALL and p.retries == 1


def test_acled_retry_after_past_the_budget_fails_at_once(acled):
    acled.inject("429", at=2, retry_after="4")
    began = time.monotonic()
    with pytest.raises(ServiceError, match="wait of 4 s"):
        pull(acled, budget=2.0)
    assert time.monotonic() - began < 1.0, "no sleeping in vain"


def test_acled_retry_after_longer_than_the_client_waits_fails(acled):
    acled.inject("429", at=2, retry_after="3600")
    with pytest.raises(ServiceError, match="asked to wait 3600 s"):
        pull(acled, budget=7200)


def test_retry_after_as_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    later = email.utils.format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, now) == 90
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds(email.utils.format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None) is None


def test_acled_budget_bounds_the_whole_pull(acled):
    acled.inject("timeout", at=range(1, 20), seconds=2.0)
    policy = RetryPolicy(attempts=10, timeout=0.4, backoff=0.01, backoff_cap=0.05)
    began = time.monotonic()
    with pytest.raises(ServiceError):
        pull_acled(CREDS, acled.url, "Pakistan", None, START, END, None, Budget(1.0), PAGE, policy=policy)
    assert time.monotonic() - began < 1.6


# -- ACLED: tokens and credentials -------------------------------------------------------------
def test_acled_expired_token_is_refreshed():
    with AcledServer(events=acled_rows(), token_lifetime=0.5) as server:
        pull(server)
        time.sleep(0.6)
        p = pull(server)
        assert ids(p) == ALL
        assert server.logins == 1 and server.refreshes == 1
        assert "the ACLED token was refreshed" in p.notes


def test_acled_token_refused_mid_pull_is_renewed_once(acled):
    acled.inject("expired", at=4)
    p = pull(acled)
    assert ids(p) == ALL and acled.refreshes == 1 and acled.logins == 1
    assert any("renewed" in n for n in p.notes)


def test_acled_refused_refresh_token_logs_in_again():
    with AcledServer(events=acled_rows(), token_lifetime=0.3, refresh_lifetime=0.3) as server:
        pull(server)
        time.sleep(0.4)
        server._refresh.clear()  # the service forgot it
        p = pull(server)
        assert ids(p) == ALL and server.logins == 2


def test_acled_wrong_credentials_fail_fast_without_showing_them(acled, caplog):
    wrong = AcledCredentials(DEFAULT_EMAIL, "not-the-password-42")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ServiceError, match="ACLED refused the credentials") as raised:
        pull(acled, creds=wrong)
    assert acled.requests == 1, "no retry loop"
    for text in (str(raised.value), repr(raised.value), caplog.text):
        assert "not-the-password-42" not in text


def test_acled_secrets_never_show(acled, caplog):
    caplog.set_level(logging.DEBUG)
    acled.inject("503", at=2)
    acled.inject("expired", at=4)
    p = pull(acled)
    acled.inject("500", at=range(acled.requests + 1, acled.requests + 10))
    with pytest.raises(ServiceError) as raised:
        pull(acled)
    tokens = [s.headers["authorization"].split()[1] for s in acled.seen if "authorization" in s.headers]
    refresh = [s.form["refresh_token"] for s in acled.seen if "refresh_token" in s.form]
    assert tokens and refresh
    shown = [
        caplog.text,
        str(raised.value),
        repr(raised.value),
        repr(p),
        repr(CREDS),
        str(CREDS),
        str(p.notes),
    ]
    for secret in [DEFAULT_PASSWORD, *tokens, *refresh]:
        for text in shown:
            assert secret not in text
    assert "retried" in caplog.text, "the log does say what happened"


def test_redact_masks_credentials_in_every_shape():
    text = (
        "GET https://x/api?email=a@b.org&token=abc123&key=zz9 Authorization: Bearer eyJhbGciOi.x.y "
        '{"access_token": "tok-1", "refresh_token":"tok-2", "password": "pw-3"} '
        "x-ucdp-access-token: u-tok-4 password=hunter22&grant_type=password"
    )
    shown = redact(text)
    for secret in ("abc123", "zz9", "eyJhbGciOi", "tok-1", "tok-2", "pw-3", "u-tok-4", "hunter22"):
        assert secret not in shown
    assert "a@b.org" in shown and "grant_type=password" in shown, "only secrets are masked"
    UcdpCredentials("registered-secret-99")
    assert redact("the value registered-secret-99 appears") == "the value [redacted] appears"


# -- ACLED: incremental pulls ------------------------------------------------------------------
def test_acled_incremental_pull_brings_only_changes_and_deletions(acled):
    first = pull(acled)
    acled.revise("PAK5", fatalities="12")
    acled.delete("PAK7")
    acled.add([{**acled_rows(1)[0], "event_id_cnty": "PAK100", "event_date": "2020-06-15"}])
    since = first.cursor["timestamp"]
    p = pull(acled, cursor=first.cursor)
    assert {"PAK5", "PAK100"} <= ids(p)
    # Events unchanged since the first pull come back only at its last second (read with >=).
    assert all(int(r["timestamp"]) >= since for r in p.rows)
    assert ids(p) - {"PAK5", "PAK100"} <= {
        r["event_id_cnty"] for r in first.rows if int(r["timestamp"]) == since
    }
    assert next(r for r in p.rows if r["event_id_cnty"] == "PAK5")["fatalities"] == "12"
    assert p.withdrawn == ["PAK7"] and "PAK7" not in ids(p)
    assert p.covers == [], "an incremental pull is complete for no date range"
    read = [s for s in acled.seen if s.path == "/api/acled/read"][-1].query
    assert read["timestamp"] == str(since) and read["timestamp_where"] == ">="
    deleted = [s for s in acled.seen if s.path == "/api/deleted/read"][-1].query
    assert deleted["deleted_timestamp_where"] == ">="
    assert p.cursor["timestamp"] > since and p.cursor["deleted_timestamp"] >= since
    # Nothing changed since: the next pull brings nothing new and no deletion again.
    again = pull(acled, cursor=p.cursor)
    assert again.withdrawn == [], "a deletion is reported once"
    assert all(int(r["timestamp"]) == p.cursor["timestamp"] for r in again.rows), "only the last second again"


def test_acled_cursor_is_json(acled):
    import json

    p = pull(acled)
    assert json.loads(json.dumps(p.cursor)) == p.cursor


def test_acled_incremental_pull_reads_a_grown_window_whole(acled):
    first = pull_acled(
        CREDS, acled.url, "Pakistan", None, START, date(2020, 6, 30), None, Budget(10), PAGE, policy=FAST
    )
    p = pull(acled, cursor=first.cursor)  # the window now ends on 31 December
    assert p.covers == [("acled", date(2020, 7, 1), END)]
    assert {r["event_id_cnty"] for r in acled_rows() if r["event_date"] > "2020-06-30"} <= ids(p)


def test_acled_cursor_for_another_scope_means_a_full_read(acled):
    first = pull(acled)
    p = pull_acled(
        CREDS, acled.url, "Afghanistan", None, START, END, first.cursor, Budget(10), PAGE, policy=FAST
    )
    assert p.covers == [("acled", START, END)] and any("another country" in n for n in p.notes)


# -- ACLED: what the importer makes of a pull --------------------------------------------------
def _frame(data: bytes, kind: str) -> pd.DataFrame:
    incidents, report = feeds.run(kind, data, f"pulled.{kind}.csv", feeds.context_for(DATA))
    return incidents.drop(columns=["source_row"]).sort_values("incident_id").reset_index(drop=True)


def test_acled_pull_imports_as_the_export_does():
    dataset = load_dataset(DATA)
    export = synthetic.to_acled(synthetic.incidents(60, dataset.incidents, dataset.boundaries, seed=3))
    export["timestamp"] = range(1_700_000_001, 1_700_000_001 + len(export))
    with AcledServer(events=export.to_dict("records")) as server:
        p = pull_acled(
            CREDS,
            server.url,
            "Pakistan",
            None,
            date(2014, 1, 1),
            date(2018, 12, 31),
            None,
            Budget(10),
            25,
            policy=FAST,
        )
    assert len(p.rows) == len(export)
    from_pull = _frame(p.csv_bytes(), "acled")
    from_export = _frame(export.to_csv(index=False).encode("utf-8"), "acled")
    assert len(from_pull) > 40
    pd.testing.assert_frame_equal(from_pull, from_export, check_dtype=False)


# -- UCDP --------------------------------------------------------------------------------------
@cache
def real_events() -> tuple[dict, ...]:
    return tuple(ged_rows(external(UCDP_FILE)))


def events(first: str, last: str) -> list[dict]:
    return [dict(r) for r in real_events() if first <= r["date_start"][:10] <= last]


UCREDS = UcdpCredentials(DEFAULT_TOKEN)


@pytest.fixture
def ucdp():
    yearly = events("1989-01-01", "2020-12-31")
    candidate = events("2021-06-01", "2021-06-30")
    with UcdpServer({"21.1": yearly, "21.0.6": candidate}) as server:
        server.expected = {str(r["id"]) for r in yearly + candidate}
        yield server


def upull(server, yearly="21.1", candidate="21.0.6", budget=20.0, page_size=1000, creds=UCREDS):
    return pull_ucdp(
        creds,
        server.url,
        770,
        date(1989, 1, 1),
        date(2021, 6, 30),
        yearly,
        candidate,
        Budget(budget),
        page_size,
        policy=FAST,
    )


def test_ucdp_release_names_and_what_they_cover():
    assert yearly_last_day("25.1") == date(2024, 12, 31)
    assert candidate_month("25.0.10") == (date(2025, 10, 1), date(2025, 10, 31))
    assert candidate_month("24.0.12") == (date(2024, 12, 1), date(2024, 12, 31))
    with pytest.raises(ValueError):
        yearly_last_day("25.0.1")
    with pytest.raises(ValueError):
        candidate_month("25.0.13")


def test_ucdp_yearly_and_candidate_with_what_each_covers(ucdp):
    p = upull(ucdp)
    assert {r["id"] for r in p.rows} == ucdp.expected and len(p.rows) == len(ucdp.expected)
    assert p.covers == [
        ("21.1", date(1989, 1, 1), date(2020, 12, 31)),
        ("21.0.6", date(2021, 6, 1), date(2021, 6, 30)),
    ]
    assert {r["_release"] for r in p.rows if r["date_start"] >= "2021"} == {"21.0.6"}
    assert not any("_release" in r for r in p.rows if r["date_start"] < "2021")
    yearly_query = ucdp.seen[0].query
    assert yearly_query == {
        "pagesize": "1000",
        "page": "0",
        "Country": "770",
        "StartDate": "1989-01-01",
        "EndDate": "2020-12-31",
    }
    candidate_query = [s for s in ucdp.seen if s.path.endswith("21.0.6")][0].query
    assert candidate_query["StartDate"] == "2021-01-01" and candidate_query["EndDate"] == "2021-06-30"
    assert all(s.headers["x-ucdp-access-token"] == DEFAULT_TOKEN for s in ucdp.seen)
    assert p.withdrawn == [] and p.retries == 0


def test_ucdp_newest_versions_are_found_when_not_given(ucdp):
    p = upull(ucdp, yearly=None, candidate=None)
    assert p.cursor == {"yearly": "21.1", "candidate": "21.0.6"}
    assert {r["id"] for r in p.rows} == ucdp.expected
    assert "/api/gedevents/22.1" in ucdp.paths(), "tried the release that would cover the window's end"


def test_ucdp_window_inside_the_yearly_release_reads_no_candidate(ucdp):
    p = pull_ucdp(
        UCREDS, ucdp.url, 770, date(2015, 1, 1), date(2015, 12, 31), "21.1", "21.0.6", Budget(10), policy=FAST
    )
    assert p.covers == [("21.1", date(2015, 1, 1), date(2015, 12, 31))]
    assert all(s.path.endswith("/21.1") for s in ucdp.seen)


@pytest.mark.parametrize("fault", TRANSIENT)
def test_ucdp_transient_fault_is_retried_and_the_pull_is_complete(ucdp, fault):
    ucdp.inject(fault, at=3, seconds=1.0)
    p = upull(ucdp)
    assert {r["id"] for r in p.rows} == ucdp.expected and len(p.rows) == len(ucdp.expected)
    assert p.retries == 1


@pytest.mark.parametrize("fault", TRANSIENT)
def test_ucdp_fault_that_persists_fails_the_pull(ucdp, fault):
    ucdp.inject(fault, at=[2, 3, 4], seconds=1.0)
    with pytest.raises(ServiceError, match="failed 3 times"):
        upull(ucdp)


@pytest.mark.parametrize("fault,reason", [("repeat", "same events as page 1"), ("missing", "were due")])
def test_ucdp_repeated_or_missing_page_fails_the_pull(ucdp, fault, reason):
    ucdp.inject(fault, at=3)
    with pytest.raises(ServiceError, match=reason):
        upull(ucdp)


def test_ucdp_counts_that_change_while_reading_fail_the_pull(ucdp):
    class Shrinking(UcdpServer):
        def answer(self, request, fault):
            if request.number == 2:
                self.versions["21.1"] = self.versions["21.1"][:-1]
            return super().answer(request, fault)

    with Shrinking({"21.1": events("1989-01-01", "2020-12-31")}) as server:
        with pytest.raises(ServiceError, match="changed its counts"):
            upull(server, candidate=None)


def test_ucdp_retry_after_is_honoured_and_bounded(ucdp):
    ucdp.inject("429", at=2, retry_after="1")
    began = time.monotonic()
    upull(ucdp)
    assert time.monotonic() - began >= 1.0
    ucdp.inject("429", at=ucdp.requests + 1, retry_after="4")
    with pytest.raises(ServiceError, match="wait of 4 s"):
        upull(ucdp, budget=3)


def test_ucdp_wrong_token_fails_fast_without_showing_it(ucdp, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ServiceError, match="UCDP refused the access token") as raised:
        upull(ucdp, creds=UcdpCredentials("wrong-token-5150"))
    assert ucdp.requests == 1
    for text in (
        str(raised.value),
        repr(raised.value),
        caplog.text,
        repr(UcdpCredentials("wrong-token-5150")),
    ):
        assert "wrong-token-5150" not in text


def test_ucdp_page_size_is_bounded(ucdp):
    with pytest.raises(ValueError, match="1000"):
        upull(ucdp, page_size=1001)


def test_ucdp_pull_imports_as_the_real_file_does():
    path = external(UCDP_FILE)
    with UcdpServer({"22.1": list(real_events())}) as server:
        p = pull_ucdp(
            UCREDS,
            server.url,
            770,
            date(1989, 1, 1),
            date(2021, 12, 31),
            "22.1",
            None,
            Budget(30),
            policy=FAST,
        )
    assert len(p.rows) == 6416 and p.covers == [("22.1", date(1989, 1, 1), date(2021, 12, 31))]
    data = p.csv_bytes()
    assert data.splitlines()[1].decode().split(",")[39].endswith(" 00:00:00.000"), "dates as in the download"
    pd.testing.assert_frame_equal(_frame(data, "ucdp"), _frame(path.read_bytes(), "ucdp"), check_dtype=False)


# -- credentials -------------------------------------------------------------------------------
def test_credentials_from_the_environment_then_the_secrets_file(tmp_path: Path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[acled]\nemail = "file@example.org"\npassword = "file-pw-1"\n[ucdp]\ntoken = "file-tok-2"\n'
    )
    from_file = acled_credentials({}, secrets)
    assert (from_file.email, from_file.password) == ("file@example.org", "file-pw-1")
    mixed = acled_credentials({"ACLED_PASSWORD": "env-pw-3"}, secrets)
    assert (mixed.email, mixed.password) == ("file@example.org", "env-pw-3")
    assert ucdp_credentials({"UCDP_TOKEN": "env-tok-4"}, secrets).token == "env-tok-4"
    assert ucdp_credentials({}, secrets).token == "file-tok-2"
    for shown in (repr(mixed), str(mixed), repr(ucdp_credentials({}, secrets))):
        assert not any(secret in shown for secret in ("file-pw-1", "env-pw-3", "file-tok-2"))
    assert "file@example.org" not in repr(mixed)


def test_missing_credentials_are_named_not_shown(tmp_path: Path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[acled]\npassword = "only-pw-5"\n')
    with pytest.raises(CredentialsMissing, match="ACLED credentials are missing: email") as raised:
        acled_credentials({}, secrets)
    assert "only-pw-5" not in str(raised.value) and "password" not in str(raised.value).split(":")[1]
    with pytest.raises(CredentialsMissing, match="UCDP_TOKEN"):
        ucdp_credentials({}, tmp_path / "absent.toml")
    secrets.write_text('[acled]\npassword = "broken-pw-6\n')
    with pytest.raises(CredentialsMissing, match="could not be read") as raised:
        acled_credentials({}, secrets)
    assert "broken-pw-6" not in str(raised.value)


def test_secrets_file_defaults_to_streamlit_in_the_working_directory(tmp_path: Path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[ucdp]\ntoken = "cwd-tok-7"\n')
    monkeypatch.chdir(tmp_path)
    assert ucdp_credentials({}).token == "cwd-tok-7"


def test_base_urls_are_configurable():
    assert acled_url({}) == "https://acleddata.com" and ucdp_url({}) == "https://ucdpapi.pcr.uu.se"
    assert acled_url({"GEORISK_ACLED_URL": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"
    assert ucdp_url({"GEORISK_UCDP_URL": "http://127.0.0.1:8"}) == "http://127.0.0.1:8"
