"""The initial schema: service states, incidents, alerts, timeline and outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN_INCIDENT = sa.text("state != 'resolved'")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_incidents()
    _create_service_states()
    _create_alerts()
    _create_timeline()
    _create_outbox()


def downgrade() -> None:
    for table in ("outbox", "timeline", "alerts", "service_states", "incidents"):
        op.drop_table(table)


def _create_incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("ack_deadline", _when(), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("acknowledged_at", _when(), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", _when(), nullable=True),
        sa.Column("exhausted", sa.Boolean, nullable=False),
        sa.Column("opened_at", _when(), nullable=False),
    )
    op.create_index("ix_incidents_state_ack_deadline", "incidents", ["state", "ack_deadline"])
    op.create_index(
        "uq_incidents_one_open_per_service",
        "incidents",
        ["service_id"],
        unique=True,
        sqlite_where=OPEN_INCIDENT,
        postgresql_where=OPEN_INCIDENT,
    )


def _create_service_states() -> None:
    op.create_table(
        "service_states",
        sa.Column("service_id", sa.String(200), primary_key=True),
        sa.Column("open_incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=True),
    )


def _create_alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("dedup_key", sa.String(500), nullable=True),
        sa.Column("firing", sa.Boolean, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", _when(), nullable=False),
        sa.Column("last_at", _when(), nullable=False),
    )
    op.create_index("ix_alerts_incident_dedup_key", "alerts", ["incident_id", "dedup_key"])


def _create_timeline() -> None:
    op.create_table(
        "timeline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_timeline_incident_id", "timeline", ["incident_id", "id"])


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("service_id", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", _when(), nullable=True),
        sa.Column("lease_until", _when(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", _when(), nullable=True),
        sa.UniqueConstraint(
            "incident_id", "level", "round", "channel", "address", name="uq_outbox_step_address"
        ),
    )
    op.create_index("ix_outbox_status_created_at", "outbox", ["status", "created_at"])
