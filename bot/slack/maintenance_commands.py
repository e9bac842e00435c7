"""`/pager maintenance <service> <duration> [reason]`, `/pager maintenance end <id>`, and the windows'
lines in `/pager status` and the App Home."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.slack_card_blocks import NAME_TEXT, Block, display_name, escaped, hhmm
from bot.durations import parse_duration
from bot.slack.blocks import People, text_sections
from bot.slack.context import SlackContext
from domain.maintenance import MaintenanceWindow, WindowId
from domain.maintenance_service import MaintenanceView, WindowPlan

USAGE = (
    "Usage: `/pager maintenance <service> <duration> [reason]`, as in `/pager maintenance payments 1h "
    "deploy`, or `/pager maintenance end <id>`."
)
# A reason shown in a one-line listing (the API gives it whole).
REASON_IN_LINE = 200


def act(ctx: SlackContext, args: list[str], slack_user_id: str) -> str:
    """Open or end a window as the person linked to the Slack user; the reply text."""
    if len(args) == 2 and args[0].lower() == "end":
        return _end(ctx, args[1], slack_user_id)
    if len(args) < 2:
        return USAGE
    try:
        duration = parse_duration(args[1])
    except ValueError as exc:
        return f"{escaped(str(exc), NAME_TEXT)}. {USAGE}"
    person = ctx.linked_person(slack_user_id)
    plan = WindowPlan((args[0],), " ".join(args[2:]), duration=duration)
    window = ctx.pager.maintenance.start(plan, person.id)
    service = escaped(args[0], NAME_TEXT)
    return (
        f"Maintenance #{window.id} for `{service}` until {hhmm(window.ends_at)}, by "
        f"{escaped(person.name, NAME_TEXT)}: its alerts page nobody until then, and those still firing "
        f"page when it ends. `/pager maintenance end {window.id}` ends it sooner."
    )


def _end(ctx: SlackContext, text: str, slack_user_id: str) -> str:
    if not text.lstrip("#").isdigit():
        return USAGE
    person = ctx.linked_person(slack_user_id)
    window = ctx.pager.maintenance.end(WindowId(int(text.lstrip("#"))), person.id)
    return f"Maintenance #{window.id} ended at {hhmm(window.ends_at)}: alerts still firing page now."


def window_line(window: MaintenanceWindow, view: MaintenanceView, people: People) -> str:
    services = ", ".join(escaped(s, NAME_TEXT) for s in window.services)
    icon = ":construction:" if window.is_active(view.at) else ":calendar:"
    who = escaped(display_name(window.created_by, people), NAME_TEXT)
    line = f"{icon} maintenance #{window.id} *{services}*: {hhmm(window.starts_at)} to {hhmm(window.ends_at)}"
    line += f" by {who}"
    if window.reason:
        line += f": {escaped(window.reason, REASON_IN_LINE)}"
    kept = sum(view.kept.get(s, 0) for s in window.services)
    return line + (f" ({kept} alert{'s' if kept != 1 else ''} kept)" if kept else "")


def maintenance_blocks(
    view: MaintenanceView, people: People, most: int = 1, only: Sequence[str] = ()
) -> list[Block]:
    """The lines of the windows (of those services, if `only` names some) in at most `most` sections;
    none when no such window is under way or to come."""
    shown = [w for w in view.windows if not only or any(s in only for s in w.services)]
    lines = [window_line(w, view, people) for w in shown]
    return text_sections(lines, most, "maintenance windows") if lines else []
