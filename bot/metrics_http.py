"""GET /metrics for Prometheus, and the count of refused requests to the alert endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.prometheus_metrics import PrometheusMetrics

# The integration each alert endpoint stands for, as the metrics label it.
ALERT_ENDPOINTS = {
    "/webhooks/generic": "generic",
    "/webhooks/alertmanager": "alertmanager",
    "/webhooks/grafana": "grafana",
    "/v2/enqueue": "pagerduty",
}

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
    summary="Metrics in Prometheus' text format",
)
async def metrics(request: Request) -> Response:
    registry = request.app.state.runtime.metrics.registry
    # The gauges read the database: off the event loop.
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class CountRejectedAlerts:
    """ASGI middleware: a 4xx answer of an alert endpoint counts as a rejected alert of its integration.

    Refusals happen before the body is parsed, so a refused request counts once, whatever it carried.
    """

    def __init__(self, app: ASGIApp, metrics: PrometheusMetrics) -> None:
        self._app, self._metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        integration = ALERT_ENDPOINTS.get(scope["path"]) if scope["type"] == "http" else None
        if integration is None:
            await self._app(scope, receive, send)
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                self._metrics.alert_rejected(integration)
            await send(message)

        await self._app(scope, receive, watched)
