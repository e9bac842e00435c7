"""The pager's persistence in SQL: tables, repositories, the unit of work, and migrations."""

from adapters.db.engine import make_engine
from adapters.db.migrate import is_current, upgrade
from adapters.db.unit_of_work import SqlAlchemyUnitOfWork

__all__ = ["SqlAlchemyUnitOfWork", "is_current", "make_engine", "upgrade"]
