"""The PostgreSQL pool pings a connection only after it lay idle, and replaces one that died."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, exc, text

from adapters.db.engine import ping_when_idle

pytestmark = pytest.mark.postgres

NEVER_IDLE = 3600.0  # seconds: no connection of a test lies unused this long
ALWAYS_IDLE = 0.0


def pool(postgres_url: str, idle: float, pings: list[int]) -> Engine:
    """An engine over `postgres_url` pinging after `idle` seconds, counting its pings in `pings`."""
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    ping_when_idle(engine, idle)
    return engine


@pytest.fixture
def pings() -> list[int]:
    return []


@pytest.fixture
def busy(postgres_url: str, pings: list[int]) -> Iterator[Engine]:
    engine = pool(postgres_url, NEVER_IDLE, pings)
    yield engine
    engine.dispose()


@pytest.fixture
def idle(postgres_url: str, pings: list[int]) -> Iterator[Engine]:
    engine = pool(postgres_url, ALWAYS_IDLE, pings)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(postgres_url: str, pid: int) -> None:
    other = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with other.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_a_connection_given_back_a_moment_ago_is_lent_again_without_a_ping(
    busy: Engine, pings: list[int]
) -> None:
    first = backend_pid(busy)  # a new connection is pinged once, when first lent

    assert [backend_pid(busy) for _ in range(3)] == [first] * 3
    assert len(pings) == 1


def test_a_connection_that_lay_idle_is_pinged_and_replaced_when_its_server_process_is_gone(
    idle: Engine, pings: list[int], postgres_url: str
) -> None:
    first = backend_pid(idle)
    terminate(postgres_url, first)

    second = backend_pid(idle)  # no error: the dead connection was found before it was lent

    assert second != first
    assert len(pings) >= 3  # the first lending, the one that found it dead, the new connection's


def test_a_connection_dying_within_the_second_fails_one_unit_and_the_pool_then_reconnects(
    busy: Engine, postgres_url: str
) -> None:
    first = backend_pid(busy)
    terminate(postgres_url, first)

    with pytest.raises(exc.OperationalError) as failed:
        backend_pid(busy)
    assert failed.value.connection_invalidated

    assert backend_pid(busy) != first
