"""A bundle too big for one Slack message, against the strict fake Slack at Slack's own pace.

SlackWebApi and the fake share one clock that moves only when the API waits, so Slack's one message
per second per channel is kept exactly, without the test sleeping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from adapters.db import SqlAlchemyUnitOfWork
from adapters.db.slack_store import PostedCard, SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_card_updates import SlackCardUpdater
from adapters.slack_chat import SlackChatNotifier
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.events import LevelPaged
from domain.model import Channel, Incident, IncidentId, PersonId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0, FakeClock
from tests.slack_fake import FakeSlack, running_fake_slack
from tests.slack_limits import MESSAGE_BLOCKS


class SharedTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def time_() -> SharedTime:
    return SharedTime()


@pytest.fixture
def slack(time_: SharedTime) -> Iterator[FakeSlack]:
    yield from running_fake_slack(clock=time_.monotonic)  # Slack's default pace and burst


@pytest.fixture
def api(slack: FakeSlack, time_: SharedTime) -> SlackWebApi:
    client = WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[])
    return SlackWebApi(client, sleep=time_.sleep, monotonic=time_.monotonic)  # Slack's pace: 1 s


def uow_of(engine: Engine) -> UnitOfWork:
    return SqlAlchemyUnitOfWork(engine)


@pytest.fixture
def notifier(api: SlackWebApi, migrated_engine: Engine) -> SlackChatNotifier:
    return SlackChatNotifier(
        api, SqlSlackStore(migrated_engine), FakeClock(), lambda: uow_of(migrated_engine)
    )


def paged_incidents(engine: Engine, count: int, level: int = 1, at: datetime = T0) -> list[IncidentId]:
    """`count` incidents of as many services, each with its level `level` paged at `at`."""
    ids = []
    with SqlAlchemyUnitOfWork(engine) as uow:
        for i in range(count):
            incident = Incident(IncidentId(0), ServiceId(f"svc{i}"), f"svc{i} down", opened_at=T0)
            uow.incidents.add(incident)
            ids.append(incident.id)
        uow.commit()
    with SqlAlchemyUnitOfWork(engine) as uow:
        for incident_id in ids:
            paged = LevelPaged(at=at, level=level, round=0, targets=("slack:#ops",), ack_deadline=at)
            uow.timeline.append(incident_id, paged)
        uow.commit()
    return ids


def page(
    incident_ids: list[IncidentId], level: int = 1, address: str = "#ops", summary: str = "down"
) -> Page:
    items = tuple(
        PageItem(i, ServiceId(f"svc{i}"), f"Service {i}", f"#{i} {summary}", level, 0) for i in incident_ids
    )
    return Page(Channel.SLACK, address, items)


def card_ids(post: dict[str, object]) -> list[int]:
    """The incidents a card shows, by the value of their buttons."""
    return sorted({int(found) for found in re.findall(r'"value": "(\d+)"', json.dumps(post["blocks"]))})


def test_a_bundle_of_forty_incidents_reaches_slack_in_every_detail(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 40)

    notifier.send(page(ids))

    posts = slack.calls("chat.postMessage")
    assert slack.refused == []
    assert sorted({i for post in posts for i in card_ids(post)}) == sorted(ids)
    assert all(len(post["blocks"]) <= MESSAGE_BLOCKS for post in posts)


def test_a_bundle_of_long_summaries_reaches_slack_in_every_detail(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 16)

    notifier.send(page(ids, summary="s" * 1_000))

    assert sorted(i for post in slack.calls("chat.postMessage") for i in card_ids(post)) == sorted(ids)
    assert slack.refused == []


def test_the_cards_of_a_split_bundle_leave_at_slacks_pace(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine, time_: SharedTime
) -> None:
    notifier.send(page(paged_incidents(migrated_engine, 40)))

    assert len(slack.calls("chat.postMessage")) == 3
    assert time_.slept == [1.0, 1.0]


def test_each_card_of_a_split_bundle_is_remembered_for_its_own_incidents(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 40)

    notifier.send(page(ids))

    store = SqlSlackStore(migrated_engine)
    remembered = {i: [card.ts for card in store.cards_of(i)] for i in ids}
    posts = slack.calls("chat.postMessage")
    posted_ts = [f"1700000000.{n:06d}" for n in range(1, len(posts) + 1)]  # the fake's ts, in order
    posted = {i: [ts] for ts, post in zip(posted_ts, posts, strict=True) for i in card_ids(post)}
    assert remembered == posted


def test_a_retry_after_the_second_card_failed_posts_only_the_cards_still_missing(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 40)
    slack.fail_next("chat.postMessage", 500, after=1)
    with pytest.raises(SendFailed):
        notifier.send(page(ids))

    notifier.send(page(ids))

    posted = [i for post in slack.calls("chat.postMessage") for i in card_ids(post)]
    assert sorted(posted) == sorted(ids)  # each incident once: the first card was not posted again


def test_a_retry_by_another_process_to_a_channel_id_posts_only_the_cards_still_missing(
    notifier: SlackChatNotifier, api: SlackWebApi, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 40)
    slack.fail_next("chat.postMessage", 500, after=2)
    with pytest.raises(SendFailed):
        notifier.send(page(ids, address="COPS"))
    restarted = SlackChatNotifier(
        api, SqlSlackStore(migrated_engine), FakeClock(), lambda: uow_of(migrated_engine)
    )

    restarted.send(page(ids, address="COPS"))

    posted = [i for post in slack.calls("chat.postMessage") for i in card_ids(post)]
    assert sorted(posted) == sorted(ids)


def test_a_page_for_a_later_level_is_posted_though_an_earlier_card_is_in_the_channel(
    notifier: SlackChatNotifier, slack: FakeSlack, migrated_engine: Engine
) -> None:
    [incident_id] = paged_incidents(migrated_engine, 1, level=2, at=T0 + timedelta(minutes=5))
    SqlSlackStore(migrated_engine).record([PostedCard(incident_id, "COPS", "1.1", True)], T0)

    notifier.send(page([incident_id], level=2))

    assert card_ids(slack.calls("chat.postMessage")[0]) == [incident_id]


def test_every_card_update_of_a_split_bundle_stays_within_slacks_limits(
    notifier: SlackChatNotifier, api: SlackWebApi, slack: FakeSlack, migrated_engine: Engine
) -> None:
    ids = paged_incidents(migrated_engine, 40)
    notifier.send(page(ids))
    updater = SlackCardUpdater(
        api, SqlSlackStore(migrated_engine), lambda: uow_of(migrated_engine), str, FakeClock()
    )
    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        acknowledged = [uow.incidents.get(i) for i in ids]
    for incident in acknowledged:
        assert incident is not None
        incident.acknowledge(PersonId("alice"), T0 + timedelta(minutes=1))
        updater.incident_changed(incident)

    assert updater.drain() == 0

    assert len(slack.calls("chat.update")) == 40
    assert slack.refused == []
