"""The HTTP payloads: what monitors and API clients send, and what they get back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.alerts import Alert, AlertStatus
from domain.events import Event
from domain.queries import IncidentView, ServiceView


class GenericAlert(BaseModel):
    """An alert in Pager's own format, as `curl` or any script can send it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: str | None = Field(None, max_length=1024, description="What is wrong; required when firing.")
    status: Literal["firing", "resolved"] = "firing"
    dedup_key: str | None = Field(
        None, min_length=1, max_length=255, description="Alerts with the same key are one alert."
    )
    severity: Literal["critical", "error", "warning", "info"] | None = None
    details: dict[str, Any] = Field(default_factory=dict, description="Anything else worth keeping.")

    def problems(self) -> list[FieldError]:
        """Rules across fields, which the schema alone cannot say."""
        if self.status == "firing" and not self.summary:
            return [FieldError(field="summary", reason="required when status is firing")]
        return []

    def to_alert(self) -> Alert:
        return Alert(
            summary=self.summary or "resolved",
            status=AlertStatus(self.status),
            dedup_key=self.dedup_key,
            severity=self.severity,
            source="generic",
            details=self.details,
        )


class AlertAccepted(BaseModel):
    incident_id: int | None
    result: Literal["opened", "appended", "resolved", "ignored", "suppressed"]


class ActBy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(min_length=1, max_length=100, description="The id of a person in the config.")


class ServiceOut(BaseModel):
    id: str
    name: str
    health: Literal["healthy", "unhealthy"]
    open_incident_id: int | None

    @classmethod
    def of(cls, view: ServiceView) -> ServiceOut:
        return cls(id=view.id, name=view.name, health=view.health.value, open_incident_id=view.open_incident)


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> TimelineEntry:
        data = {k: v for k, v in vars(event).items() if k != "at"}
        return cls(at=event.at, kind=event.kind, data=data)


class IncidentOut(BaseModel):
    id: int
    service_id: str
    service_name: str
    summary: str
    state: Literal["triggered", "acknowledged", "resolved"]
    level: int = Field(description="The level paged last, counting from 1.")
    round: int = Field(description="The repeat round, counting from 0.")
    opened_at: datetime
    ack_deadline: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    escalation_exhausted: bool
    timeline: list[TimelineEntry] | None = None

    @classmethod
    def of(cls, view: IncidentView, with_timeline: bool = False) -> IncidentOut:
        i = view.incident
        return cls(
            id=i.id,
            service_id=i.service_id,
            service_name=view.service_name,
            summary=i.summary,
            state=i.state.value,
            level=i.level,
            round=i.round,
            opened_at=i.opened_at,
            ack_deadline=i.ack_deadline,
            acknowledged_by=i.acknowledged_by,
            acknowledged_at=i.acknowledged_at,
            resolved_by=i.resolved_by,
            resolved_at=i.resolved_at,
            escalation_exhausted=i.exhausted,
            timeline=[TimelineEntry.of(e) for e in view.timeline] if with_timeline else None,
        )


class IncidentList(BaseModel):
    incidents: list[IncidentOut] = Field(description="Newest first.")
    next: str | None = Field(
        description="The next page: this listing's path with the same `status` and `limit`, and `before` "
        "the last incident's id. Null on the last page."
    )


class FieldError(BaseModel):
    field: str
    reason: str


class ErrorOut(BaseModel):
    error: str
    errors: list[FieldError] = []


def error_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error answers: each status an `ErrorOut` with its description."""
    return {code: {"model": ErrorOut, "description": text} for code, text in described.items()}
