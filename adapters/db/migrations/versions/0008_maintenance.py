"""Maintenance windows and the alerts they suppressed: two new tables, nothing else changed (a replica of the
version before, still serving beside this one during a rolling upgrade, never reads them)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_maintenance"
down_revision = "0007_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("starts_at", when, nullable=False),
        sa.Column("ends_at", when, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("config_key", sa.String(100), nullable=True),
        sa.Column("handled_at", when, nullable=True),
        sa.UniqueConstraint("config_key", name="uq_maintenance_windows_config_key"),
    )
    op.create_index("ix_maintenance_windows_ends_at", "maintenance_windows", ["ends_at"])
    op.create_table(
        "suppressed_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("severity", sa.String(100), nullable=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("firing", sa.Boolean, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", when, nullable=False),
        sa.Column("last_at", when, nullable=False),
        sa.Column("starts_at", when, nullable=True),
        sa.Column("resolved_at", when, nullable=True),
        sa.Column("released_at", when, nullable=True),
        sa.Column("incident_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_suppressed_alerts_service_key", "suppressed_alerts", ["service_id", "dedup_key"])
    op.create_index("ix_suppressed_alerts_pending", "suppressed_alerts", ["firing", "released_at"])


def downgrade() -> None:
    op.drop_table("suppressed_alerts")
    op.drop_table("maintenance_windows")
