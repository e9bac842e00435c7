"""POST /webhooks/grafana: Grafana alerting's webhook contact point, its HMAC signature checked."""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ApiError
from bot.integrations.notifications import NotificationAccepted, NotifiedAlert, apply, validated
from bot.integrations.openapi import request_body
from bot.schemas import error_responses
from bot.webhooks import ALERT_ERRORS, find_service, parse_json, presented_key, read_body

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"
# A signed timestamp older than this is a replay, not Grafana retrying.
MAX_SIGNATURE_AGE = 300

router = APIRouter(tags=["integrations"])


class GrafanaNotification(BaseModel):
    """A notification from a Grafana webhook contact point (unified alerting)."""

    model_config = ConfigDict(extra="ignore")

    status: str = ""
    receiver: str = ""
    orgId: int | None = None
    title: str = ""
    state: str = ""
    message: str = ""
    groupKey: str = ""
    truncatedAlerts: int = Field(0, ge=0)
    commonLabels: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[NotifiedAlert] = Field(min_length=1)


def verify_signature(
    secret: str, body: bytes, signature: str | None, timestamp: str | None, now: float
) -> None:
    """Grafana signs hex(HMAC-SHA256(secret, [timestamp ":"] body)); anything else is refused with 401."""
    if not signature:
        raise ApiError(401, f"missing {SIGNATURE_HEADER} header: this service expects signed requests")
    message = body
    if timestamp is not None:
        if not timestamp.strip().isdigit() or abs(now - int(timestamp)) > MAX_SIGNATURE_AGE:
            raise ApiError(401, f"{TIMESTAMP_HEADER} is not a Unix time within {MAX_SIGNATURE_AGE} s of now")
        message = timestamp.strip().encode() + b":" + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise ApiError(401, f"{SIGNATURE_HEADER} does not match the body and the service's grafana_secret")


@router.post(
    "/webhooks/grafana",
    status_code=202,
    response_model=NotificationAccepted,
    responses=error_responses(
        {**ALERT_ERRORS, 401: "Unknown integration key, or a missing or wrong signature"}
    ),
    summary="Grafana webhook contact point (Authorization: Bearer <integration key>, optional HMAC)",
    openapi_extra=request_body(GrafanaNotification),
)
async def grafana(request: Request) -> NotificationAccepted:
    """As Alertmanager's; a service with a `grafana_secret` takes only bodies Grafana signed with it."""
    config = request.app.state.runtime.config
    service_id = find_service(config.integration_keys, presented_key(request))
    body = await read_body(request)
    secret = config.grafana_secrets.get(service_id)
    if secret is not None:
        headers = request.headers
        verify_signature(
            secret, body, headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER), time.time()
        )
    notification = validated(GrafanaNotification, parse_json(body))
    alerts = [alert.to_alert("grafana", fallback=notification.title) for alert in notification.alerts]
    return await apply(request, service_id, alerts)
