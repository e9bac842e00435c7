"""Databases for the tests that need one: a SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.db import make_engine, upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    """Tests see no terminal size in the environment but the one they set themselves."""
    # GNU readline, loaded with pytest, writes the 80x24 it assumes into the C environment, which the
    # pytest-xdist workers inherit as COLUMNS and LINES; a rich Console made when the CLI module is imported
    # would keep that width for good, whatever COLUMNS a test then gives the command it runs.
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/pager.db"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server to create test databases on; skips (or fails, if required) when it is down."""
    url = os.environ.get("PAGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    probe = make_url(url).update_query_dict({"connect_timeout": "5"})
    engine = make_engine(probe.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        reason = f"PostgreSQL at {make_url(url).render_as_string()} is unreachable ({detail})"
        if os.environ.get("PAGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} and PAGER_REQUIRE_POSTGRES=1")
        pytest.skip(f"{reason}; set PAGER_TEST_POSTGRES_URL to another server to run these tests")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped after the test.

    A database of its own per test isolates the tests from each other, from the other xdist workers and
    from other runs on the same server; its name says which worker made it, should one be left behind.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pager_test_{worker}_{secrets.token_hex(6)}"
    server = make_engine(postgres_server_url)
    try:
        _run_outside_transaction(server, f'CREATE DATABASE "{name}"')
        yield server.url.set(database=name).render_as_string(hide_password=False)
        _run_outside_transaction(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.dispose()


def _run_outside_transaction(engine: Engine, statement: str) -> None:
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind the pager supports, not yet migrated."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
