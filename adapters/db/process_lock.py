"""One `pager serve` per SQLite file: a second process would run a second scheduler on the same job store."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class DatabaseInUse(RuntimeError):
    pass


class SqliteProcessLock:
    """An exclusive lock on `<database>.lock` for the life of the process (the OS releases it on exit)."""

    def __init__(self, database_url: str) -> None:
        self.path = Path(f"{make_url(database_url).database}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatabaseInUse(
                f"another pager process is already serving {self.path.with_suffix('')}: SQLite supports one "
                "process; stop it, or use PostgreSQL (PAGER_DATABASE_URL) to run several"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
