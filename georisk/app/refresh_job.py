"""A refresh started from the Data page runs in a thread of the server process, not in the page's
script: a viewer who leaves the page, or a rerun, stops a script midway, and a refresh must finish
and be recorded whatever its page does. The page shows the job's progress while it runs, and any
analyst who opens the Data page meanwhile sees the same job (one per data folder per process; the
store's own lock keeps refreshes from other processes and machines apart)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from georisk.alerts.evaluate import evaluate_and_send
from georisk.feeds import refresh
from georisk.store.database import StoreError


@dataclass
class RefreshJob:
    data_dir: Path
    actor: str
    lines: list[str] = field(default_factory=list)
    outcomes: list[refresh.Outcome] | None = None
    error: str | None = None  # the store could not be opened: nothing ran
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def done(self) -> bool:
        return self.finished is not None

    def run(self) -> None:
        try:
            self.outcomes = refresh.refresh(self.data_dir, actor=self.actor, progress=self.lines.append)
            alerts = evaluate_and_send(self.data_dir)
            if alerts.runs or alerts.messages:  # a line only when the rules had something to read
                self.lines.append("alerts: " + alerts.summary())
        except StoreError as err:
            self.error = str(err)
        except Exception as err:  # noqa: BLE001 - a bug must end the job with a reason, not hang the page
            self.error = (
                f"the refresh stopped on an unexpected error ({type(err).__name__}); see the server log"
            )
            raise
        finally:
            self.finished = time.time()


_JOBS: dict[str, RefreshJob] = {}
_LOCK = threading.Lock()


def start(data_dir: Path, actor: str) -> RefreshJob:
    """Start a refresh of the folder, or return the one this process is already running."""
    with _LOCK:
        job = _JOBS.get(str(data_dir))
        if job is not None and not job.done:
            return job
        job = _JOBS[str(data_dir)] = RefreshJob(Path(data_dir), actor)
        threading.Thread(target=job.run, name="georisk-refresh", daemon=True).start()
        return job


def running(data_dir: Path) -> RefreshJob | None:
    """The refresh this process is running for the folder, if any."""
    job = _JOBS.get(str(data_dir))
    return job if job is not None and not job.done else None
