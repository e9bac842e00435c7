"""What `pager oncall` prints: who is on call in each rotation at an instant, and the next handoffs."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from domain.model import Catalog
from domain.oncall import on_call


def parse_instant(text: str | None) -> datetime:
    """`--at` as an aware UTC instant; now when it is not given."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an instant like 2026-12-01T09:00+01:00") from None
    if at.tzinfo is None:
        raise typer.BadParameter(f"{text!r} needs a UTC offset, like 2026-12-01T09:00+01:00")
    return at.astimezone(UTC)


def oncall_table(catalog: Catalog, at: datetime, rotation: str | None) -> Table:
    """Raises UnknownRotation when `rotation` is not in the catalog."""
    table = Table("rotation", "on call", "next handoffs (UTC)", title=f"On call at {at:%Y-%m-%d %H:%M} UTC")
    for view in on_call(catalog, at, rotation):
        nexts = ", ".join(f"{h.at:%Y-%m-%d %H:%M} → {h.person or 'nobody'}" for h in view.next_handoffs)
        table.add_row(view.rotation, view.person or "[red]nobody[/red]", nexts)
    return table
