"""`pager status`'s table of maintenance windows under way or to come."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text

from domain.maintenance_service import MaintenanceView


def maintenance_table(view: MaintenanceView) -> Table:
    """One row per window: its services, times, author and reason, and how many alerts it keeps."""
    table = Table("#", "services", "from", "to", "by", "reason", "kept", title="Maintenance windows")
    for window in view.windows:
        kept = sum(view.kept.get(s, 0) for s in window.services)
        state = "now" if window.is_active(view.at) else "planned"
        table.add_row(
            str(window.id),
            Text(", ".join(window.services)),  # config text: shown as is, never as markup
            f"{_when(window.starts_at)} ({state})",
            _when(window.ends_at),
            Text(window.created_by),
            Text(window.reason),
            str(kept),
        )
    return table


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
