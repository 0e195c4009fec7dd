"""Watch rules: what a rule watches, what it matches, and when its alerts are delivered; read from
a plain dict (the Alerts page's form, the store's JSON, a `[[rules]]` table of alerts.toml) and
checked against the scenario, with a message for every field that is wrong.

Three kinds:
    incident  an incident near a watched site (a radius per severity: "any incident within
              10 km", "5 or more killed within 50 km"), or anywhere in a watched province;
              narrowed by actor family, attack type, target type, attribution and precision
    band      a watched site's risk band changes (rises, by default)
    threat    a threat rating of a watched province (or of a watched site's provinces) rises

What a rule watches (`watch`): `site:ID`, `sector:NAME`, `partner:COUNTRY`, `status:STATUS`,
`province:NAME` or `all` (every site).
"""

from __future__ import annotations

import math
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from georisk.scenario import precision
from georisk.scenario.schema import ATTACK_TYPES, ATTRIBUTION, TARGET_TYPES

KINDS = ("incident", "band", "threat")
WATCHES = ("site", "sector", "partner", "status", "province", "all")
CADENCES = ("immediate", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DIRECTIONS = ("up", "any")
# The placements a rule may ask for at the coarsest (a country's or an unknown point says nothing
# of where in the country).
RULE_PRECISIONS = tuple(p for p in precision.PRECISIONS if p not in ("country", "unknown"))
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MAX_KM = 1000.0  # a radius past this is a typo: the country is smaller
MAX_TIERS = 5
MAX_NAME = 120
MAX_ADDRESSES = 20


class RuleError(ValueError):
    """A rule that cannot be used; `problems` are (field, message) pairs for the person editing it."""

    def __init__(self, problems: list[tuple[str, str]], rule_id: str = "") -> None:
        self.problems = problems
        self.rule_id = rule_id
        where = f"rule {rule_id!r}: " if rule_id else ""
        super().__init__(where + "; ".join(f"{name}: {message}" for name, message in problems))


@dataclass(frozen=True)
class Tier:
    """Incidents with at least `min_killed` killed, within `km` of a watched site."""

    km: float
    min_killed: int = 0

    def words(self) -> str:
        who = "any incident" if self.min_killed == 0 else f"{self.min_killed} or more killed"
        return f"{who} within {self.km:g} km"


@dataclass(frozen=True)
class Vocabulary:
    """What the scenario knows, that a rule may name."""

    sites: Mapping[str, Mapping] = field(
        default_factory=dict
    )  # id -> sector, partner_country, status, provinces
    provinces: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str = "incident"
    watch: str = "all"
    tiers: tuple[Tier, ...] = ()
    families: tuple[str, ...] = ()  # empty: any
    attack_types: tuple[str, ...] = ()
    target_types: tuple[str, ...] = ()
    attribution: tuple[str, ...] = ()
    # The coarsest placement that may match a radius (besides the model's rule: a point counts
    # only when it may be off by no more than the radius).
    min_precision: str = "district"
    direction: str = "up"  # band rules: "up" (a rise) or "any" change
    cadence: str = "immediate"
    at: str = "07:00"  # digests: local time of day
    timezone: str = "UTC"
    weekday: str = "monday"  # weekly digests
    webhook: str = ""
    email: tuple[str, ...] = ()
    enabled: bool = True
    origin: str = "page"  # page | file (alerts.toml)

    @property
    def watch_kind(self) -> str:
        return self.watch.split(":", 1)[0]

    @property
    def watch_value(self) -> str:
        return self.watch.split(":", 1)[1] if ":" in self.watch else ""

    @property
    def max_km(self) -> float:
        return max((t.km for t in self.tiers), default=0.0)

    def watched_sites(self, sites: Mapping[str, Mapping]) -> list[str]:
        """The ids of the sites this rule watches (none for a province)."""
        kind, value = self.watch_kind, self.watch_value
        if kind == "province":
            return []
        if kind == "site":
            return [value] if value in sites else []
        column = {"sector": "sector", "partner": "partner_country", "status": "status"}.get(kind)
        return [sid for sid, site in sites.items() if column is None or str(site.get(column)) == value]

    def watch_words(self, sites: Mapping[str, Mapping] | None = None) -> str:
        kind, value = self.watch_kind, self.watch_value
        if kind == "site":
            name = (sites or {}).get(value, {}).get("name") or value
            return f"site {name}"
        if kind == "all":
            return "any site"
        if kind == "province":
            return f"the province {value}"
        return {
            "sector": "a site in the {} sector",
            "partner": "a site with partner {}",
            "status": "a site {}",
        }[kind].format(value)

    def words(self, sites: Mapping[str, Mapping] | None = None) -> str:
        """The rule in one sentence (the page, the feed's subtitle, the digest)."""
        watched = self.watch_words(sites)
        if self.kind == "band":
            change = "rises" if self.direction == "up" else "changes"
            return f"When the risk band of {watched} {change}."
        if self.kind == "threat":
            return f"When a threat rating for {watched} rises."
        if self.tiers:
            what = "; ".join(t.words() for t in self.tiers) + f" of {watched}"
        else:
            what = f"any incident in {watched}"
        narrowed = [
            label + " " + ", ".join(values)
            for label, values in (
                ("by", self.families),
                ("of type", self.attack_types),
                ("against", self.target_types),
                ("attribution", self.attribution),
            )
            if values
        ]
        return what[0].upper() + what[1:] + (" (" + "; ".join(narrowed) + ")" if narrowed else "") + "."

    def to_dict(self) -> dict:
        data = asdict(self)
        data["tiers"] = [asdict(t) for t in self.tiers]
        for key in ("families", "attack_types", "target_types", "attribution", "email"):
            data[key] = list(data[key])
        return data


def _strings(value: object, name: str, problems: list) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [part for part in re.split(r"[;,\n]", value)]
    if not isinstance(value, list | tuple):
        problems.append((name, "a list of words"))
        return ()
    out = [str(v).strip() for v in value if str(v).strip()]
    return tuple(dict.fromkeys(out))


def _number(value: object, name: str, problems: list) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append((name, f"{value!r} is not a number"))
        return None
    if not math.isfinite(number):
        problems.append((name, "must be a finite number"))
        return None
    return number


def _tiers(value: object, problems: list) -> tuple[Tier, ...]:
    if value in (None, "", []):
        return ()
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple):
        problems.append(("tiers", "a list of {km, min_killed} entries"))
        return ()
    if len(value) > MAX_TIERS:
        problems.append(("tiers", f"at most {MAX_TIERS} radii"))
        return ()
    tiers = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            problems.append((f"tiers[{number}]", "a {km, min_killed} entry"))
            continue
        km = _number(item.get("km"), f"tiers[{number}].km", problems)
        killed = _number(item.get("min_killed", 0) or 0, f"tiers[{number}].min_killed", problems)
        if km is None or killed is None:
            continue
        if km <= 0:
            problems.append((f"tiers[{number}].km", f"a radius must be more than 0 km (got {km:g})"))
        elif km > MAX_KM:
            problems.append((f"tiers[{number}].km", f"a radius of at most {MAX_KM:g} km (got {km:g})"))
        elif killed < 0 or killed != int(killed):
            problems.append((f"tiers[{number}].min_killed", "a whole number, 0 or more"))
        else:
            tiers.append(Tier(km, int(killed)))
    return tuple(sorted(set(tiers), key=lambda t: (t.min_killed, t.km)))


def _choice(value: object, name: str, allowed: Iterable[str], problems: list, default: str) -> str:
    word = default if value in (None, "") else str(value).strip().lower()
    allowed = tuple(allowed)
    if word not in allowed:
        problems.append((name, f"{value!r} is not one of: {', '.join(allowed)}"))
        return default
    return word


def _known(values: tuple[str, ...], name: str, allowed: Iterable[str], problems: list, what: str) -> tuple:
    known = {v.lower(): v for v in allowed}
    out = []
    for value in values:
        if value.lower() in known:
            out.append(known[value.lower()])
        else:
            problems.append((name, f"unknown {what} {value!r}"))
    return tuple(out)


def _watch(value: object, vocabulary: Vocabulary, problems: list) -> str:
    text = "all" if value in (None, "") else str(value).strip()
    kind, _, target = text.partition(":")
    kind = kind.strip().lower()
    target = target.strip()
    if kind not in WATCHES:
        problems.append(
            (
                "watch",
                f"{text!r}: say site:ID, sector:NAME, partner:COUNTRY, status:STATUS, province:NAME or all",
            )
        )
        return "all"
    if kind == "all":
        return "all"
    if not target:
        problems.append(("watch", f"{kind}: names nothing"))
        return "all"
    if kind == "site" and target not in vocabulary.sites:
        problems.append(("watch", f"unknown site {target!r}"))
    if kind == "province":
        known = {p.lower(): p for p in vocabulary.provinces}
        if target.lower() not in known:
            problems.append(("watch", f"unknown province {target!r}"))
        target = known.get(target.lower(), target)
    if kind in ("sector", "partner", "status"):
        column = {"sector": "sector", "partner": "partner_country", "status": "status"}[kind]
        values = {str(site.get(column)) for site in vocabulary.sites.values()}
        if target not in values:
            problems.append(("watch", f"no site has {column.replace('_', ' ')} {target!r}"))
    return f"{kind}:{target}"


def _clock(value: object, problems: list) -> str:
    text = "07:00" if value in (None, "") else str(value).strip()
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if found and int(found[1]) < 24 and int(found[2]) < 60:
        return f"{int(found[1]):02d}:{found[2]}"
    problems.append(("at", f"{text!r} is not a time of day like 07:00"))
    return "07:00"


def _timezone(value: object, problems: list) -> str:
    name = "UTC" if value in (None, "") else str(value).strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(("timezone", f"unknown time zone {name!r} (say e.g. Asia/Karachi or UTC)"))
        return "UTC"
    return name


EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def parse_rule(data: Mapping, vocabulary: Vocabulary, check_webhook=None) -> Rule:
    """A checked rule from a dict; RuleError naming every field that is wrong. `check_webhook`
    (url -> None, raising an exception whose message says why) checks the webhook's address."""
    problems: list[tuple[str, str]] = []
    rule_id = str(data.get("id") or "").strip().lower()
    if not ID_PATTERN.match(rule_id):
        problems.append(
            ("id", "lowercase letters, digits, - and _, at most 60, starting with a letter or digit")
        )
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        problems.append(("name", "a rule needs a name"))
    elif len(name) > MAX_NAME:
        problems.append(("name", f"at most {MAX_NAME} characters"))
    kind = _choice(data.get("kind"), "kind", KINDS, problems, "incident")
    watch = _watch(data.get("watch"), vocabulary, problems)
    tiers = _tiers(data.get("tiers"), problems)
    # The lists a rule narrows by: each checked against what the scenario or the schema knows.
    lists = {
        name: _known(_strings(data.get(name), name, problems), name, allowed, problems, what)
        for name, allowed, what in (
            ("families", vocabulary.families, "actor family"),
            ("attack_types", ATTACK_TYPES, "attack type"),
            ("target_types", TARGET_TYPES, "target type"),
            ("attribution", ATTRIBUTION, "attribution"),
        )
    }
    # A province rule matches anywhere in the province, so a province's own point will do.
    default_precision = "province" if watch.startswith("province:") else "district"
    min_precision = _choice(
        data.get("min_precision"), "min_precision", RULE_PRECISIONS, problems, default_precision
    )
    if kind == "incident" and watch.split(":")[0] != "province" and not tiers:
        problems.append(
            ("tiers", "a rule on sites needs at least one radius (e.g. any incident within 10 km)")
        )
    if kind == "band" and watch.startswith("province:"):
        problems.append(("watch", "a band rule watches sites, not a province"))
    webhook = str(data.get("webhook") or "").strip()
    if webhook and check_webhook is not None:
        try:
            check_webhook(webhook)
        except Exception as err:  # noqa: BLE001 - the checker's message is the problem
            problems.append(("webhook", str(err)))
    email = _strings(data.get("email"), "email", problems)
    for address in email:
        if not EMAIL.match(address):
            problems.append(("email", f"{address!r} is not an email address"))
    if len(email) > MAX_ADDRESSES:
        problems.append(("email", f"at most {MAX_ADDRESSES} addresses"))
    rule = Rule(
        id=rule_id,
        name=name,
        kind=kind,
        watch=watch,
        tiers=tiers if kind == "incident" else (),
        **lists,
        min_precision=min_precision,
        direction=_choice(data.get("direction"), "direction", DIRECTIONS, problems, "up"),
        cadence=_choice(data.get("cadence"), "cadence", CADENCES, problems, "immediate"),
        at=_clock(data.get("at"), problems),
        timezone=_timezone(data.get("timezone"), problems),
        weekday=_choice(data.get("weekday"), "weekday", WEEKDAYS, problems, "monday"),
        webhook=webhook,
        email=email,
        enabled=bool(data.get("enabled", True)),
        origin="file" if data.get("origin") == "file" else "page",
    )
    if problems:
        raise RuleError(problems, rule_id)
    return rule


# -- alerts.toml: rules kept as code in the scenario folder

RULES_FILE = "alerts.toml"


def read_rules_file(text: str, vocabulary: Vocabulary, check_webhook=None) -> tuple[list[Rule], list[str]]:
    """The rules of an alerts.toml, and a message for each rule that cannot be used (it is left
    out, the others stand)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return [], [f"{RULES_FILE} is not valid TOML: {err}"]
    entries = data.get("rules", [])
    if not isinstance(entries, list):
        return [], [f"{RULES_FILE}: write each rule as a [[rules]] table"]
    rules, problems, seen = [], [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            problems.append(f"{RULES_FILE}, rule {number}: not a table")
            continue
        try:
            rule = parse_rule({**entry, "origin": "file"}, vocabulary, check_webhook)
        except RuleError as err:
            problems.append(f"{RULES_FILE}, rule {number}: {err}")
            continue
        if rule.id in seen:
            problems.append(
                f"{RULES_FILE}, rule {number}: the id {rule.id!r} is used twice; the first stands"
            )
            continue
        seen.add(rule.id)
        rules.append(rule)
    return rules, problems


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def rules_toml(rules: Iterable[Rule]) -> str:
    """Rules as an alerts.toml (the page's download, to keep them as code); defaults left out."""
    default = Rule("x", "x").to_dict()
    blocks = []
    for rule in rules:
        lines = ["[[rules]]"]
        for key, value in rule.to_dict().items():
            if key == "origin" or (key not in ("id", "name", "watch", "kind") and value == default[key]):
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def rule_from_dict(data: Mapping) -> Rule:
    """A rule from its stored form (Rule.to_dict()), unchecked: for comparing and showing."""
    values = {key: data[key] for key in Rule.__dataclass_fields__ if key in data}
    values["tiers"] = tuple(Tier(**tier) for tier in values.get("tiers", ()))
    for key in ("families", "attack_types", "target_types", "attribution", "email"):
        values[key] = tuple(values.get(key, ()))
    return Rule(**values)


def differences(old: Rule, new: Rule) -> list[str]:
    """The fields that differ between two versions of a rule, in words."""
    a, b = old.to_dict(), new.to_dict()
    return [key for key in a if key != "origin" and a[key] != b[key]]


def vocabulary_of(dataset) -> Vocabulary:
    """The names a rule may use, from a loaded dataset (georisk.scenario.Dataset)."""
    sites = {
        str(row["site_id"]): {
            "name": row.get("name"),
            "sector": row.get("sector"),
            "partner_country": row.get("partner_country"),
            "status": row.get("status"),
            "provinces": row.get("provinces"),
        }
        for row in dataset.sites.drop(columns="geometry").to_dict("records")
    }
    provinces = set(dataset.boundaries["name"].dropna().astype(str))
    provinces |= set(dataset.threat_levels["province"].dropna().astype(str))
    families = set(dataset.actors["family"].dropna().astype(str))
    families |= set(dataset.incidents["actor_family"].dropna().astype(str))
    families.add("unknown")
    return Vocabulary(sites, frozenset(provinces), frozenset(families))
