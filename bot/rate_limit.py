"""A rate limit per service on the alert endpoints, so one flooding monitor cannot starve the others."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import Request

from bot.config import KeyRing
from bot.errors import ApiError
from bot.schemas import ErrorOut, FieldError
from bot.settings import RateLimit
from bot.webhooks import presented_key
from domain.model import ServiceId


class TokenBucket:
    """Holds up to `burst` tokens and gains `rate` a second; each request takes one."""

    def __init__(self, limit: RateLimit, now: float) -> None:
        self._rate, self._capacity = limit.rate, float(limit.burst)
        self._tokens, self._updated = self._capacity, now

    def take(self, now: float) -> float:
        """Take a token: 0 when one was taken, else the seconds until one will be there (none taken)."""
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class AlertRateLimiter:
    """One token bucket per service, shared by all its integration keys and alert endpoints.

    In memory, per process: with several replicas each one applies the limit to what it receives.
    """

    def __init__(
        self,
        limit: RateLimit,
        integration_keys: KeyRing,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[ServiceId, TokenBucket] = {}
        self._lock = threading.Lock()
        self._keys = integration_keys

    def service_of(self, presented_key: str | None) -> ServiceId | None:
        return self._keys.service_for(presented_key) if presented_key else None

    def check(self, service_id: ServiceId) -> None:
        """Count one request for the service; raises ApiError 429 with Retry-After when over the limit."""
        if not self.limit.enabled:
            return
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(service_id, TokenBucket(self.limit, now))
            wait = bucket.take(now)
        if wait > 0:
            seconds = max(math.ceil(wait), 1)
            raise ApiError(
                429,
                f"rate limit of service {service_id} exceeded ({self.limit}): retry after {seconds} s",
                [FieldError(field="rate_limit", reason=str(self.limit))],
                headers={"Retry-After": str(seconds)},
            )


# For the OpenAPI document of every limited endpoint.
RESPONSES: dict[int | str, dict[str, object]] = {
    429: {"model": ErrorOut, "description": "Over the service's rate limit; Retry-After says when to retry"}
}


async def rate_limited(request: Request) -> None:
    """FastAPI dependency for endpoints keyed by header or `?key=`: refuses before the body is read.

    A key that is no service's passes through, to be refused by the endpoint's own check."""
    limiter: AlertRateLimiter = request.app.state.rate_limiter
    service_id = limiter.service_of(presented_key(request))
    if service_id is not None:
        limiter.check(service_id)


def check_rate(request: Request, service_id: ServiceId) -> None:
    """The limit for an endpoint that finds its service in the body (PagerDuty's `routing_key`)."""
    limiter: AlertRateLimiter = request.app.state.rate_limiter
    limiter.check(service_id)
