"""Importers for incident feeds: ACLED exports, the Global Terrorism Database, the UCDP
Georeferenced Event Dataset, and any other CSV with a small mapping file. Each reads its format
into the curated incident columns; `core` does the rest the same way for all (checks, placing,
actor families, the report); `store` commits them to the store (georisk.store).

    python -m georisk import acled|gtd|ucdp|csv FILE [--mapping MAPPING.toml] --out DATA_DIR
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd

from georisk.feeds import acled, gtd, mapped, ucdp
from georisk.feeds.core import FeedContext, Report, finish
from georisk.feeds.reading import FeedError
from georisk.feeds.store import Run, StoreError, commit_import, rows_csv, safe_rows
from georisk.scenario.dataset import BUNDLED_DATA, load_dataset

__all__ = [
    "FeedError",
    "Run",
    "StoreError",
    "commit_import",
    "context_for",
    "import_file",
    "rows_csv",
    "safe_rows",
    "run",
]
log = logging.getLogger(__name__)

KINDS = {"acled": acled.read, "gtd": gtd.read, "ucdp": ucdp.read, "csv": mapped.read}


def context_for(data_dir: Path) -> FeedContext:
    """The boundaries and actor aliases of the target folder, or the bundled ones where it has none."""
    target = load_dataset(data_dir, with_store=False) if Path(data_dir).is_dir() else None
    # The bundled scenario is loaded only when the target lacks what it stands in for.
    complete = target is not None and not target.boundaries.empty and not target.actor_aliases.empty
    bundled = target if complete else load_dataset(BUNDLED_DATA)
    boundaries = (
        target.boundaries if target is not None and not target.boundaries.empty else bundled.boundaries
    )
    aliases = (
        target.actor_aliases
        if target is not None and not target.actor_aliases.empty
        else bundled.actor_aliases
    )
    scenario = target or bundled
    return FeedContext(boundaries, aliases, scenario.country, scenario.date_windows)


def run(
    kind: str,
    data: bytes,
    name: str,
    context: FeedContext,
    mapping_text: str | None = None,
    encoding: str = "auto",
) -> tuple[pd.DataFrame, Report]:
    """Import a feed given as bytes: (incidents to store, report). Raises FeedError for a file
    that cannot be read at all (wrong kind, missing columns, bad mapping, past a limit), and
    nothing else: an unexpected error inside an importer is logged and becomes a FeedError with
    a generic reason, so that no page and no command shows a traceback for a file."""
    if kind not in KINDS:
        raise FeedError(f"unknown kind of feed {str(kind)[:40]!r}: the kinds are {', '.join(KINDS)}")
    try:
        rows, report = KINDS[kind](data, name, context, mapping_text=mapping_text, encoding=encoding)
        report.sha256 = hashlib.sha256(data).hexdigest()
        return finish(rows, context, report), report
    except FeedError:
        raise
    except Exception as err:  # noqa: BLE001 - the last guard: any other failure is a bug to log
        log.exception("the %s importer failed on %s", kind, name)
        raise FeedError(
            f"{name} could not be imported as {kind}: the importer met something it does not handle "
            f"({type(err).__name__}); the error was logged for the maintainers"
        ) from err


def import_file(
    kind: str,
    path: Path,
    out: Path,
    mapping: Path | None = None,
    encoding: str = "auto",
    commit: bool = True,
    force: bool = False,
) -> tuple[pd.DataFrame, Report, Run | None]:
    """Import a feed file into the data folder `out`: (incidents, report, the version committed).
    With commit=False the feed is only checked. Raises ImportRefused (and changes nothing) for an
    import that may not replace the incidents in use, unless forced."""
    context = context_for(out)
    mapping_text = Path(mapping).read_text(encoding="utf-8") if mapping else None
    incidents, report = run(kind, Path(path).read_bytes(), Path(path).name, context, mapping_text, encoding)
    version = commit_import(out, incidents, report, force=force, actor="command line") if commit else None
    return incidents, report, version
