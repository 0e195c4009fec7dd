"""Watch rules and alerts: rules, alerts, alert_actions, deliveries, watch_state, evaluations; and
an index of the incidents by run, which the evaluation of a run reads."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("incidents_by_run", "incidents", ["run_seq"])
    op.create_table(
        "rules",
        sa.Column("id", sa.String(60), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
        sa.Column("author", sa.String(200)),
        sa.Column("feed_token", sa.String(64), nullable=False),
        sa.Column("webhook_secret", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.String(60), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("state", sa.String(14), nullable=False),
        sa.Column("raised", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
        sa.Column("run_seq", sa.Integer, nullable=False),
        sa.Column("feed", sa.String(16)),
        sa.Column("event_id", sa.String(200)),
        sa.Column("revision", sa.Integer),
        sa.Column("event_date", sa.String(10)),
        sa.Column("site_id", sa.String(200)),
        sa.Column("province", sa.String(200)),
        sa.Column("distance_km", sa.Float),
        sa.Column("details", sa.Text, nullable=False),
        sa.UniqueConstraint("rule_id", "key", name="alerts_once"),
    )
    op.create_index("alerts_by_state", "alerts", ["state", "updated"])
    op.create_index("alerts_by_event", "alerts", ["feed", "event_id"])
    op.create_table(
        "alert_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("action", sa.String(14), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("note", sa.Text),
    )
    op.create_index("alert_actions_by_alert", "alert_actions", ["alert_id", "id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("rule_id", sa.String(60), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("alert_ids", sa.Text, nullable=False),
        sa.Column("event", sa.String(10), nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.String(32)),
        sa.Column("outcome", sa.Text),
    )
    op.create_index("deliveries_due", "deliveries", ["state", "next_at"])
    op.create_table(
        "watch_state",
        sa.Column("rule_id", sa.String(60), primary_key=True),
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_table(
        "evaluations",
        sa.Column("run_seq", sa.Integer, sa.ForeignKey("runs.seq"), primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("raised", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("withdrawn", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("evaluations", "watch_state", "deliveries", "alert_actions", "alerts", "rules"):
        op.drop_table(table)
    op.drop_index("incidents_by_run", "incidents")
