"""The alert as every channel shows it: the Alerts page, the Atom feed, the webhook's JSON and the
email digest all render this one record, so that they say the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STATES = ("open", "acknowledged", "closed", "withdrawn")
OPEN_STATES = ("open", "acknowledged")  # still to be dealt with
KINDS = ("incident", "band", "threat")


@dataclass(frozen=True)
class Alert:
    id: int
    rule_id: str
    rule_name: str
    kind: str  # incident | band | threat
    state: str  # open | acknowledged | closed | withdrawn
    raised: str  # ISO 8601 UTC, when the alert was first raised
    updated: str  # ISO 8601 UTC, its last change (a revision, a withdrawal, an acknowledgement)
    title: str  # one line: what happened where
    why: str  # why the rule matched, in words
    site_id: str | None = None
    site_name: str | None = None
    province: str | None = None
    distance_km: float | None = None  # from the site (incident alerts near a site)
    # The incident (incident alerts): as the feed gives it now.
    feed: str | None = None
    event_id: str | None = None
    revision: int | None = None
    event_date: str | None = None
    location: str | None = None
    group: str | None = None
    actor_family: str | None = None
    attack_type: str | None = None
    target_type: str | None = None
    killed: int | None = None
    wounded: int | None = None
    geo_precision: str | None = None
    source: str | None = None
    confidence: str | None = None
    change: str | None = None  # what the latest revision changed, in words
    note: str | None = None  # the latest acknowledgement or closing note
    by: str | None = None  # who acknowledged or closed it
    links: dict[str, str] = field(default_factory=dict)  # map, site: links into the dashboard

    def to_dict(self) -> dict:
        return asdict(self)
