"""A config imported from PagerDuty, served: the old key still works and the rota pages who it says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.bootstrap import bootstrap
from bot.http import create_app
from bot.importers import pagerduty
from bot.importers.api import DirApi
from bot.importers.plan import check, render
from bot.settings import Settings
from domain.model import Channel
from tests.e2e.conftest import Harness
from tests.e2e.vendor_payloads import pagerduty_trigger
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pagerduty"
# Wednesday 9 December 2026, 10:00 in New York, 16:00 in Paris.
NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
# The Events API v2 key of PagerDuty service PSVPAY1 (Payments API), kept by the import.
PAYMENTS_ROUTING_KEY = "a1b2c3d4e5f6478899aabbccddeeff01"
ALICE, EVE = "+12015550123", "+33612345678"


@pytest.fixture
def imported(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    plan = pagerduty.build_plan(DirApi(FIXTURES), NOW)
    config = check(render(plan, "PagerDuty", NOW))
    settings = Settings(database_url=database_url, config_path=tmp_path / "unused.yaml")
    clock = FakeClock(NOW)
    wakeups = FakeWakeUps(clock)
    notifiers = {channel: RecordingNotifier() for channel in Channel}
    runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
    wakeups.engine = runtime.pager.engine
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        yield Harness(client, runtime, clock, wakeups, notifiers)
    runtime.intake.stop()
    runtime.engine.dispose()


def texts(h: Harness) -> list[str]:
    return [page.address for page in h.notifiers[Channel.SMS].sent]


def test_the_kept_events_v2_key_pages_who_the_primary_schedule_has_on_call(imported: Harness) -> None:
    # Schedule PSPRIM1: alice, bob, carol, david weekly from Monday 5 January 09:00 New York; 9 December falls
    # in turn 48 (from Monday 7 December), 48 mod 4 = 0: Alice. Her first high-urgency rule is an SMS at once.
    response = imported.client.post("/v2/enqueue", json=pagerduty_trigger(PAYMENTS_ROUTING_KEY))
    imported.advance(timedelta(0))

    assert response.status_code == 202
    assert texts(imported) == [ALICE]


def test_her_call_follows_two_minutes_later_as_her_rules_say(imported: Harness) -> None:
    imported.client.post("/v2/enqueue", json=pagerduty_trigger(PAYMENTS_ROUTING_KEY))
    imported.advance(timedelta(0))

    imported.advance(timedelta(minutes=2))

    assert [page.address for page in imported.notifiers[Channel.VOICE].sent] == [ALICE]


def test_after_the_rules_ten_minutes_the_second_level_pages_the_office_hours_layer(imported: Harness) -> None:
    # Policy PEPPAY1's second rule: schedule PSSECD2 and Alice. On a Wednesday at 16:00 in Paris the upper
    # layer (weekdays 09:00-17:00: eve, frank weekly from 5 January) wins: turn 48, 48 mod 2 = 0: Eve.
    imported.client.post("/v2/enqueue", json=pagerduty_trigger(PAYMENTS_ROUTING_KEY))
    imported.advance(timedelta(0))

    imported.advance(timedelta(minutes=10))

    assert sorted(texts(imported)) == sorted([ALICE, ALICE, EVE])
