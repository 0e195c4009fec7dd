"""Two app processes on one PostgreSQL store, as behind a load balancer: "Refresh now" pressed in
both at once makes one batch, and the refresh made through one is what the other then shows,
without a restart. Chromium drives both processes' pages; ACLED's stand-in serves the events."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from georisk.store.database import Store
from tests.browser.conftest import settle, start_server
from tests.fakes.acled_server import DEFAULT_EMAIL, DEFAULT_PASSWORD, AcledServer
from tests.pg import fresh_database
from tests.unit.test_refresh import acled_events


def test_two_processes_share_one_store_and_one_refresh(browser, data_copy, postgres_url):
    postgres_database = fresh_database(postgres_url)
    (data_copy / "refresh.toml").write_text('[refresh]\nfeeds = ["acled"]\nstart = "2014-01-01"\n')
    with AcledServer(acled_events(40)) as acled:
        acled.delay = 0.3  # slow enough that the two refreshes overlap
        env = {
            "GEORISK_STORE": postgres_database,
            "ACLED_EMAIL": DEFAULT_EMAIL,
            "ACLED_PASSWORD": DEFAULT_PASSWORD,
            "GEORISK_ACLED_URL": acled.url,
        }
        servers = [start_server(data_copy, env) for _ in range(2)]
        try:
            pages = []
            for _, base in servers:
                page = browser.new_context().new_page()
                page.goto(f"{base}/Data")
                settle(page)
                pages.append(page)
            for page in pages:  # both at once, as two analysts might
                page.get_by_role("button", name="Refresh now").click()
            for page in pages:
                expect(
                    page.get_by_text(re.compile(r"Refresh finished|Skipped: another refresh"))
                ).to_be_visible(timeout=60_000)
            store = Store(postgres_database)
            committed = [r for r in store.runs() if r.outcome == "committed"]
            assert len(committed) == 1, [(r.outcome, r.label) for r in store.runs()]
            held = len(store.held_events("acled"))
            assert held == committed[0].added > 30

            # The other process shows the refreshed incidents on its next run: the stamp in the
            # sidebar of any page, and the ACLED events among the incidents in use.
            for page, (_, base) in zip(pages, servers, strict=True):
                page.goto(f"{base}/Data")
                settle(page)
                expect(
                    page.get_by_text(re.compile(r"ACLED: updated (just now|\d+ min ago)")).first
                ).to_be_visible()
                credit = page.get_by_text(re.compile(r"Incidents in use: ACLED API, refreshed"))
                expect(credit.first).to_be_visible()
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=30)
