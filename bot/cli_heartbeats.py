"""The heartbeats in `pager status` and `pager check-config`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.table import Table

from bot.config import PagerConfig
from domain.heartbeat_model import HeartbeatState
from domain.heartbeats import HeartbeatView

_COLOURS = {HeartbeatState.OK: "green", HeartbeatState.OVERDUE: "red", HeartbeatState.PAUSED: "yellow"}


def heartbeats_table(views: Sequence[HeartbeatView]) -> Table:
    table = Table("heartbeat", "service", "state", "last ping", "next deadline", title="Heartbeats")
    for view in views:
        record, colour = view.record, _COLOURS[view.state]
        state = f"[{colour}]{view.state.value}[/{colour}]"
        if record is not None and record.paused_by and view.state is HeartbeatState.PAUSED:
            state += f" by {record.paused_by}"
        last = _when(record.last_ping_at) if record and record.last_ping_at else "never"
        deadline = _when(record.deadline) if record and record.deadline else "—"
        table.add_row(view.check.name, view.check.service, state, last, deadline)
    return table


def heartbeat_warnings(config: PagerConfig) -> list[str]:
    """Heartbeats nothing can ping: their service has no integration key."""
    keyed = set(config.integration_keys.values())
    return [
        f"heartbeats.{name} belongs to {check.service}, which has no integration key: nothing can ping it"
        for name, check in sorted(config.catalog.heartbeats.items())
        if check.service not in keyed
    ]


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
