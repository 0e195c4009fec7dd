"""Notices about what a link asked for and could not have: short, grouped and capped.

A link is written by anyone, so it may carry a thousand unknown regions or a 100 KB value. Each
notice quotes a value cut short, values dropped for the same reason share one line that counts
them and names the first few, and a link never yields more than `MAX_NOTICES` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Longest value echoed back in a notice.
VALUE_CHARS = 40
# How many of the values dropped for one reason a grouped notice names.
FIRST = 5
# The most notices one link may produce; the rest are counted in a last line.
MAX_NOTICES = 12


def shown(value: str) -> str:
    """A value from a link, quoted and cut short, for a notice."""
    value = value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + "…"
    return repr(value)


@dataclass
class Dropped:
    """The values of one parameter dropped for one reason.

    `one` is the notice for a single value (with `{value}`); `many` the notice for several (with
    `{count}`, `{first}` and `{values}`)."""

    one: str
    many: str
    values: dict[str, None] = field(default_factory=dict)  # an ordered set: the first come first

    def add(self, value: str) -> None:
        self.values.setdefault(value)

    def lines(self) -> list[str]:
        if not self.values:
            return []
        if len(self.values) == 1:
            return [self.one.format(value=shown(next(iter(self.values))))]
        first = list(self.values)[:FIRST]
        return [
            self.many.format(
                count=f"{len(self.values):,}", first=len(first), values=", ".join(shown(v) for v in first)
            )
        ]


def capped(notices: list[str]) -> list[str]:
    """The notices without repeats, at most MAX_NOTICES of them (the last says how many more)."""
    unique = list(dict.fromkeys(notices))
    if len(unique) <= MAX_NOTICES:
        return unique
    rest = len(unique) - (MAX_NOTICES - 1)
    return [*unique[: MAX_NOTICES - 1], f"… and {rest:,} more notices about this link."]
