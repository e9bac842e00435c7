"""How a page reads as one SMS: what broke and how to acknowledge by replying, in one segment if it fits."""

from __future__ import annotations

from domain.ports import Page, PageItem

# A single GSM-7 segment; one character outside the GSM alphabet makes it a 70-character UCS-2 one.
GSM_SEGMENT = 160
UCS2_SEGMENT = 70
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_SHORTEST_SUMMARY = 8


def fits_one_segment(text: str) -> bool:
    limit = GSM_SEGMENT if set(text) <= _GSM7 else UCS2_SEGMENT
    return len(text) <= limit


def sms_text(page: Page) -> str:
    """The SMS for `page`; summaries are shortened (with ...) until it fits one segment, if it can."""
    longest = max(len(item.summary) for item in page.items)
    for cap in range(longest, _SHORTEST_SUMMARY - 1, -1):
        text = _render(page.items, cap)
        if fits_one_segment(text):
            return text
    return _render(page.items, _SHORTEST_SUMMARY)


def _render(items: tuple[PageItem, ...], cap: int) -> str:
    if len(items) == 1:
        item = items[0]
        head = f"PAGER #{item.incident_id} {item.service_id}: {_cut(item.summary, cap)}"
        return f"{head}\nReply {item.incident_id}A to ack, {item.incident_id}R to resolve"
    lines = [f"PAGER {len(items)} incidents:"]
    lines += [f"#{i.incident_id} {i.service_id}: {_cut(i.summary, cap)}" for i in items]
    first = items[0].incident_id
    lines.append(f"Reply AA to ack all, or {first}A / {first}R for one")
    return "\n".join(lines)


def _cut(summary: str, cap: int) -> str:
    return summary if len(summary) <= cap else summary[: cap - 3].rstrip() + "..."
