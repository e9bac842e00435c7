"""How a page reads as plain text, for every channel that sends text (console, SMS, email)."""

from __future__ import annotations

from domain.delivery_ports import Page, PageItem


def item_line(item: PageItem) -> str:
    level = f"level {item.level}" + (f", round {item.round + 1}" if item.round else "")
    return f"#{item.incident_id} {item.service_name}: {item.summary} ({level})"


def page_text(page: Page) -> str:
    """One line for a single incident, a header and one line per incident for a bundle."""
    if len(page.items) == 1:
        return f"[PAGER] {item_line(page.items[0])}"
    lines = [f"[PAGER] {len(page.items)} incidents need you:"]
    lines += [f"- {item_line(item)}" for item in page.items]
    return "\n".join(lines)
