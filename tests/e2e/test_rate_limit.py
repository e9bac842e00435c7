"""The per-service rate limit through HTTP: each alert endpoint says 429 and Retry-After, storing nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import RateLimit, Settings
from domain.model import Channel
from domain.queries import OPEN_STATES
from tests.e2e.conftest import CONFIG, PAYMENTS_KEY, SEARCH_KEY
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier

# A rate so slow the bucket does not refill during the test: the burst is all a service gets.
BURST = 2
LIMIT = RateLimit(rate=0.001, burst=BURST)


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    settings = Settings(database_url=sqlite_url, config_path=tmp_path / "unused.yaml", rate_limit=LIMIT)
    clock = FakeClock()
    notifiers = {c: RecordingNotifier() for c in Channel}
    config = parse_config(CONFIG, "test.yaml", {})
    runtime = bootstrap(settings, config=config, clock=clock, wakeups=FakeWakeUps(clock), notifiers=notifiers)
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        yield client, runtime
    runtime.engine.dispose()


def generic(client: TestClient, key: str, n: int) -> httpx2.Response:
    body = {"summary": f"alert {n}", "dedup_key": f"k{n}"}
    return client.post("/webhooks/generic", json=body, headers={"Authorization": f"Bearer {key}"})


def alertmanager(client: TestClient, key: str, n: int) -> httpx2.Response:
    alert = {"status": "firing", "labels": {"alertname": f"a{n}"}, "fingerprint": f"f{n}"}
    body = {"version": "4", "status": "firing", "alerts": [alert]}
    return client.post("/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {key}"})


def grafana(client: TestClient, key: str, n: int) -> httpx2.Response:
    alert = {"status": "firing", "labels": {"alertname": f"g{n}"}, "fingerprint": f"g{n}"}
    return client.post(f"/webhooks/grafana?key={key}", json={"title": "t", "alerts": [alert]})


def pagerduty(client: TestClient, key: str, n: int) -> httpx2.Response:
    payload = {"summary": f"pd {n}", "source": "host", "severity": "critical"}
    body = {"routing_key": key, "event_action": "trigger", "dedup_key": f"pd{n}", "payload": payload}
    return client.post("/v2/enqueue", json=body)


Post = Callable[[TestClient, str, int], httpx2.Response]
ENDPOINTS: list[Post] = [generic, alertmanager, grafana, pagerduty]


def alerts_recorded(runtime: Runtime) -> int:
    views = runtime.queries.incidents(OPEN_STATES)
    return sum(
        1
        for view in views
        for event in runtime.queries.incident(view.incident.id).timeline
        if event.kind == "AlertReceived"
    )


@pytest.mark.parametrize("post", ENDPOINTS, ids=lambda p: p.__name__)
def test_a_service_over_its_limit_gets_429_with_retry_after_and_nothing_is_stored(
    app: tuple[TestClient, Runtime], post: Post
) -> None:
    client, runtime = app
    accepted = [post(client, PAYMENTS_KEY, n).status_code for n in range(BURST)]

    refused = post(client, PAYMENTS_KEY, BURST)

    assert accepted == [202] * BURST
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "rate limit" in refused.text and "requests/s" in refused.text
    assert alerts_recorded(runtime) == BURST


def test_every_alert_endpoint_draws_on_the_same_bucket_of_a_service(app: tuple[TestClient, Runtime]) -> None:
    client, _ = app
    assert [post(client, PAYMENTS_KEY, 1).status_code for post in ENDPOINTS[:BURST]] == [202] * BURST

    assert [post(client, PAYMENTS_KEY, 2).status_code for post in ENDPOINTS] == [429] * len(ENDPOINTS)


def test_a_flooding_service_does_not_starve_another(app: tuple[TestClient, Runtime]) -> None:
    client, _ = app
    for n in range(BURST + 3):
        generic(client, PAYMENTS_KEY, n)

    assert generic(client, SEARCH_KEY, 0).status_code == 202


def test_an_unknown_key_is_refused_as_unknown_not_as_over_the_limit(app: tuple[TestClient, Runtime]) -> None:
    client, _ = app

    answers = [generic(client, "no-such-key", n).status_code for n in range(BURST + 2)]

    assert answers == [401] * (BURST + 2)


def test_the_429_is_in_the_openapi_document_of_each_alert_endpoint(app: tuple[TestClient, Runtime]) -> None:
    client, _ = app
    paths = client.get("/openapi.json").json()["paths"]

    for path in ("/webhooks/generic", "/webhooks/alertmanager", "/webhooks/grafana", "/v2/enqueue"):
        assert "429" in paths[path]["post"]["responses"], path
