"""The card relay thread: a change reported to the updater reaches Slack without anyone calling drain."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from adapters.db.slack_store import PostedCard, SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_card_updates import SlackCardRelay, SlackCardUpdater
from domain.model import Incident, IncidentId, PersonId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0, FakeClock
from tests.slack_fake import FakeSlack, running_fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


def test_the_relay_updates_cards_soon_after_a_change(slack: FakeSlack, sqlite_url: str) -> None:
    engine: Engine = make_engine(sqlite_url)
    upgrade(engine)
    incident = Incident(IncidentId(0), ServiceId("payments"), "DB down", opened_at=T0)
    with SqlAlchemyUnitOfWork(engine) as unit:
        unit.incidents.add(incident)
        unit.commit()
    store = SqlSlackStore(engine)
    store.record([PostedCard(incident.id, "C1", "1.1", True)], T0)

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    api = SlackWebApi(WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[]), pace=0)
    updater = SlackCardUpdater(api, store, uow, str, FakeClock())
    relay = SlackCardRelay(updater, poll_interval=60)
    relay.start()
    try:
        incident.acknowledge(PersonId("alice"), T0)
        updater.incident_changed(incident)
        done = threading.Event()
        for _ in range(200):  # up to 10 s: the relay thread works on its own schedule
            if len(slack.calls("chat.update")) == 1 and store.pending_replies() == []:
                done.set()
                break
            done.wait(0.05)
    finally:
        relay.stop()
        engine.dispose()

    assert done.is_set()
