"""Slack: the cards posted per incident, pending card refreshes and pending thread replies."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_slack"
down_revision = "0002_sms"
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("ts", sa.String(50), nullable=False),
        sa.Column("threaded", sa.Boolean, nullable=False),
        sa.Column("posted_at", _when(), nullable=False),
        sa.UniqueConstraint("incident_id", "channel", "ts", name="uq_slack_messages_incident_message"),
    )
    op.create_index("ix_slack_messages_channel_ts", "slack_messages", ["channel", "ts"])
    op.create_table(
        "slack_card_refreshes",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("requested_at", _when(), nullable=False),
    )
    op.create_table(
        "slack_thread_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("thread_ts", sa.String(50), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", _when(), nullable=False),
    )


def downgrade() -> None:
    for table in ("slack_thread_replies", "slack_card_refreshes", "slack_messages"):
        op.drop_table(table)
