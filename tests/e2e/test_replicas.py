"""Two real `pager serve` replicas on one PostgreSQL database, paging through fake Twilio and Slack.

An alert storm spread over both pages each address once per step; the leader killed with SIGKILL
mid-escalation leaves the other replica to escalate every incident on time, once.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.processes import Replicas, Server, wait_for
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio
from tests.slack_fake import FakeSlack, running_fake_slack

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TOKEN = "replica-test-token"
STORM_SERVICES, ALERTS = 20, 200
FAST_SERVICES = 4
ACK_TIMEOUT = timedelta(seconds=8)  # the fast services' level 1
TAKEOVER = timedelta(seconds=10)  # a new leader within 10 s of the old one dying

# Every service pages people of its own, so each address expects exactly one page per step:
# group 1 is the storm services' only level, groups 2 and 3 the fast services' levels 1 and 2.
STORM, FAST_1, FAST_2 = 1, 2, 3


def phone(group: int, i: int) -> str:
    return f"+336123{group}{i:04d}"


def slack_id(group: int, i: int) -> str:
    return f"U0G{group}N{i}"


def key(name: str) -> str:
    return f"{name}-key-0123456789"


def config() -> str:
    people = [
        f'  p{group}n{i}: {{sms: "{phone(group, i)}", slack: {slack_id(group, i)}}}'
        for group, count in ((STORM, STORM_SERVICES), (FAST_1, FAST_SERVICES), (FAST_2, FAST_SERVICES))
        for i in range(count)
    ]
    policies, services = [], []
    for i in range(STORM_SERVICES):
        policies.append(f"  storm{i}: {{ack_timeout: 1h, levels: [{{targets: [person:p{STORM}n{i}]}}]}}")
        services.append(f'  s{i}: {{escalation_policy: storm{i}, integration_keys: ["{key(f"s{i}")}"]}}')
    for i in range(FAST_SERVICES):
        levels = (
            f"[{{targets: [person:p{FAST_1}n{i}]}}, {{targets: [person:p{FAST_2}n{i}], ack_timeout: 1h}}]"
        )
        policies.append(f"  fast{i}: {{ack_timeout: {ACK_TIMEOUT.seconds}s, levels: {levels}}}")
        services.append(f'  f{i}: {{escalation_policy: fast{i}, integration_keys: ["{key(f"f{i}")}"]}}')
    return "\n".join(["people:", *people, "escalation_policies:", *policies, "services:", *services]) + "\n"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str, twilio: FakeTwilio, slack: FakeSlack) -> Iterator[Replicas]:
    env = {
        "PAGER_DATABASE_URL": postgres_url,
        "PAGER_API_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_URL": twilio.url,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": "replica-test-signing-secret",
        "SLACK_API_URL": slack.api_url,
    }
    group = Replicas(tmp_path, 2, env, config())
    group.start()
    yield group
    group.stop()


def pages(group: int, twilio: FakeTwilio, slack: FakeSlack) -> tuple[Counter[str], Counter[str]]:
    """Messages per address of one group: SMS by phone, Slack cards by member (the fake names a DM D<id>)."""
    sms = Counter(m["To"] for m in list(twilio.messages) if m["To"].startswith(f"+336123{group}"))
    channels = [str(c["channel"]).removeprefix("D") for c in slack.calls("chat.postMessage")]
    return sms, Counter(c for c in channels if c.startswith(f"U0G{group}N"))


def once_each(group: int, count: int) -> tuple[Counter[str], Counter[str]]:
    return Counter(phone(group, i) for i in range(count)), Counter(slack_id(group, i) for i in range(count))


def alert(server: Server, service: str, n: int) -> int:
    body = {"summary": f"alert {n}", "dedup_key": f"alert-{n}"}
    headers = {"Authorization": f"Bearer {key(service)}"}
    return httpx2.post(f"{server.url}/webhooks/generic", json=body, headers=headers, timeout=60).status_code


def storm(servers: list[Server]) -> Counter[int]:
    """ALERTS alerts at once, round-robin over the replicas and the storm services."""

    def post(n: int) -> int:
        return alert(servers[n % len(servers)], f"s{n % STORM_SERVICES}", n)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return Counter(pool.map(post, range(ALERTS)))


def api(server: Server, path: str) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx2.get(f"{server.url}/api/{path}", headers=headers, timeout=10).json()


def fast_incidents(server: Server) -> list[int]:
    found = api(server, "incidents?status=all")["incidents"]
    return [i["id"] for i in found if i["service_id"].startswith("f")]


def timeline(server: Server, incident_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api(server, f"incidents/{incident_id}")["timeline"]
    return found


def paged_at(server: Server, incident_id: int) -> dict[int, datetime]:
    return {
        e["data"]["level"]: datetime.fromisoformat(e["at"])
        for e in timeline(server, incident_id)
        if e["kind"] == "LevelPaged"
    }


def all_sent(server: Server, incidents: list[int]) -> bool:
    """Both level 1 pages (SMS, Slack) of each incident recorded as sent: a kill before that would leave
    a page to be sent again after its 60 s lease."""
    sent = [sum(e["kind"] == "NotificationSent" for e in timeline(server, i)) for i in incidents]
    return sent == [2] * FAST_SERVICES


READY = {"database": "ok", "migrations": "ok", "leader": "ok"}


def test_a_storm_over_two_replicas_pages_once_and_the_survivor_of_a_killed_leader_escalates_once(
    replicas: Replicas, twilio: FakeTwilio, slack: FakeSlack
) -> None:
    assert storm(replicas.servers) == {202: ALERTS}
    wait_for(lambda: pages(STORM, twilio, slack) == once_each(STORM, STORM_SERVICES), 30, "the storm's pages")
    leader = replicas.leader()
    survivor = next(s for s in replicas.servers if s is not leader)
    assert survivor.readiness() == (200, {"status": "ready", "checks": READY, "leading": False})

    # Fast incidents opened on both replicas: the follower's wake-ups wait in the shared job store.
    opened = [alert(replicas.servers[i % 2], f"f{i}", ALERTS + i) for i in range(FAST_SERVICES)]
    assert opened == [202] * FAST_SERVICES
    wait_for(lambda: pages(FAST_1, twilio, slack) == once_each(FAST_1, FAST_SERVICES), 30, "level 1 pages")
    wait_for(lambda: all_sent(survivor, fast_incidents(survivor)), 10, "level 1 pages to be recorded")
    leader.kill()
    killed_at = datetime.now(UTC)

    wait_for(lambda: pages(FAST_2, twilio, slack) == once_each(FAST_2, FAST_SERVICES), 40, "level 2 pages")
    assert survivor.readiness() == (200, {"status": "ready", "checks": READY, "leading": True})
    time.sleep(2)  # room for a duplicate to show up, if there were one
    steps = [paged_at(survivor, i) for i in fast_incidents(survivor)]
    assert killed_at < min(paged[1] for paged in steps) + ACK_TIMEOUT, "killed after escalations were due"
    assert [paged[2] - paged[1] < ACK_TIMEOUT + TAKEOVER for paged in steps] == [True] * FAST_SERVICES
    assert pages(FAST_2, twilio, slack) == once_each(FAST_2, FAST_SERVICES)
    assert pages(FAST_1, twilio, slack) == once_each(FAST_1, FAST_SERVICES)
    assert pages(STORM, twilio, slack) == once_each(STORM, STORM_SERVICES)


def test_a_leader_stopped_with_sigterm_exits_cleanly_and_hands_over(replicas: Replicas) -> None:
    leader = replicas.leader()
    follower = next(s for s in replicas.servers if s is not leader)

    exit_code = leader.terminate()

    # uvicorn re-raises the SIGTERM once its graceful shutdown is done, as supervisors expect
    assert exit_code == -signal.SIGTERM
    stepped_down = [e for e in leader.log_entries(0) if e.get("event") == "no longer leading"]
    assert [e["reason"] for e in stepped_down] == ["shutting down"]
    assert replicas.leader(timeout=10) is follower
