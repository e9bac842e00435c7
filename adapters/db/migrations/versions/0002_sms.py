"""Inbound SMS already acted on, by Twilio MessageSid."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sms"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_inbound",
        sa.Column("message_sid", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sms_inbound")
