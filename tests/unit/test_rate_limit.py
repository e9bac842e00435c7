"""The per-service token bucket in front of the alert endpoints, on a clock the test moves."""

from __future__ import annotations

import pytest

from bot.config import KeyRing
from bot.errors import ApiError
from bot.rate_limit import AlertRateLimiter, TokenBucket
from bot.settings import RateLimit, Settings, SettingsError
from domain.model import ServiceId

KEYS = KeyRing({"payments-key": ServiceId("payments"), "search-key": ServiceId("search")})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(rate: float = 10, burst: int = 3) -> tuple[AlertRateLimiter, Clock]:
    clock = Clock()
    return AlertRateLimiter(RateLimit(rate=rate, burst=burst), KEYS, clock), clock


def refusal(limiter: AlertRateLimiter, service: str) -> ApiError:
    with pytest.raises(ApiError) as refused:
        limiter.check(ServiceId(service))
    return refused.value


def test_a_full_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(RateLimit(rate=2, burst=3), now=0.0)

    taken = [bucket.take(0.0) for _ in range(3)]

    assert taken == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst() -> None:
    bucket = TokenBucket(RateLimit(rate=2, burst=3), now=0.0)
    for _ in range(3):
        bucket.take(0.0)

    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) > 0
    assert [bucket.take(100.0) for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) > 0


def test_over_the_limit_is_a_429_with_retry_after_in_whole_seconds_naming_the_limit() -> None:
    rate_limiter, _ = limiter(rate=0.25, burst=1)
    rate_limiter.check(ServiceId("payments"))

    refused = refusal(rate_limiter, "payments")

    assert refused.status == 429
    assert refused.headers == {"Retry-After": "4"}
    assert "payments" in refused.message
    assert [e.reason for e in refused.errors] == ["0.25 requests/s per service, bursts of 1"]


def test_one_flooding_service_does_not_use_up_another_services_bucket() -> None:
    rate_limiter, _ = limiter(burst=3)
    for _ in range(3):
        rate_limiter.check(ServiceId("payments"))
    refusal(rate_limiter, "payments")

    rate_limiter.check(ServiceId("search"))  # not refused


def test_a_refused_service_is_let_through_again_once_the_clock_has_refilled_its_bucket() -> None:
    rate_limiter, clock = limiter(rate=10, burst=1)
    rate_limiter.check(ServiceId("payments"))
    refusal(rate_limiter, "payments")

    clock.now += 0.1

    rate_limiter.check(ServiceId("payments"))


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    rate_limiter, _ = limiter(rate=0, burst=1)

    for _ in range(100):
        rate_limiter.check(ServiceId("payments"))


def test_the_bucket_is_found_from_the_presented_key_and_an_unknown_key_has_none() -> None:
    rate_limiter, _ = limiter()

    assert rate_limiter.service_of("search-key") == "search"
    assert rate_limiter.service_of("guess") is None
    assert rate_limiter.service_of(None) is None


def test_settings_default_lets_a_storm_through_for_a_while() -> None:
    limit = Settings.from_env({}).rate_limit

    assert limit.rate >= 100 and limit.burst >= 1000


def test_settings_read_the_limit_from_the_environment() -> None:
    limit = Settings.from_env({"PAGER_RATE_LIMIT": "50.5", "PAGER_RATE_BURST": "200"}).rate_limit

    assert (limit.rate, limit.burst) == (50.5, 200)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAGER_RATE_LIMIT", "fast"),
        ("PAGER_RATE_LIMIT", "-1"),
        ("PAGER_RATE_BURST", "0"),
        ("PAGER_RATE_LIMIT", "nan"),
    ],
)
def test_settings_refuse_a_bad_limit_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
