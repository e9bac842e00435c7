"""SlackChatNotifier against a fake Slack and a real database: where cards go, and what is remembered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from adapters.db import SqlAlchemyUnitOfWork
from adapters.db.slack_store import PostedCard, SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_chat import SlackChatNotifier
from domain.delivery_ports import Page, PageItem
from domain.model import Channel, Incident, IncidentId, PersonId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0, FakeClock
from tests.slack_fake import FakeSlack, running_fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def notifier(slack: FakeSlack, migrated_engine: Engine) -> SlackChatNotifier:
    api = SlackWebApi(WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[]), pace=0)

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(migrated_engine)

    return SlackChatNotifier(api, SqlSlackStore(migrated_engine), FakeClock(), uow)


def stored_incident(engine: Engine, acknowledged: bool = False) -> IncidentId:
    incident = Incident(IncidentId(0), ServiceId("payments"), "DB down", opened_at=T0)
    if acknowledged:
        incident.acknowledge(PersonId("alice"), T0 + timedelta(minutes=1))
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.incidents.add(incident)
        uow.commit()
    return incident.id


def page(address: str, *incident_ids: IncidentId) -> Page:
    items = tuple(PageItem(i, ServiceId("payments"), "Payments API", "DB down", 1, 0) for i in incident_ids)
    return Page(Channel.SLACK, address, items)


def test_a_channel_card_is_remembered_by_channel_id_as_threaded(
    notifier: SlackChatNotifier, migrated_engine: Engine
) -> None:
    incident_id = stored_incident(migrated_engine)

    notifier.send(page("#ops", incident_id))

    cards = SqlSlackStore(migrated_engine).cards_of(incident_id)
    assert cards == [PostedCard(incident_id, "COPS", "1700000000.000001", True)]


def test_a_dm_card_is_remembered_unthreaded(notifier: SlackChatNotifier, migrated_engine: Engine) -> None:
    incident_id = stored_incident(migrated_engine)

    notifier.send(page("U0ALICE", incident_id))

    assert SqlSlackStore(migrated_engine).cards_of(incident_id)[0].threaded is False


def test_a_card_for_an_incident_acknowledged_in_flight_is_refreshed(
    notifier: SlackChatNotifier, migrated_engine: Engine
) -> None:
    incident_id = stored_incident(migrated_engine, acknowledged=True)

    notifier.send(page("#ops", incident_id))

    assert [r.incident_id for r in SqlSlackStore(migrated_engine).pending_refreshes()] == [incident_id]


def test_a_card_for_a_still_triggered_incident_needs_no_refresh(
    notifier: SlackChatNotifier, migrated_engine: Engine
) -> None:
    incident_id = stored_incident(migrated_engine)

    notifier.send(page("#ops", incident_id))

    assert SqlSlackStore(migrated_engine).pending_refreshes() == []
