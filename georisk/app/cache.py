"""The scenario loaded once per process and shared by every session, and the overview's summaries
shared between the sessions that show the same view."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from georisk import limits
from georisk.analysis import overview
from georisk.app.url import session_id
from georisk.model import settings
from georisk.scenario.dataset import Dataset, data_dir_from, load_dataset
from georisk.store import location
from georisk.view import Choices, View, choices_for


def _stamp(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a file in the folder changes, so an edited file is read again."""
    if not data_dir.is_dir():
        return ()
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(data_dir.iterdir()) if p.is_file()
    )


class Loaded:
    """The scenario loaded once per process and shared by every session (read-only): the
    dataset and its filter choices (the risk model's context is made once per dataset by
    georisk.model.context.shared).

    It is kept here rather than in st.cache_resource on purpose: any viewer can send the message
    that clears Streamlit's caches, and with a million incidents reloading costs seconds."""

    _lock = threading.Lock()
    _load_lock = threading.Lock()
    _loading: tuple | None = None  # the key being loaded, while a session loads it
    # The one loaded scenario, by its folder and the folder's stamp; only the latest is kept.
    # Tests set it to None to start a case from the files.
    current: tuple[tuple, Loaded] | None = None

    # Summaries shared by all sessions; each session may hold at most SUMMARIES_PER_SESSION of
    # its own (limits.QuotaCache), so a viewer cycling through new settings cannot push out
    # the views other people look at.
    SUMMARIES_KEPT = 64
    SUMMARIES_PER_SESSION = 8
    # Summaries one session may compute (cache misses) per minute, after a first burst: enough
    # for a person trying settings (a slider move is one); a loop beyond it waits in its own
    # session, so that it takes no more than its share of the process's one busy core
    # (benchmarks/load.py --hostile: at 30 a minute a settings loop still slowed others 2x).
    NEW_SUMMARIES_PER_MINUTE = 12
    NEW_SUMMARIES_BURST = 10

    def __init__(self, data_dir: Path) -> None:
        self.key = ""  # set by `of`: the folder, its files' stamps and the store's version in use
        self.dataset: Dataset = load_dataset(data_dir)
        self.choices: Choices = choices_for(self.dataset)
        self._summaries = limits.QuotaCache(self.SUMMARIES_KEPT, self.SUMMARIES_PER_SESSION)
        self._new_summaries = limits.RateLimit(self.NEW_SUMMARIES_PER_MINUTE, self.NEW_SUMMARIES_BURST)

    def summary(
        self,
        view: View,
        model: settings.ModelSettings,
        since: dt.date,
        session: str = "",
        on_wait: Callable[[float], None] = lambda seconds: None,
    ) -> overview.Summary:
        """The overview of a view, made once and shared by every session that shows the same
        view (a shared link is opened by many people). A session over its rate of new summaries
        first waits (`on_wait` is told how long); only that session's run is slowed."""
        key = (view.filters, model, since)
        made = self._summaries.get(key, session)
        if made is not None:
            return made
        while (wait := self._new_summaries.take(session)) > 0:
            on_wait(wait)
            time.sleep(wait)  # releases the GIL: the other sessions' runs go on meanwhile
        made = overview.summarise(view, model, since)
        self._summaries.put(key, made, session)
        return made

    @classmethod
    def of(cls, data_dir: Path) -> Loaded:
        """The scenario of `data_dir`, loaded again when a file in it or the store's version in
        use has changed (checked on every run: a stat of the folder and one small query). While
        one session loads a new version, the others go on with the old one; only the first load
        makes sessions wait."""
        key = (str(data_dir), _stamp(data_dir), location.token(data_dir))
        with cls._lock:
            current = cls.current
            if current is not None and current[0] == key:
                return current[1]
            serving = current is not None and current[0][0] == key[0]
            if serving and cls._loading is not None:
                return current[1]  # a newer version is being loaded: show this one meanwhile
            cls._loading = key
        try:
            with cls._load_lock:  # one load at a time (a first load makes the others wait here)
                if cls.current is not None and cls.current[0] == key:
                    return cls.current[1]
                if not serving:
                    cls.current = None  # another folder: free the old one before loading
                made = cls(data_dir)
                made.key = repr(key)  # what the API's ETags rest on (georisk.api.http)
                with cls._lock:
                    # Only the latest version of the data is kept: the old one is freed.
                    cls.current = (key, made)
                return made
        finally:
            with cls._lock:
                cls._loading = None


def loaded() -> Loaded:
    """The scenario this server shows (GEORISK_DATA, `-- --data DIR`, else the bundled data)."""
    return Loaded.of(data_dir_from(sys.argv))


def summary(view: View, model: settings.ModelSettings, since: dt.date) -> overview.Summary:
    """The overview's summary of the view (shared between sessions; read it, never change it)."""

    def waiting(seconds: float) -> None:
        st.toast(
            f"Many new views in a short time: this one waits {seconds:.0f} s so that other viewers "
            "are not slowed down.",
            icon=":material/hourglass_top:",
        )

    return Loaded.of(view.dataset.data_dir).summary(view, model, since, session_id(), waiting)
