"""The ASGI app: alert webhooks, the incidents API and health, on one FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI

from bot import (
    api,
    calendar_api,
    errors,
    heartbeats_http,
    maintenance_api,
    metrics_http,
    oncall_api,
    rate_limit,
    readiness,
    twilio_voice_webhooks,
    twilio_webhooks,
    webhooks,
)
from bot.bootstrap import Runtime
from bot.integrations import alertmanager, grafana, pagerduty
from bot.slack import http as slack_http


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> FastAPI:
    """The app serving `runtime`; with `manage_runtime` it starts and stops the background workers."""
    app = FastAPI(
        title="Pager",
        version="0.1.0",
        description="On-call paging: alerts in, escalation policies, pages out by Slack, SMS and email.",
        lifespan=_lifespan(runtime, manage_runtime),
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.rate_limiter = rate_limit.AlertRateLimiter(
        runtime.settings.rate_limit, runtime.config.integration_keys
    )
    errors.install(app)
    app.add_middleware(metrics_http.CountRejectedAlerts, metrics=runtime.metrics)
    _include_routes(app)
    return app


def _lifespan(runtime: Runtime, manage: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """With `manage`, the runtime's background workers start with the app and stop with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage:
            runtime.start()
        try:
            yield
        finally:
            if manage:
                runtime.stop()

    return lifespan


def _include_routes(app: FastAPI) -> None:
    """Every endpoint; those that take alerts by integration key behind the per-service rate limit."""
    limited, refusal = [Depends(rate_limit.rate_limited)], rate_limit.RESPONSES
    app.include_router(webhooks.router, dependencies=limited, responses=refusal)
    app.include_router(api.router)
    app.include_router(maintenance_api.router)
    app.include_router(heartbeats_http.ping_router)
    app.include_router(heartbeats_http.api_router)
    app.include_router(alertmanager.router, dependencies=limited, responses=refusal)
    app.include_router(grafana.router, dependencies=limited, responses=refusal)
    app.include_router(pagerduty.router)  # limited by its body's routing_key, in the endpoint
    app.include_router(oncall_api.router)
    app.include_router(calendar_api.router)  # not behind the API token: each feed's URL carries its own
    app.include_router(twilio_webhooks.router)
    app.include_router(twilio_voice_webhooks.router)
    app.include_router(slack_http.router)
    app.include_router(metrics_http.router)
    app.include_router(readiness.router)
    app.get("/healthz", tags=["health"])(healthz)


def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}
