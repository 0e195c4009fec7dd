"""The URL form of a view: the one place that reads and writes it. A link carries the shared
filters, the model's settings and the pages' own parameters; reading one never raises, and
whatever cannot be used is dropped with a notice (grouped and capped: georisk.notices).

    filters   sector, region, actor, category, attribution, outcome (repeated), from, to, asof
    model     radius, halflife, w_threat, w_exposure, cuts, ratings (ranges: model.settings.SETTINGS)
    pages     site (the open site), since (what-changed date), layers (map layers),
              iw (cooperation index weights, `indicator:weight,...`)

`parse_link` checks everything once; a `Link` then gives each page parameter typed (`site`,
`since`, `layers`, `weights`), and `link_params` writes the view back in a stable order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from georisk.analysis.cooperation import WEIGHT
from georisk.analysis.geography import LAYERS
from georisk.model import settings
from georisk.model.settings import DEFAULTS, ModelSettings
from georisk.notices import Dropped, capped, shown
from georisk.view import Choices, Filters

# The parameter names, by part of the view.
LIST_PARAMS = {
    "sector": "sectors",
    "region": "regions",
    "actor": "actors",
    "category": "categories",
    "attribution": "attributions",
    "outcome": "outcomes",
}
DATE_PARAMS = {"from": "start", "to": "end", "asof": "asof"}
FILTER_PARAMS = (*LIST_PARAMS, *DATE_PARAMS)
# URL form of the settings an analyst changes in the "adjust the model" panel.
MODEL_PARAMS = {
    "radius": "radius_km",
    "halflife": "half_life_days",
    "w_threat": "w_threat",
    "w_exposure": "w_exposure",
    "cuts": "cuts",
    "ratings": "ratings",
}
PAGE_PARAMS = ("site", "since", "layers", "iw")
KNOWN_PARAMS = (*FILTER_PARAMS, *MODEL_PARAMS, *PAGE_PARAMS)


@dataclass
class Link:
    filters: Filters
    model: settings.ModelSettings
    # The pages' own parameters, already checked, in their URL form (what the session keeps and
    # the link writes); the properties below read them typed.
    page_params: dict[str, list[str]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    @property
    def site(self) -> str | None:
        """The open site's id."""
        return self.page_params["site"][-1] if self.page_params.get("site") else None

    @property
    def since(self) -> dt.date | None:
        """The date the overview compares with."""
        return parse_date(self.page_params["since"][-1]) if self.page_params.get("since") else None

    @property
    def layers(self) -> tuple[str, ...] | None:
        """The map's layers (None: the default ones; empty: none)."""
        if "layers" not in self.page_params:
            return None
        return tuple(v for v in self.page_params["layers"][-1].split(",") if v)

    @property
    def weights(self) -> dict[str, float]:
        """The cooperation index weights the link sets (the others keep their defaults)."""
        if not self.page_params.get("iw"):
            return {}
        return {
            name: float(value)
            for name, _, value in (p.partition(":") for p in self.page_params["iw"][-1].split(","))
        }


def parse_link(
    params: Mapping[str, list[str]],
    choices: Choices,
    site_ids: set[str],
    indicators: set[str] = frozenset(),
) -> Link:
    parsed = filters_from_params({k: v for k, v in params.items() if k in FILTER_PARAMS}, choices)
    model, model_notices = model_from_params(params)
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
        since = parse_date(params["since"][-1])
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
        weights, weight_notices = parse_weights(params["iw"][-1], set(indicators))
        notices += weight_notices
        if weights:
            page["iw"] = [",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()))]
    return Link(parsed.filters, model, page, capped(notices))


def link_params(link: Link, choices: Choices) -> dict[str, list[str]]:
    """The URL parameters of a view, in a stable order."""
    return {**filter_params(link.filters, choices), **model_params(link.model), **link.page_params}


# ---------------------------------------------------------------------------------------------
# The filters


@dataclass
class ParsedFilters:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def filter_params(filters: Filters, choices: Choices) -> dict[str, list[str]]:
    """The URL parameters for a filter value, in a stable order (the whole view, dates included,
    so that a link still means the same view after the data grows)."""
    params: dict[str, list[str]] = {}
    for name, attribute in LIST_PARAMS.items():
        values = getattr(filters, attribute)
        if values:
            params[name] = list(values)
    defaults = choices.defaults()
    for name, attribute in DATE_PARAMS.items():
        value = getattr(filters, attribute) or getattr(defaults, attribute)
        params[name] = [value.isoformat()]
    return params


def filters_from_params(params: Mapping[str, str | list[str]], choices: Choices) -> ParsedFilters:
    """The filter value a URL asks for; what it cannot use is dropped with a notice."""
    notices: list[str] = []
    values: dict[str, object] = {}
    for name, attribute in LIST_PARAMS.items():
        if name not in params:
            continue
        allowed = set(getattr(choices, attribute))
        unknown = Dropped(
            one=f"Ignored {name}={{value}}: not a known {name}.",
            many=f"Ignored {{count}} values of {name} that are not a known {name}; "
            "the first {first}: {values}.",
        )
        wanted = set()
        for value in _as_list(params[name]):
            if value in allowed:
                wanted.add(value)
            else:
                unknown.add(value)
        notices += unknown.lines()
        values[attribute] = tuple(v for v in getattr(choices, attribute) if v in wanted)
    defaults = choices.defaults()
    for name, attribute in DATE_PARAMS.items():
        if name not in params:
            continue
        given = _as_list(params[name])
        if len(given) > 1:
            notices.append(f"Ignored repeated {name}: it takes one date.")
            continue
        date = parse_date(given[0])
        if date is None:
            notices.append(f"Ignored {name}={shown(given[0])}: not a date in the form YYYY-MM-DD.")
            continue
        if not choices.first_date <= date <= choices.last_date:
            notices.append(
                f"Ignored {name}={date.isoformat()}: outside the data's dates "
                f"({choices.first_date.isoformat()} to {choices.last_date.isoformat()})."
            )
            continue
        values[attribute] = date
    filters = replace(defaults, **values)
    if filters.start > filters.end:
        notices.append(
            f"Ignored from={filters.start.isoformat()} and to={filters.end.isoformat()}: "
            "the period starts after it ends."
        )
        filters = replace(filters, start=defaults.start, end=defaults.end)
    if filters.end > filters.asof:
        # Only a "to" the link asked for deserves a notice; the default period simply ends at
        # the as-of date.
        if "end" in values:
            notices.append(
                f"The period now ends at the as-of date {filters.asof.isoformat()}: "
                "nothing after it is shown."
            )
        filters = replace(filters, end=filters.asof, start=min(filters.start, filters.asof))
    return ParsedFilters(filters, notices)


# ---------------------------------------------------------------------------------------------
# The model's settings


def model_params(params: ModelSettings) -> dict[str, list[str]]:
    """Only what differs from the defaults, so that an ordinary link stays short."""
    query = {}
    for name, attribute in MODEL_PARAMS.items():
        value = getattr(params, attribute)
        if value != getattr(DEFAULTS, attribute):
            if isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            else:
                text = value if isinstance(value, str) else f"{value:g}"
            query[name] = [text]
    return query


def model_from_params(query: Mapping[str, list[str]]) -> tuple[ModelSettings, list[str]]:
    """The settings a link asks for; a value that cannot be used is dropped with a notice."""
    notices: list[str] = []
    values: dict[str, object] = {}
    for name, attribute in MODEL_PARAMS.items():
        given = query.get(name)
        if not given:
            continue
        text = given[-1][:60]
        try:
            if attribute == "cuts":
                value: object = tuple(int(v) for v in text.split(","))
                if len(value) != 4:
                    raise ValueError
            elif attribute == "ratings":
                value = text
            else:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
        except ValueError:
            notices.append(f"Ignored {name}={text!r}: not a valid setting.")
            continue
        candidate = replace(DEFAULTS, **{attribute: value})
        if candidate.validate():
            notices.append(f"Ignored {name}={text!r}: {candidate.validate()[0]}.")
            continue
        values[attribute] = value
    params = replace(DEFAULTS, **values)
    if params.validate():  # each value fine alone, not together (e.g. both weights zero)
        notices.append(f"Ignored the model settings in the link: {params.validate()[0]}.")
        params = DEFAULTS
    return params, notices


# ---------------------------------------------------------------------------------------------
# The pages' own parameters


def parse_weights(text: str, known: set[str]) -> tuple[dict[str, float], list[str]]:
    """Weights from their URL form `name:weight,name:weight`; what cannot be used is reported."""
    weights = {}
    unusable = Dropped(
        one="Ignored index weight {value}: expected indicator:weight with a weight "
        f"{WEIGHT.low:g}-{WEIGHT.high:g}.",
        many=f"Ignored {{count}} index weights that are not indicator:weight with a weight "
        f"{WEIGHT.low:g}-{WEIGHT.high:g}; the first {{first}}: {{values}}.",
    )
    for part in filter(None, (text or "").split(",")):
        name, _, value = part.partition(":")
        try:
            number = float(value)
            if name not in known or not (WEIGHT.low <= number <= WEIGHT.high) or math.isnan(number):
                raise ValueError
            weights[name] = number
        except ValueError:
            unusable.add(part)
    return weights, unusable.lines()


def weights_param(weights: dict[str, float], defaults: dict[str, float]) -> str:
    """Only the weights that differ from the defaults, so that ordinary links stay short."""
    return ",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()) if v != defaults.get(k))
