"""Schema migrations (Alembic), applied when a store is opened for writing and by
`python -m georisk store upgrade`. The migration scripts live in `migrations/versions`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest schema revision this code knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: sa.Engine) -> str | None:
    """The schema revision the database is at (None: an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> list[str]:
    """Bring the database to the head revision; the revisions applied (empty: it was current).
    On PostgreSQL an advisory lock keeps two processes starting at once from both migrating."""
    before = current(engine)
    if before == head():
        return []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7317001)"))
        if MigrationContext.configure(conn).get_current_revision() != head():
            command.upgrade(_config(conn), "head")
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in script.iterate_revisions(head(), before)]
