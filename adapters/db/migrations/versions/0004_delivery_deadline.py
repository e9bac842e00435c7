"""Outbox: when a page that missed its delivery deadline fell through to the person's next method."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery_deadline"
down_revision = "0003_slack"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("fell_through_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("fell_through_at")
