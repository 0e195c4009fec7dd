"""The URL form of the whole view (filters, model settings, page parameters)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from georisk import filters as flt
from georisk import links, risk
from georisk.dataset import load_dataset
from tests.conftest import DATA
from tests.test_filters import valid_filters


@cache
def dataset():
    return load_dataset(DATA)


def parse(params):
    d = dataset()
    return links.parse(params, flt.choices_for(d), set(d.sites["site_id"]))


models = st.builds(
    lambda radius, halflife, wt: replace(
        risk.DEFAULTS, radius_km=radius, half_life_days=halflife, w_threat=wt
    ),
    st.sampled_from([5.0, 25.0, 50.0, 120.0]),
    st.sampled_from([30.0, 180.0, 365.0]),
    st.sampled_from([0.0, 0.5, 1.0]),
)
page_params = st.fixed_dictionaries(
    {},
    optional={
        "site": st.sampled_from(["nsgp", "guddu-tps"]).map(lambda s: [s]),
        "layers": st.lists(st.sampled_from(links.LAYERS), unique=True).map(
            lambda ls: [",".join(x for x in links.LAYERS if x in ls)]
        ),
    },
)


@settings(max_examples=80, deadline=None)
@given(valid_filters(), models, page_params)
def test_whole_link_round_trip(filters, model, pages):
    c = flt.choices_for(dataset())
    link = links.Link(filters, model, pages)
    again = parse(links.to_params(link, c))
    assert again.notices == []
    assert (again.filters, again.model, again.page_params) == (filters, model, pages)


def test_page_parameters_are_checked():
    link = parse(
        {"site": ["atlantis"], "since": ["2030-01-01"], "layers": ["sites,volcanoes"], "zoom": ["9"]}
    )
    text = " ".join(link.notices)
    assert "site='atlantis'" in text and "since='2030-01-01'" in text
    assert "layers='volcanoes'" in text and "unknown link parameter 'zoom'" in text
    assert link.page_params == {"layers": ["sites"]}
    assert parse({"layers": [""]}).page_params == {"layers": [""]}, "an empty choice is a choice"
    assert parse({"since": ["2016-01-01"], "asof": ["2016-12-15"]}).page_params == {"since": ["2016-01-01"]}
