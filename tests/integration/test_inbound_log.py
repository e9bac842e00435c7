"""SqlInboundMessageLog on SQLite and PostgreSQL: each message id is first seen once."""

from __future__ import annotations

from sqlalchemy import Engine

from adapters.db.inbound_log import SqlInboundMessageLog
from tests.fakes import T0


def test_a_new_message_id_is_seen_for_the_first_time(migrated_engine: Engine) -> None:
    assert SqlInboundMessageLog(migrated_engine).first_time("SM1", T0) is True


def test_a_message_id_seen_before_is_not_new(migrated_engine: Engine) -> None:
    log = SqlInboundMessageLog(migrated_engine)
    log.first_time("SM1", T0)

    assert log.first_time("SM1", T0) is False


def test_a_forgotten_message_id_is_new_again(migrated_engine: Engine) -> None:
    log = SqlInboundMessageLog(migrated_engine)
    log.first_time("SM1", T0)
    log.forget("SM1")

    assert log.first_time("SM1", T0) is True
