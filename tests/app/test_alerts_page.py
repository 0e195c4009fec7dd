"""The Alerts page: the open alerts in the sidebar's view, acting on them, the rule form and its
checks, what a viewer may not see; and the Overview's count of open alerts."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from georisk.alerts import links
from georisk.app import alerts_page
from georisk.feeds.store import store_for
from georisk.store import location
from georisk.store.alerts import AlertBook, Change
from tests.conftest import open_page, shown

PAGE = "pages/5_Alerts.py"
HOSTILE = "<script>alert(1)</script>**bold**"
ACTING = ("alerts.acknowledged", "alerts.closed", "alerts.reopened", "alerts.save", "alerts.delete")


@pytest.fixture(autouse=True)
def fresh_stores():
    """Each test's data copy has a store of its own: forget the ones earlier tests opened."""
    location.forget()
    yield
    location.forget()


@pytest.fixture
def server_address():
    before = streamlit_config.get_option("server.address")
    yield lambda address: streamlit_config.set_option("server.address", address)
    streamlit_config.set_option("server.address", before)


@pytest.fixture
def analyst(server_address, monkeypatch):
    """A local run (loopback, no sign-in, not read-only): its user is an analyst."""
    monkeypatch.delenv("GEORISK_READ_ONLY", raising=False)
    server_address("127.0.0.1")


@pytest.fixture
def viewer(server_address, monkeypatch):
    """A read-only instance: everyone is a viewer."""
    server_address("127.0.0.1")
    monkeypatch.setenv("GEORISK_READ_ONLY", "1")


def incident_alert(rule_id: str, event: str, site: tuple[str, str] | None, province: str, family: str):
    incident = {"date": "2017-06-01", "province": province}
    details = {
        "title": f"bombing in {province} town (2017-06-01): 3 killed",
        "why": f"Within 10 km of {site[1]}" if site else f"In the watched province {province}",
        "site_name": site[1] if site else None,
        "actor_family": family,
        "killed": 3,
        "wounded": 5,
        "source": "Dawn",
        "confidence": "high",
        "links": links.alert_links(incident, site[0] if site else None),
    }
    return Change(
        "raised",
        rule_id,
        f"acled/{event}",
        "incident",
        details,
        feed="acled",
        event_id=event,
        revision=1,
        event_date="2017-06-01",
        site_id=site[0] if site else None,
        province=province,
        distance_km=4.2 if site else None,
    )


def with_alerts(data_dir: Path, rule_name: str = "Guddu watch") -> AlertBook:
    """A store with a site rule, a province rule and one alert of each."""
    book = AlertBook(store_for(data_dir))
    book.save_rule(
        {"id": "guddu", "name": rule_name, "watch": "site:guddu-tps", "tiers": [{"km": 10, "min_killed": 0}]},
        "page",
        "test",
    )
    book.save_rule(
        {"id": "balochistan", "name": "Balochistan", "watch": "province:Balochistan"}, "page", "test"
    )
    book.apply(
        None,
        [
            incident_alert("guddu", "PAK1", ("guddu-tps", "Guddu thermal power station"), "Sindh", "TTP"),
            incident_alert("balochistan", "PAK2", None, "Balochistan", "Baloch separatists"),
        ],
    )
    return book


def alerts_page_at(app_env, data_dir: Path, **params: str) -> AppTest:
    app_env(data_dir)
    at = open_page(PAGE, **params)
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "error", "warning", "success", "code")
        for e in at.get(kind)
    ]
    return "\n".join(shown(str(p)) for p in parts)


def test_lists_open_alerts_and_follows_the_region_filter(app_env, data_copy, analyst):
    with_alerts(data_copy)
    at = alerts_page_at(app_env, data_copy)
    page = texts(at)
    assert "bombing in Sindh town (2017-06-01): 3 killed" in page
    assert "Within 10 km of Guddu thermal power station" in page, "why the rule matched"
    assert "site Guddu thermal power station · 4.2 km from it · rule Guddu watch" in page
    assert "3 killed · 5 wounded · source Dawn" in page
    assert "bombing in Balochistan town" in page
    map_link = next(m.value for m in at.markdown if "Site panel" in m.value)
    assert "](Map?from=2017-06-01" in map_link and "localhost" not in map_link, "a link relative to the app"
    assert "[Site panel](./?site=guddu-tps)" in map_link

    at = alerts_page_at(app_env, data_copy, region="Sindh")
    page = texts(at)
    assert "bombing in Sindh town" in page
    assert "bombing in Balochistan town" not in page, "an alert of another province is out of view"


def test_an_analyst_acknowledges_with_a_note(app_env, data_copy, analyst):
    book = with_alerts(data_copy)
    alert = next(a for a in book.alerts() if a["rule_id"] == "guddu")
    at = alerts_page_at(app_env, data_copy)
    at.selectbox(key="alerts.pick").set_value(alert["id"])
    at.text_area(key="alerts.note").input("Called the site manager")
    at.button(key="alerts.acknowledged").click().run()
    assert not at.exception
    after = book.alerts(ids=[alert["id"]])[0]
    assert (after["state"], after["note"], after["by"]) == (
        "acknowledged",
        "Called the site manager",
        "analyst",
    )
    assert "Note: Called the site manager — analyst" in texts(at), "the page shows the new state"
    assert not at.text_area(key="alerts.note").value, "the note is cleared for the next alert"


def test_a_viewer_reads_but_does_not_act_nor_see_secrets(app_env, data_copy, viewer):
    book = with_alerts(data_copy)
    at = alerts_page_at(app_env, data_copy)
    assert "bombing in Sindh town" in texts(at), "a viewer sees the alerts"
    assert not {b.key for b in at.button} & set(ACTING)
    assert not [s for s in at.selectbox if s.key in ("alerts.pick", "alerts.edit")]
    page = texts(at)
    for rule in book.rules():
        assert rule.feed_token not in page and rule.webhook_secret not in page
    assert book.all_feed_token() not in page
    downloads = [d.proto.label for d in at.get("download_button")]
    assert downloads == ["Download the alerts in view (CSV)"], "the rules' addresses are the analysts'"


def test_a_bad_rule_shows_its_problems_and_saves_nothing(app_env, data_copy, analyst):
    book = with_alerts(data_copy)
    book.save_rule(
        {"id": "gone", "name": "Gone", "watch": "site:no-such-site", "tiers": [{"km": 5}]}, "page", "test"
    )
    page_rules = lambda: [(r.id, r.definition) for r in book.rules() if r.origin == "page"]  # noqa: E731
    before = page_rules()
    at = alerts_page_at(app_env, data_copy)
    at.text_input(key="alerts.form.new.id").input("near-zero")
    at.text_input(key="alerts.form.new.name").input("Zero radius")
    at.number_input(key="alerts.form.new.km0").set_value(0.0)
    at.button(key="alerts.save").click().run()
    assert not at.exception
    errors = "\n".join(shown(e.value) for e in at.error)
    assert "tiers[1].km: a radius must be more than 0 km" in errors

    at.selectbox(key="alerts.edit").set_value("gone").run()
    assert at.selectbox(key="alerts.form.gone.watch").value == "site:no-such-site"
    at.button(key="alerts.save").click().run()
    errors = "\n".join(shown(e.value) for e in at.error)
    assert "watch: unknown site 'no-such-site'" in errors
    assert page_rules() == before, "nothing was saved"


def test_a_rule_saved_from_the_form_shows_its_name_as_text(app_env, data_copy, analyst):
    at = alerts_page_at(app_env, data_copy)  # no store yet: the first rule makes it
    assert location.open_store(data_copy) is None
    at.text_input(key="alerts.form.new.id").input("hostile")
    at.text_input(key="alerts.form.new.name").input(HOSTILE)
    at.selectbox(key="alerts.form.new.watch").set_value("site:guddu-tps")
    at.button(key="alerts.preview").click().run()
    assert not at.exception
    assert at.get("plotly_chart"), "the preview draws its chart"
    assert any("would have raised" in m.value for m in at.markdown)
    at.button(key="alerts.save").click().run()
    assert not at.exception
    book = AlertBook(location.open_store(data_copy))
    assert book.rule("hostile").definition["name"] == HOSTILE
    table = at.dataframe[0].value
    assert table.loc[table["id"] == "hostile", "name"].item() == HOSTILE, "the table holds the text as it is"

    book.apply(None, [incident_alert("hostile", "PAK9", ("guddu-tps", "Guddu"), "Sindh", "TTP")])
    at.run()
    card = next(m.value for m in at.markdown if "rule " in m.value and "script" in m.value)
    assert r"\<script\>alert\(1\)\</script\>\*\*bold\*\*" in card, "escaped: no HTML, no bold"
    assert shown(card).endswith(f"rule {HOSTILE}")


def test_the_overview_counts_open_alerts(app_env, data_copy, analyst):
    app_env(data_copy)
    at = open_page()
    assert not at.exception
    assert not [p for p in at.get("page_link") if "open alert" in str(p.proto.label)], "no store: nothing"
    book = with_alerts(data_copy)
    at = open_page()
    label = next(str(p.proto.label) for p in at.get("page_link") if "open alert" in str(p.proto.label))
    assert shown(label).startswith("2 open alert(s); the latest: bombing in")
    book.act(book.alerts()[0]["id"], "closed", "test")
    at.run()
    label = next(str(p.proto.label) for p in at.get("page_link") if "open alert" in str(p.proto.label))
    assert shown(label).startswith("1 open alert(s)")


def test_links_are_made_relative_to_the_app():
    assert alerts_page.app_link("https://risk.example.org/Map?from=2017-06-01&region=Sindh") == (
        "Map?from=2017-06-01&region=Sindh"
    )
    assert alerts_page.app_link("http://localhost:8501/?site=guddu-tps") == "./?site=guddu-tps"
    assert alerts_page.app_link("javascript:alert(1)") is None
    assert alerts_page.app_link("https://evil.example.org/Steal?x=1") is None


def test_with_no_store_yet_the_page_lists_the_rules_of_alerts_toml_and_their_problems(
    app_env, data_copy, analyst
):
    with (data_copy / "alerts.toml").open("a", encoding="utf-8") as rules:
        rules.write(
            '\n[[rules]]\nid = "broken"\nname = "Broken"\nwatch = "site:nowhere"\ntiers = [{ km = 5 }]\n'
        )
    at = alerts_page_at(app_env, data_copy)
    assert not (data_copy / "state").exists(), "a visit makes no store"
    listed = at.dataframe[0].value
    assert "near-any-10km" in list(listed["id"]) and set(listed["kept in"]) == {"alerts.toml"}
    assert "broken" not in list(listed["id"])
    assert "alerts.toml, rule 8: rule 'broken': watch: unknown site 'nowhere'" in texts(at)
    assert "these rules of alerts.toml start watching with the first import or refresh" in texts(at)


def test_the_alerts_in_view_download_as_formula_safe_csv(app_env, data_copy, analyst):
    import io

    import pandas as pd

    book = with_alerts(data_copy)
    alert = book.alerts()[0]
    book.act(alert["id"], "acknowledged", "analyst", "=HYPERLINK('http://x')")
    at = alerts_page_at(app_env, data_copy, region="Sindh")
    button = at.get("download_button")
    data = next(b for b in button if b.proto.label.startswith("Download the alerts in view")).proto.url
    assert data
    frame = pd.read_csv(io.BytesIO(alerts_page.alerts_csv(book.alerts(), {})), dtype=str)
    assert len(frame) == len(book.alerts()) and "why" in frame and "distance_km" in frame
    noted = frame[frame["note"].notna()]
    assert noted["note"].iloc[0].startswith("'="), "a note that a spreadsheet would run is neutralised"


def test_an_analyst_gives_the_feeds_new_addresses(app_env, data_copy, analyst):
    book = with_alerts(data_copy)
    old_all, rule = book.all_feed_token(), book.rules()[0]
    at = alerts_page_at(app_env, data_copy)
    at.button(key="alerts.rotate.all").click().run()
    assert not at.exception and book.all_feed_token() != old_all
    assert book.feed_of_token(old_all) is None, "the old address opens nothing"
    at.button(key=f"alerts.rotate.feed_token.{rule.id}").click().run()
    assert book.feed_of_token(rule.feed_token) is None
    assert book.feed_of_token(book.rule(rule.id).feed_token) == rule.id
    assert links.feed_url(book.all_feed_token()) in texts(at)
