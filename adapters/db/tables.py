"""The pager's tables, in SQLAlchemy Core; migrations/versions creates the same schema by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware column that only takes aware datetimes and always gives back aware UTC.

    SQLite keeps no offset, so values are stored as UTC wall time and read back as UTC.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the pager stores aware UTC datetimes only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

OPEN_INCIDENT = text("state != 'resolved'")

service_states = Table(
    "service_states",
    metadata,
    Column("service_id", String(200), primary_key=True),
    Column("open_incident_id", Integer, ForeignKey("incidents.id"), nullable=True),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("level", Integer, nullable=False),  # counts from 0, the domain from 1: see incident_repository
    Column("round", Integer, nullable=False),
    Column("ack_deadline", UtcDateTime(), nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("acknowledged_at", UtcDateTime(), nullable=True),
    Column("resolved_by", String(200), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("exhausted", Boolean, nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Index("ix_incidents_state_ack_deadline", "state", "ack_deadline"),
    # The database, not only the service lock, guarantees one open incident per service.
    Index(
        "uq_incidents_one_open_per_service",
        "service_id",
        unique=True,
        sqlite_where=OPEN_INCIDENT,
        postgresql_where=OPEN_INCIDENT,
    ),
)

# NO_RETURNING: the rows of these tables are written at a unit of work's commit, sent without waiting for
# each answer (`engine.pipelined`); a one-row INSERT must not ask for its new id back (SQLAlchemy otherwise
# adds RETURNING and reads it), and nothing needs it.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("dedup_key", String(500), nullable=True),
    Column("firing", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    # The incident's service, so the latest episode of a service's alert is one index probe away. Nullable:
    # a replica of the version before it, still serving during a rolling upgrade, inserts rows without it.
    Column("service_id", String(200), nullable=True),
    # The monitor's times for the episode: its start (the latest one seen while it fires) and its end.
    Column("starts_at", UtcDateTime(), nullable=True),
    Column("ends_at", UtcDateTime(), nullable=True),
    Index("ix_alerts_incident_dedup_key", "incident_id", "dedup_key"),
    Index("ix_alerts_service_dedup_key", "service_id", "dedup_key", "id"),
    implicit_returning=False,  # see NO_RETURNING
)

timeline = Table(
    "timeline",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_timeline_incident_id", "incident_id", "id"),
    implicit_returning=False,  # see NO_RETURNING
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False),
    Column("service_id", String(200), nullable=False),
    Column("summary", Text, nullable=False),
    Column("level", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("address", String(500), nullable=False),
    Column("target", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("not_before", UtcDateTime(), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    # Set once a page still undelivered at its delivery deadline has fallen through: it falls through once.
    Column("fell_through_at", UtcDateTime(), nullable=True),
    # The step of the person's notification rules (0: every method at once): two steps on one method
    # are two messages.
    Column("step", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("incident_id", "level", "round", "channel", "address", "step", name="uq_outbox_message"),
    Index("ix_outbox_status_created_at", "status", "created_at"),
    implicit_returning=False,  # see NO_RETURNING
)

# Inbound SMS already acted on, by Twilio's MessageSid: a redelivered webhook is answered, not re-run.
sms_inbound = Table(
    "sms_inbound",
    metadata,
    Column("message_sid", String(64), primary_key=True),
    Column("received_at", UtcDateTime(), nullable=False),
)

# Slack: every card posted for an incident, so it can be updated in place; a bundled card has one row
# per incident it lists, all with the same (channel, ts).
slack_messages = Table(
    "slack_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False),
    Column("channel", String(50), nullable=False),
    Column("ts", String(50), nullable=False),
    Column("threaded", Boolean, nullable=False),
    Column("posted_at", UtcDateTime(), nullable=False),
    UniqueConstraint("incident_id", "channel", "ts", name="uq_slack_messages_incident_message"),
    Index("ix_slack_messages_channel_ts", "channel", "ts"),
)

# Incidents whose cards must be re-rendered: one row however many changes, so a storm becomes one update.
slack_card_refreshes = Table(
    "slack_card_refreshes",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
)

# Timeline steps owed to the thread of a channel card, deleted once posted.
slack_thread_replies = Table(
    "slack_thread_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(50), nullable=False),
    Column("thread_ts", String(50), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Heartbeats by name: the state of each, since when, its last ping and its deadline (only while "ok").
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("deadline", UtcDateTime(), nullable=True),
    Column("last_ping_at", UtcDateTime(), nullable=True),
    Column("paused_by", String(200), nullable=True),
    Index("ix_heartbeats_state_deadline", "state", "deadline"),
)

# Maintenance windows, as the config declares them (`config_key` set, so each is stored once) or people
# open them; `services` is a JSON list. `handled_at` is set once the engine handled the window's end.
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("services", Text, nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("config_key", String(100), nullable=True),
    Column("handled_at", UtcDateTime(), nullable=True),
    UniqueConstraint("config_key", name="uq_maintenance_windows_config_key"),
    Index("ix_maintenance_windows_ends_at", "ends_at"),
)

# Alerts that fired while their service was in maintenance: one row per (service, dedup key) episode,
# pending while firing and not released; `incident_id` is the incident it was handed to at the end.
suppressed_alerts = Table(
    "suppressed_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(200), nullable=False),
    Column("dedup_key", String(500), nullable=True),
    Column("summary", Text, nullable=False),
    Column("severity", String(100), nullable=True),
    Column("source", String(50), nullable=False),
    Column("firing", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_at", UtcDateTime(), nullable=False),
    Column("last_at", UtcDateTime(), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=True),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("released_at", UtcDateTime(), nullable=True),
    Column("incident_id", Integer, nullable=True),
    Index("ix_suppressed_alerts_service_key", "service_id", "dedup_key"),
    Index("ix_suppressed_alerts_pending", "firing", "released_at"),
)
