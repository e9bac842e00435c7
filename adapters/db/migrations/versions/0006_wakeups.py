"""Stored wake-ups name the function they run; the module that holds it was renamed, so the old ones go.

A wake-up is only a hint: the deadlines are on the incidents, and `pager serve` asks for a wake-up at every
pending one when it starts (and its engine looks every few seconds anyway), so nothing is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_wakeups"
down_revision = "0005_alert_episodes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("apscheduler_jobs"):
        op.execute("DELETE FROM apscheduler_jobs")


def downgrade() -> None:
    """Nothing to restore: the next start asks for its wake-ups again."""
