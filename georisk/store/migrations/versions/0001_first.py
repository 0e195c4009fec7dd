"""The first schema: runs, incidents with their revisions, snapshots, state, locks."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(80), nullable=False, unique=True),
        sa.Column("started", sa.String(32), nullable=False),
        sa.Column("finished", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("feed", sa.String(16)),
        sa.Column("label", sa.String(400), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("fetched", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("revised", sa.Integer, nullable=False),
        sa.Column("withdrawn", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("total", sa.Integer),
        sa.Column("last_event", sa.String(10)),
        sa.Column("restores", sa.String(80)),
        sa.Column("feeds", sa.Text),
        sa.Column("actor", sa.String(200)),
        sa.Column("cursor", sa.Text),
        sa.Column("report", sa.Text),
        sa.Column("rows", sa.LargeBinary),
    )
    op.create_index("runs_by_feed", "runs", ["feed", "outcome", "seq"])
    op.create_table(
        "incidents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("feed", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("event_date", sa.String(10)),
        sa.Column("digest", sa.String(40), nullable=False),
        sa.Column("record", sa.Text),
        sa.UniqueConstraint("feed", "event_id", "revision", name="incidents_revision"),
    )
    op.create_index("incidents_current", "incidents", ["feed", "current", "event_id"])
    op.create_table(
        "snapshots",
        sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("in_use", sa.Integer),
        sa.Column("curated", sa.Boolean, nullable=False),
        sa.Column("changed", sa.String(32), nullable=False),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(80), nullable=False),
        sa.Column("what", sa.String(200), nullable=False),
        sa.Column("beat", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("locks", "state", "snapshots", "incidents", "runs"):
        op.drop_table(table)
