"""Alembic's environment for the store: run with the connection georisk.store.database hands it
(config.attributes["connection"]), never from a URL in a file."""

from alembic import context

from georisk.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
