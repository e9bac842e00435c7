"""Short in-adapter retries: a few quick attempts, so one slow provider does not hold up the relay."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from domain.errors import SendFailed

T = TypeVar("T")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, SendFailed) and not exc.permanent


def with_retries(call: Callable[[], T], attempts: int, backoff: float) -> T:
    """`call()`, again after `backoff`, twice that, ... while it raises a retryable SendFailed.

    The last failure is raised as it was; the dispatcher's own backoff takes over from there.
    """
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff, max=backoff * 8),
        retry=retry_if_exception(_retryable),
        reraise=True,
    )
    return retrying(call)
