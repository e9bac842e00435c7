"""Alembic migrations of the pager schema; run them with adapters.db.migrate.upgrade."""
