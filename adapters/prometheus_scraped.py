"""Gauges read from the database at each scrape, so every replica reports the same figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

import structlog
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

_log = structlog.get_logger("pager.metrics")

T = TypeVar("T")


class ScrapedGauges(Collector, Generic[T]):
    """Registered on the pager's registry: `read` at each scrape, shown by `families` (given None, they are
    only described). A database away leaves these out of that scrape, not the other metrics."""

    def __init__(
        self, what: str, read: Callable[[], T], families: Callable[[T | None], Iterator[Metric]]
    ) -> None:
        self._what, self._read, self._families = what, read, families

    def describe(self) -> list[Metric]:
        return list(self._families(None))

    def collect(self) -> Iterator[Metric]:
        try:
            found = self._read()
        except Exception as exc:  # the database is away: the other metrics are still worth a scrape
            _log.warning(f"metrics: {self._what} gauges unavailable", error=type(exc).__name__)
            return
        yield from self._families(found)
