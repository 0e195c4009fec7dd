"""Bounds on the work any viewer can make the server do (issue 14, §5).

Every viewer, read-only or not, can ask for expensive things: a PDF briefing (a headless
Chromium), a briefing's HTML (plotly figures rendered in this process), a summary for model
settings nobody else uses. One Streamlit process runs all its sessions' scripts on about one
core (DESIGN.md §8), so one viewer asking in a loop slows every other viewer down. The pieces
here bound that, each in one place:

- `RateLimit`: a token bucket per session, for what a session may ask for per minute;
- `Slots`: how many of a costly thing run at once in the process, with a bounded wait;
- `LruCache`: a bounded cache, e.g. of printed PDFs by the hash of their HTML;
- `QuotaCache`: a shared LRU in which each session may hold only a few entries of its own.

Plain Python (no streamlit): tested in tests/unit/test_limits.py and used by georisk.app and
georisk.outputs.printing.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any


class Refused(Exception):
    """A request turned down to protect the other viewers; the message says what to do."""


def retry_text(seconds: float) -> str:
    return f"about {max(1, math.ceil(seconds))} s"


class RateLimit:
    """A token bucket per key (a session): `burst` requests at once, then one every
    `60 / per_minute` seconds. Keys idle long enough to have a full bucket are forgotten, so
    the table stays small however many sessions come and go."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        keys_kept: int = 10_000,
    ) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = burst
        self.clock = clock
        self.keys_kept = keys_kept
        self._lock = threading.Lock()
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def wait(self, key: Hashable) -> float:
        """Seconds until `key` may ask again (0: now), without using anything."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, key: Hashable) -> float:
        """Use one request of `key`'s allowance: 0 if granted, else the seconds to wait (and
        nothing is used)."""
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            if tokens < 1:
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.keys_kept:
                # The least recently active key; at worst it starts again with a full bucket.
                self._buckets.popitem(last=False)
            return 0.0


class Slots:
    """At most `count` holders at once in the process. A caller who cannot get a slot within
    `timeout` seconds is refused with `busy` rather than queueing without limit."""

    def __init__(self, count: int, timeout: float, busy: str) -> None:
        self._semaphore = threading.BoundedSemaphore(count)
        self.timeout = timeout
        self.busy = busy

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.timeout):
            raise Refused(self.busy)
        try:
            yield
        finally:
            self._semaphore.release()


class LruCache:
    """A thread-safe cache of at most `capacity` values; the least recently used go first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            return self._values[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.capacity:
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)


class QuotaCache:
    """A cache shared by every session in which no session can push out the others' entries.

    Each entry belongs to the session that made it until a second session uses it; it is then
    shared (a popular view, e.g. a link sent to many people). The rules:
    - a session holds at most `per_owner` entries of its own: its new entry replaces its own
      least recently used one, never another session's;
    - when the cache is full, the least recently used entry that some session owns goes first;
      shared entries go only when no owned entry is left.
    So a viewer cycling through settings nobody else uses keeps at most `per_owner` entries,
    and the views that several people look at stay cached.
    """

    SHARED = None

    def __init__(self, capacity: int, per_owner: int) -> None:
        self.capacity = capacity
        self.per_owner = per_owner
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, list] = OrderedDict()  # key -> [value, owner]

    def get(self, key: Hashable, owner: Hashable) -> Any | None:
        with self._lock:
            return self._touch(key, owner) if key in self._entries else None

    def put(self, key: Hashable, value: Any, owner: Hashable) -> None:
        with self._lock:
            if key in self._entries:  # two sessions made it at once: keep the first, now shared
                self._touch(key, owner)
                return
            own = [k for k, (_, o) in self._entries.items() if o == owner]
            if len(own) >= self.per_owner:
                del self._entries[own[0]]  # this session's least recently used
            self._entries[key] = [value, owner]
            while len(self._entries) > self.capacity:
                owned = next((k for k, (_, o) in self._entries.items() if o is not self.SHARED), None)
                del self._entries[owned if owned is not None else next(iter(self._entries))]

    def _touch(self, key: Hashable, owner: Hashable) -> Any:
        """Mark the entry as just used by `owner`; used by another session, it becomes shared."""
        entry = self._entries[key]
        self._entries.move_to_end(key)
        if entry[1] != owner:
            entry[1] = self.SHARED
        return entry[0]

    def owners(self) -> dict[Hashable, int]:
        """How many entries each owner holds (shared ones under None)."""
        with self._lock:
            counts: dict[Hashable, int] = {}
            for _, owner in self._entries.values():
                counts[owner] = counts.get(owner, 0) + 1
            return counts

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
