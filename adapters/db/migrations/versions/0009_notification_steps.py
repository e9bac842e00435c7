"""Outbox: the step of a person's notification rules each message is for, part of the message's key, so two
steps on the same method (a call at 2m and another at 7m) are two messages.

Not additive for the unique key: the version before this one inserts with ON CONFLICT on the old
five-column key, which PostgreSQL refuses once that key is gone. Stop the replicas of the previous version
before upgrading to this one (a rolling upgrade from it is not supported).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_notification_steps"
down_revision = "0008_maintenance"
branch_labels = None
depends_on = None

_OLD_KEY = ("incident_id", "level", "round", "channel", "address")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("step", sa.Integer, nullable=False, server_default=sa.text("0")))
        batch.drop_constraint("uq_outbox_step_address", type_="unique")
        batch.create_unique_constraint("uq_outbox_message", [*_OLD_KEY, "step"])


def downgrade() -> None:
    # The old key allows one message per address and step of the escalation: keep each one's first.
    keep_first = f"SELECT MIN(id) FROM outbox GROUP BY {', '.join(_OLD_KEY)}"
    op.execute(f"DELETE FROM outbox WHERE id NOT IN ({keep_first})")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_message", type_="unique")
        batch.create_unique_constraint("uq_outbox_step_address", _OLD_KEY)
        batch.drop_column("step")
