"""Cards and /pager answers within Slack's limits, and a monitor's markup shown as text, never rendered."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from adapters.slack_card_blocks import ITEMS_PER_CARD, Action, CardItem, card, card_parts, escaped
from adapters.slack_card_updates import timeline_reply
from bot.slack.blocks import home_view, incidents_blocks, status_blocks
from domain.model import Health, Incident, IncidentId, IncidentState, ServiceId
from domain.queries import IncidentView, ServiceView
from tests.fakes import T0
from tests.slack_limits import BLOCKS_TEXT, blocks_text_length, message_error, view_error

MARKUP = "<!channel> disk\n100% 🔥 & <https://x|y>"
MARKUP_ESCAPED = "&lt;!channel&gt; disk\n100% 🔥 &amp; &lt;https://x|y&gt;"


def item(incident_id: int = 1, summary: str = "DB down", service: str = "Payments API") -> CardItem:
    return CardItem(IncidentId(incident_id), service, summary, IncidentState.TRIGGERED, 1, T0)


def view(incident_id: int, summary: str = "DB down") -> IncidentView:
    incident = Incident(IncidentId(incident_id), ServiceId(f"svc{incident_id}"), summary, opened_at=T0)
    return IncidentView(incident, f"Service {incident_id}")


def service(i: int) -> ServiceView:
    return ServiceView(ServiceId(f"svc{i}"), f"Service {i}", Health.UNHEALTHY, IncidentId(i))


def section_texts(blocks: list[dict[str, object]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]  # type: ignore[index]


def test_a_monitors_markup_is_escaped_in_the_cards_section() -> None:
    _, blocks = card([item(summary=MARKUP)])

    assert MARKUP_ESCAPED in section_texts(blocks)[0]


def test_a_monitors_markup_is_escaped_in_the_fallback_text() -> None:
    text, _ = card([item(summary=MARKUP, service="a <b> & c")])

    assert text == f"#1 a &lt;b&gt; &amp; c: {MARKUP_ESCAPED} (triggered)"


def test_card_text_is_verbatim_so_slack_links_nothing_by_itself() -> None:
    _, blocks = card([item(summary="see https://example.com #ops")])

    assert blocks[0]["text"]["verbatim"] is True


def test_a_service_name_with_markup_is_escaped_in_the_title() -> None:
    _, blocks = card([item(service="<@U123> payments")])

    assert section_texts(blocks)[0].startswith("*#1 &lt;@U123&gt; payments*")


def test_a_long_summary_is_shortened_with_an_ellipsis_to_fit_a_section() -> None:
    text, blocks = card([item(summary="x" * 10_000)])

    assert message_error({"text": text, "blocks": blocks}) is None
    assert "x…\n" in section_texts(blocks)[0]


def test_a_summary_of_ampersands_is_shortened_after_escaping_without_cutting_an_entity() -> None:
    _, blocks = card([item(summary="&" * 5_000)])

    section = section_texts(blocks)[0]
    assert len(section) <= 3_000
    assert "&amp;…" in section


def test_a_long_fallback_text_is_shortened() -> None:
    text, _ = card([item(summary="y" * 50_000)])

    assert len(text) <= 3_000 and text.endswith("…")


def test_escaping_cuts_to_the_limit_counted_after_escaping() -> None:
    assert escaped("a<b", 4) == "a…"


def test_a_bundle_of_forty_is_split_into_cards_each_within_fifty_blocks() -> None:
    items = [item(i) for i in range(1, 41)]

    parts = card_parts(items)

    assert [len(p) for p in parts] == [ITEMS_PER_CARD, ITEMS_PER_CARD, 40 - 2 * ITEMS_PER_CARD]
    for part in parts:
        text, blocks = card(part)
        assert message_error({"text": text, "blocks": blocks}) is None


def test_every_incident_of_a_split_bundle_keeps_its_own_buttons() -> None:
    items = [item(i) for i in range(1, 41)]

    values = [
        element["value"]
        for part in card_parts(items)
        for block in card(part)[1]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == Action.ACKNOWLEDGE
    ]

    assert values == [str(i) for i in range(1, 41)]


def test_a_card_given_more_than_fits_shows_what_fits_and_counts_the_rest() -> None:
    text, blocks = card([item(i) for i in range(1, 31)])

    assert message_error({"text": text, "blocks": blocks}) is None
    assert "more, not shown here" in json.dumps(blocks)


def test_a_thread_reply_shows_a_monitors_name_as_text() -> None:
    incident = Incident(IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0)
    incident.resolve("<!here> bot", T0 + timedelta(minutes=1))

    assert timeline_reply(incident, "09:05") == ":large_green_circle: Resolved by &lt;!here&gt; bot at 09:05"


def test_pager_incidents_shows_what_fits_in_a_message_and_how_many_more() -> None:
    blocks = incidents_blocks([view(i) for i in range(1, 41)], {})

    assert message_error({"text": "x", "blocks": blocks}) is None
    assert section_texts(blocks)[-1] == "…and 16 more open incidents, not shown here."


def test_pager_incidents_shows_every_incident_when_they_fit() -> None:
    blocks = incidents_blocks([view(i) for i in range(1, 26)], {})

    assert len(blocks) == 50
    assert "more open incidents" not in json.dumps(blocks)


def test_pager_status_of_many_services_fits_sections_of_3000_characters() -> None:
    incidents = [view(i, "z" * 2_000) for i in range(1, 501)]

    blocks = status_blocks([service(i) for i in range(1, 501)], incidents, {})

    assert message_error({"text": "x", "blocks": blocks}) is None
    assert "more services." in section_texts(blocks)[-1]


def test_the_home_tab_fits_100_blocks_and_says_how_many_incidents_more() -> None:
    incidents = [view(i) for i in range(1, 81)]

    home = home_view(incidents, [service(i) for i in range(1, 81)], incidents, {})

    assert view_error(home) is None
    assert "…and 37 more open incidents, not shown here." in json.dumps(home, ensure_ascii=False)


def test_a_bundle_of_long_summaries_is_split_so_no_card_holds_too_much_text() -> None:
    items = [item(i, summary="s" * 1_000) for i in range(1, 17)]

    parts = card_parts(items)

    assert len(parts) > 1
    assert all(blocks_text_length(card(part)[1]) <= BLOCKS_TEXT for part in parts)


def test_a_card_of_long_summaries_still_fits_once_every_incident_names_who_acknowledged() -> None:
    items = [item(i, summary="s" * 1_000) for i in range(1, 17)]

    for part in card_parts(items):
        acked = [replace(i, state=IncidentState.ACKNOWLEDGED, who="w" * 150) for i in part]
        assert blocks_text_length(card(acked)[1]) <= BLOCKS_TEXT
