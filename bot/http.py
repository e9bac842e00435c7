"""The ASGI app: alert webhooks, the incidents API and health, on one FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from bot import api, errors, metrics_http, oncall_api, rate_limit, readiness, twilio_webhooks, webhooks
from bot.bootstrap import Runtime
from bot.integrations import alertmanager, grafana, pagerduty
from bot.slack import http as slack_http


def create_app(runtime: Runtime, *, manage_runtime: bool = True) -> FastAPI:
    """The app serving `runtime`; with `manage_runtime` it starts and stops the background workers."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            runtime.start()
        try:
            yield
        finally:
            if manage_runtime:
                runtime.stop()

    app = FastAPI(
        title="Pager",
        version="0.1.0",
        description="On-call paging: alerts in, escalation policies, pages out by Slack, SMS and email.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.rate_limiter = rate_limit.AlertRateLimiter(
        runtime.settings.rate_limit, runtime.config.integration_keys
    )
    errors.install(app)
    app.add_middleware(metrics_http.CountRejectedAlerts, metrics=runtime.metrics)
    limited, refusal = [Depends(rate_limit.rate_limited)], rate_limit.RESPONSES
    app.include_router(webhooks.router, dependencies=limited, responses=refusal)
    app.include_router(api.router)
    app.include_router(alertmanager.router, dependencies=limited, responses=refusal)
    app.include_router(grafana.router, dependencies=limited, responses=refusal)
    app.include_router(pagerduty.router)  # limited by its body's routing_key, in the endpoint
    app.include_router(oncall_api.router)
    app.include_router(twilio_webhooks.router)
    app.include_router(slack_http.router)
    app.include_router(metrics_http.router)
    app.include_router(readiness.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
