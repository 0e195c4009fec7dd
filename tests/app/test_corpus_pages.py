"""The bad-input corpus (tests/corpus/cases.toml): every case gives its message, and the good rows
still load."""

from __future__ import annotations

import tomllib
import urllib.parse
from pathlib import Path

import pytest

from georisk import notices
from georisk.link import parse_link
from georisk.view import choices_for
from tests.conftest import DATA
from tests.support import BASELINE

# --- hostile links, second round (tests/corpus/links.toml) ----------------------------------------

LINK_CASES = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "corpus" / "links.toml").read_text(encoding="utf-8")
)["case"]


def _link_params(case: dict) -> dict[str, list[str]]:
    params = urllib.parse.parse_qs(case["query"], keep_blank_values=True)
    if "repeat" in case:
        name, count = case["repeat"]["param"], case["repeat"]["count"]
        if name == "*":
            params |= {f"v{n}": ["1"] for n in range(count)}
        else:
            params[name] = [f"v{n}" for n in range(count)]
    return params


@pytest.mark.parametrize("case", LINK_CASES, ids=[c["name"] for c in LINK_CASES])
def test_hostile_link(case, app_env):
    from tests.conftest import open_page
    from tests.support import PAGES

    params = _link_params(case)
    choices = choices_for(BASELINE)
    link = parse_link(params, choices, set(BASELINE.sites["site_id"]), set(BASELINE.indicators["indicator"]))
    text = "\n".join(link.notices)
    if case["message"]:
        assert case["message"] in text, text
    else:
        assert link.notices == []
    assert len(link.notices) <= notices.MAX_NOTICES and len(text) < 5_000, "never a page-long warning"
    if case.get("pages"):
        app_env(DATA)
        for page in [None, *PAGES]:
            at = open_page(page, **params)
            assert not at.exception, (page, at.exception)
            warnings = "\n".join(w.value for w in at.warning if "could not be used" in w.value)
            assert (case["message"] and warnings) or not case["message"], page
            assert len(warnings) < 5_000, page
