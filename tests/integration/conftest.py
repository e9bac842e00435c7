"""The backends the repository contract runs on: the in-memory fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from domain.ports import UnitOfWork
from tests.fakes import InMemoryUnitOfWork, MemoryStore

NewUow = Callable[[], UnitOfWork]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_uow(request: pytest.FixtureRequest) -> NewUow:
    """Makes units of work on one store, empty at the start of the test."""
    if request.param == "memory":
        store = MemoryStore()
        return lambda: InMemoryUnitOfWork(store)
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    request.addfinalizer(engine.dispose)
    upgrade(engine)
    return lambda: SqlAlchemyUnitOfWork(engine)
