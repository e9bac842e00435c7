"""The Slack store on SQLite and PostgreSQL: cards remembered, refreshes merged, replies owed per thread."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from adapters.db import make_engine
from adapters.db.slack_store import PostedCard, SqlSlackStore
from domain.model import IncidentId
from tests.fakes import T0

ONE, TWO = IncidentId(1), IncidentId(2)


def test_a_bundled_card_is_found_from_each_incident_it_lists(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)

    store.record([PostedCard(ONE, "C1", "1.1", True), PostedCard(TWO, "C1", "1.1", True)], T0)

    assert store.cards_of(TWO) == [PostedCard(TWO, "C1", "1.1", True)]
    assert store.incidents_on("C1", "1.1") == [ONE, TWO]


def test_recording_a_card_twice_keeps_one(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)

    store.record([PostedCard(ONE, "C1", "1.1", True)], T0)
    store.record([PostedCard(ONE, "C1", "1.1", True)], T0)

    assert len(store.cards_of(ONE)) == 1


def test_a_storm_of_refresh_requests_is_one_pending_refresh(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)

    for _ in range(5):
        store.request_refresh(ONE, [], T0)

    assert [r.incident_id for r in store.pending_refreshes()] == [ONE]


def test_a_refresh_requested_during_an_update_stays_pending(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)
    store.request_refresh(ONE, [], T0)
    taken = store.pending_refreshes()[0]

    store.request_refresh(ONE, [], T0)
    store.refreshed(taken)

    assert [r.incident_id for r in store.pending_refreshes()] == [ONE]


def test_a_finished_refresh_is_no_longer_pending(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)
    store.request_refresh(ONE, [], T0)

    store.refreshed(store.pending_refreshes()[0])

    assert store.pending_refreshes() == []


def test_replies_are_owed_to_channel_cards_only(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)
    store.record([PostedCard(ONE, "C1", "1.1", True), PostedCard(ONE, "DU1", "1.2", False)], T0)

    store.request_refresh(ONE, ["Acknowledged by alice"], T0)

    assert [(r.channel, r.thread_ts, r.text) for r in store.pending_replies()] == [
        ("C1", "1.1", "Acknowledged by alice")
    ]


def test_a_posted_reply_is_no_longer_owed(migrated_engine: Engine) -> None:
    store = SqlSlackStore(migrated_engine)
    store.record([PostedCard(ONE, "C1", "1.1", True)], T0)
    store.request_refresh(ONE, ["Resolved"], T0)

    store.reply_posted(store.pending_replies()[0].id)

    assert store.pending_replies() == []


@pytest.mark.postgres
def test_replicas_on_postgresql_take_turns_draining(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    one, other = SqlSlackStore(engine), SqlSlackStore(engine)
    try:
        with one.draining() as first, other.draining() as meanwhile:
            pass
        with other.draining() as after:
            pass
    finally:
        engine.dispose()

    assert (first, meanwhile, after) == (True, False, True)
