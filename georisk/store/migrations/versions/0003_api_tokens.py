"""The tokens of the JSON API and the MCP server: api_tokens (only the hash of each secret)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("last_used", sa.String(32)),
        sa.Column("revoked", sa.String(32)),
        sa.Column("revoked_by", sa.String(200)),
    )
    op.create_index("api_tokens_by_name", "api_tokens", ["name"])


def downgrade() -> None:
    op.drop_table("api_tokens")
