"""Alerts: their service and the monitor's start and end of each episode, to tell a late retry from news."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_alert_episodes"
down_revision = "0004_delivery_deadline"
branch_labels = None
depends_on = None

_SERVICE_OF_INCIDENT = (
    "UPDATE alerts SET service_id = "
    "(SELECT incidents.service_id FROM incidents WHERE incidents.id = alerts.incident_id)"
)


def upgrade() -> None:
    # Nullable: the version before this one, still serving beside it during a rolling upgrade, writes none.
    op.add_column("alerts", sa.Column("service_id", sa.String(200), nullable=True))
    op.add_column("alerts", sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("alerts", sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_SERVICE_OF_INCIDENT)
    op.create_index("ix_alerts_service_dedup_key", "alerts", ["service_id", "dedup_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_service_dedup_key", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("ends_at")
        batch.drop_column("starts_at")
        batch.drop_column("service_id")
