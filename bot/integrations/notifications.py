"""What Alertmanager and Grafana notifications share: the alert list, its domain alerts, and the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ApiError, field_errors
from domain.alerts import Alert, AlertStatus
from domain.model import ServiceId

MAX_SUMMARY = 1024
MAX_SEVERITY = 100

M = TypeVar("M", bound=BaseModel)


class NotifiedAlert(BaseModel):
    """One alert of a notification, as Alertmanager (and Grafana, with more fields) sends it."""

    # Vendors add fields over versions; an unknown one must not make us drop a page.
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: datetime | None = Field(
        None,
        description="When this episode of the alert began. A firing alert that began no later than the "
        "end of its episode already resolved is a late retry: ignored.",
    )
    endsAt: datetime | None = Field(
        None,
        description="When the episode ended (0001-01-01T00:00:00Z while firing). A resolved alert that "
        "ended before a newer episode of it began is a late retry: ignored.",
    )
    generatorURL: str = ""
    fingerprint: str = Field(
        min_length=1, max_length=255, description="Identifies the alert across notifications."
    )

    def summary(self, fallback: str = "") -> str:
        """`annotations.summary`, else the `alertname` label, else `fallback`, else the fingerprint."""
        text = self.annotations.get("summary") or self.labels.get("alertname") or fallback
        return (text.strip() or f"alert {self.fingerprint}")[:MAX_SUMMARY]

    def to_alert(self, source: str, fallback: str = "") -> Alert:
        severity = self.labels.get("severity")
        return Alert(
            summary=self.summary(fallback),
            status=AlertStatus(self.status),
            dedup_key=self.fingerprint,
            severity=severity[:MAX_SEVERITY] if severity else None,
            source=source,
            details={
                "labels": self.labels,
                "annotations": self.annotations,
                "generatorURL": self.generatorURL,
            },
            starts_at=_instant(self.startsAt),
            ends_at=_instant(self.endsAt),
        )


def _instant(value: datetime | None) -> datetime | None:
    """The time in UTC; None for Go's zero time (year 1: the `endsAt` of an alert still firing), a time
    without an offset, or one that UTC cannot hold."""
    if value is None or value.tzinfo is None or value.year <= 1:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


class AppliedAlert(BaseModel):
    fingerprint: str
    incident_id: int | None
    result: Literal["opened", "appended", "resolved", "ignored", "suppressed"]


class NotificationAccepted(BaseModel):
    """Every alert of the notification, in its order, with the incident it joined."""

    alerts: list[AppliedAlert]


def validated(model: type[M], payload: object) -> M:
    """`payload` as `model`, or a 422 naming every offending field."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "invalid notification", field_errors(exc)) from None


async def apply(request: Request, service_id: ServiceId, alerts: list[Alert]) -> NotificationAccepted:
    """Hand every alert to the pager in one unit of work; it is committed when this returns."""
    outcomes = await request.app.state.runtime.intake.apply(service_id, alerts)
    return NotificationAccepted(
        alerts=[
            AppliedAlert(fingerprint=a.dedup_key or "", incident_id=o.incident_id, result=o.result.value)
            for a, o in zip(alerts, outcomes, strict=True)
        ]
    )
