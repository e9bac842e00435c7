"""Heartbeats: the state, last ping and deadline of each heartbeat check.

Additive: a new table, which the version before this one, still serving beside it during a rolling
upgrade, never reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_heartbeats"
down_revision = "0006_wakeups"
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("since", _when(), nullable=False),
        sa.Column("deadline", _when(), nullable=True),
        sa.Column("last_ping_at", _when(), nullable=True),
        sa.Column("paused_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_heartbeats_state_deadline", "heartbeats", ["state", "deadline"])


def downgrade() -> None:
    op.drop_index("ix_heartbeats_state_deadline", table_name="heartbeats")
    op.drop_table("heartbeats")
