"""Bringing a database's schema up to date with Alembic, driven from code rather than alembic.ini."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same for every process migrating this database.
_MIGRATION_LOCK_ID = 0x7061676572
# APScheduler keeps its jobs in the same database and manages that table itself.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction. Safe to repeat or run concurrently."""
    with engine.begin() as conn:
        hold_schema_lock(conn)
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def hold_schema_lock(conn: Connection) -> None:
    """Until the transaction ends, be the only process changing the schema. Two processes starting at
    once would both try to create the same tables, and collide in PostgreSQL's catalog; the second waits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})


def is_current(engine: Engine) -> bool:
    """Has the database every migration this version of the pager knows?"""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return set(heads) == {head_revision()}


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {_SCRIPTS}")
    return head


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: leave alone the tables that other libraries manage."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _config() -> Config:
    config = Config()
    # Config values go through configparser interpolation, where a bare % is an error.
    config.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    return config
