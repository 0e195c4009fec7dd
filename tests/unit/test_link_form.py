"""The URL form of the whole view (filters, model settings, page parameters)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from georisk import notices
from georisk.analysis import cooperation, geography
from georisk.link import KNOWN_PARAMS, Link, link_params, parse_link, parse_weights
from georisk.model import settings as model_settings
from georisk.view import choices_for
from tests.support import bundled, valid_filters


def parse(params):
    d = bundled()
    return parse_link(params, choices_for(d), set(d.sites["site_id"]), set(d.indicators["indicator"]))


models = st.builds(
    lambda radius, halflife, wt: replace(
        model_settings.DEFAULTS, radius_km=radius, half_life_days=halflife, w_threat=wt
    ),
    st.sampled_from([5.0, 25.0, 50.0, 120.0]),
    st.sampled_from([30.0, 180.0, 365.0]),
    st.sampled_from([0.0, 0.5, 1.0]),
)
page_params = st.fixed_dictionaries(
    {},
    optional={
        "site": st.sampled_from(["nsgp", "guddu-tps"]).map(lambda s: [s]),
        "layers": st.lists(st.sampled_from(geography.LAYERS), unique=True).map(
            lambda ls: [",".join(x for x in geography.LAYERS if x in ls)]
        ),
    },
)


@settings(max_examples=80, deadline=None)
@given(valid_filters(), models, page_params)
def test_whole_link_round_trip(filters, model, pages):
    c = choices_for(bundled())
    link = Link(filters, model, pages)
    again = parse(link_params(link, c))
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


def test_notices_are_grouped_and_capped():
    params = {f"p{n}": ["1"] for n in range(500)}
    params |= {"layers": [",".join(f"layer{n}" for n in range(300))], "sector": ["sports"] * 50}
    params |= {"radius": ["900"], "halflife": ["1"], "w_threat": ["7"], "cuts": ["1,2,3,99"]}
    link = parse(params)
    text = "\n".join(link.notices)
    assert "Ignored 500 unknown link parameters; the first 5: 'p0', 'p1', 'p2', 'p3', 'p4'." in text
    assert "Ignored 300 values of layers" in text
    assert "Ignored sector='sports': not a known sector." in text, "a repeated value is one value"
    assert len(link.notices) <= notices.MAX_NOTICES and len(text) < 3_000


# Link parameters as a hostile sender might write them: known names with any text, unknown names,
# repeats, huge values.
NAMES = st.sampled_from([*KNOWN_PARAMS, "zoom", "", "x" * 300])
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "1",
            "7",
            "500",
            "3650",
            "5",
            "200",
            "1095",
            "1e309",
            "-0",
            "nan",
            "2,3,4,25",
            "0001-01-01",
            "9999-12-31",
        ]
    ),
    st.just("y" * 20_000),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, st.lists(VALUES, min_size=1, max_size=4), max_size=12))
def test_any_link_parses_to_something_the_widgets_can_show(params):
    link = parse(params)
    assert link.model.validate() == []
    for attribute, setting in model_settings.SETTINGS.items():
        assert setting.low <= getattr(link.model, attribute) <= setting.high
    c = choices_for(bundled())
    f = link.filters
    assert c.first_date <= f.start <= f.end <= f.asof <= c.last_date
    assert len(link.notices) <= notices.MAX_NOTICES
    assert all(len(n) < 1_000 for n in link.notices), "a huge value is never echoed in full"
    if "iw" in link.page_params:
        known = set(bundled().indicators["indicator"])
        weights, _ = parse_weights(link.page_params["iw"][0], known)
        assert all(cooperation.WEIGHT.low <= w <= cooperation.WEIGHT.high for w in weights.values())


def test_page_parameters_are_read_typed_after_one_check():
    d = bundled()
    indicator = sorted(d.indicators["indicator"])[0]
    link = parse(
        {
            "site": ["nsgp"],
            "since": ["2016-06-30"],
            "layers": ["sites,nonsense,provinces"],
            "iw": [f"{indicator}:1.5,unknown:2"],
        }
    )
    assert link.site == "nsgp"
    assert link.since.isoformat() == "2016-06-30"
    assert link.layers == ("provinces", "sites"), "in drawing order, unknown names dropped"
    assert link.weights == {indicator: 1.5}
    bare = parse({})
    assert (bare.site, bare.since, bare.layers, bare.weights) == (None, None, None, {})
    assert parse({"layers": [""]}).layers == (), "an empty layers parameter means no layer"
