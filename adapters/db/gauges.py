"""Counts an operator reads at scrape time: open incidents by state, and pages not sent yet."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from adapters.db.outbox import OutboxStatus
from adapters.db.tables import incidents, outbox
from domain.model import IncidentState

_UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True)
class Gauges:
    open_incidents: dict[str, int]
    outbox_backlog: int


class SqlGauges:
    """Reads the gauges from the database, so every replica reports the same numbers."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self) -> Gauges:
        """Open incidents per state (every open state present, zero included) and unsent outbox rows
        (waiting, or in a sender's hands)."""
        counts = dict.fromkeys((s.value for s in IncidentState if s is not IncidentState.RESOLVED), 0)
        by_state = (
            select(incidents.c.state, func.count())
            .where(incidents.c.state != IncidentState.RESOLVED.value)
            .group_by(incidents.c.state)
        )
        unsent = select(func.count()).where(outbox.c.status.in_(_UNSENT))
        with self._engine.connect() as conn:
            counts.update({str(state): int(n) for state, n in conn.execute(by_state)})
            backlog = int(conn.execute(unsent).scalar_one())
        return Gauges(counts, backlog)
