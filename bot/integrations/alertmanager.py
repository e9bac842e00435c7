"""POST /webhooks/alertmanager: Prometheus Alertmanager's webhook receiver (payload version 4)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.integrations.notifications import NotificationAccepted, NotifiedAlert, apply, validated
from bot.integrations.openapi import request_body
from bot.schemas import error_responses
from bot.webhooks import ALERT_ERRORS, find_service, parse_json, presented_key, read_body

router = APIRouter(tags=["integrations"])


class AlertmanagerNotification(BaseModel):
    """A notification for one group of alerts, as Alertmanager's `webhook_config` sends it."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"] = Field(description="Only version 4 is understood; another shape is refused.")
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupKey: str = ""
    truncatedAlerts: int = Field(0, ge=0, description="Alerts left out by `max_alerts`; they are not seen.")
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[NotifiedAlert] = Field(min_length=1)


@router.post(
    "/webhooks/alertmanager",
    status_code=202,
    response_model=NotificationAccepted,
    responses=error_responses(ALERT_ERRORS),
    summary="Alertmanager webhook receiver (Authorization: Bearer <integration key>)",
    openapi_extra=request_body(AlertmanagerNotification),
)
async def alertmanager(request: Request) -> NotificationAccepted:
    """Each firing alert joins the service's open incident or opens one; resolved alerts are marked so."""
    service_id = find_service(request.app.state.runtime.config.integration_keys, presented_key(request))
    notification = validated(AlertmanagerNotification, parse_json(await read_body(request)))
    alerts = [alert.to_alert("alertmanager") for alert in notification.alerts]
    return await apply(request, service_id, alerts)
