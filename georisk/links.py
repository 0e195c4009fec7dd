"""The URL form of the whole view: the shared filters, the model's settings and the pages' own
parameters. Reading a link never raises; whatever cannot be used is dropped with a notice.

    filters   sector, region, actor, category (repeated), from, to, asof     see filters.py
    model     radius, halflife, w_threat, w_exposure, cuts                  see risk.py
    pages     site (the open site), since (what-changed date), layers (map layers),
              iw (cooperation index weights, `indicator:weight,...`)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from georisk import cooperation, risk
from georisk import filters as flt
from georisk.mapping import LAYERS
from georisk.notices import Dropped, capped, shown

PAGE_PARAMS = ("site", "since", "layers", "iw")
KNOWN_PARAMS = (*flt.FILTER_PARAMS, *risk.URL_PARAMS, *PAGE_PARAMS)


@dataclass
class Link:
    filters: flt.Filters
    model: risk.ModelParams
    # The pages' own parameters, already checked, in their URL form.
    page_params: dict[str, list[str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def parse(
    params: Mapping[str, list[str]],
    choices: flt.Choices,
    site_ids: set[str],
    indicators: set[str] = frozenset(),
) -> Link:
    parsed = flt.from_params({k: v for k, v in params.items() if k in flt.FILTER_PARAMS}, choices)
    model, model_notices = risk.params_from_query(params)
    notices = [*parsed.notices, *model_notices]
    page: dict[str, list[str]] = {}
    unknown = Dropped(
        one="Ignored the unknown link parameter {value}.",
        many="Ignored {count} unknown link parameters; the first {first}: {values}.",
    )
    for name in params:
        if name not in KNOWN_PARAMS:
            unknown.add(name)
    notices += unknown.lines()
    if params.get("site"):
        site = params["site"][-1]
        if site in site_ids:
            page["site"] = [site]
        else:
            notices.append(f"Ignored site={shown(site)}: no such site in the data.")
    if params.get("since"):
        since = flt.parse_date(params["since"][-1])
        if since is not None and choices.first_date <= since <= parsed.filters.asof:
            page["since"] = [since.isoformat()]
        else:
            notices.append(
                f"Ignored since={shown(params['since'][-1])}: not a date between the data's first "
                "date and the as-of date."
            )
    if "layers" in params:
        wanted = [v for value in params["layers"] for v in value.split(",") if v]
        not_layers = Dropped(
            one="Ignored layers={value}: not a map layer.",
            many="Ignored {count} values of layers that are not map layers; the first {first}: {values}.",
        )
        for value in wanted:
            if value not in LAYERS:
                not_layers.add(value)
        notices += not_layers.lines()
        kept = [layer for layer in LAYERS if layer in wanted]
        if kept or not wanted:  # "layers=" (none) is a choice; only unknown names fall back
            page["layers"] = [",".join(kept)]
    if params.get("iw"):
        weights, weight_notices = cooperation.parse_weights(params["iw"][-1], set(indicators))
        notices += weight_notices
        if weights:
            page["iw"] = [",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()))]
    return Link(parsed.filters, model, page, capped(notices))


def to_params(link: Link, choices: flt.Choices) -> dict[str, list[str]]:
    """The URL parameters of a view, in a stable order."""
    return {**flt.to_params(link.filters, choices), **risk.params_to_query(link.model), **link.page_params}
