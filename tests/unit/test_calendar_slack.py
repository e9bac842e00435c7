"""`/pager oncall` ends with a link to the caller's own calendar feed when it can."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.calendar_api import CalendarFeeds, FeedKind
from bot.slack.commands import oncall
from bot.slack.context import SlackContext
from domain.model import Channel, Contact, RotationId
from domain.queries import Queries
from domain.rotation import Rotation
from tests.fakes import T0
from tests.unit.conftest import World, make_catalog, make_world

ALICE_SLACK = "U0ALICE"
FEEDS = CalendarFeeds("calendar-key-0123456789abcdef", "https://pager.example.com")


def context(world: World, feeds: CalendarFeeds | None = FEEDS, rotations: int = 1) -> SlackContext:
    catalog = make_catalog()
    alice = catalog.people["alice"]  # type: ignore[index]
    people = {**catalog.people, alice.id: replace(alice, contacts=(Contact(Channel.SLACK, ALICE_SLACK),))}
    ids = [f"{'rotation-' * 10}{n:04}" for n in range(rotations - 1)]  # long: few lines fill a section
    utc = ZoneInfo("UTC")
    more = {RotationId(i): Rotation.single(i, ("bob",), T0, timedelta(days=1), utc) for i in ids}
    catalog = replace(catalog, people=people, rotations={**catalog.rotations, **more})
    return SlackContext(world.pager, Queries(catalog, world.uow), catalog, world.clock, feeds)


def test_oncall_ends_with_a_link_to_the_callers_own_feed() -> None:
    blocks = oncall(context(make_world()), [], ALICE_SLACK)

    url = FEEDS.url(FeedKind.PERSON, "alice")
    assert f"<{url}|Your on-call calendar>" in blocks[-1]["text"]["text"]


def test_oncall_shows_no_link_while_feeds_are_off() -> None:
    blocks = oncall(context(make_world(), feeds=None), [], ALICE_SLACK)

    assert "calendar" not in json.dumps(blocks)


def test_oncall_shows_no_link_without_the_pagers_public_url() -> None:
    blocks = oncall(context(make_world(), feeds=CalendarFeeds(FEEDS.key)), [], ALICE_SLACK)

    assert "calendar" not in json.dumps(blocks)


def test_oncall_shows_no_link_to_a_slack_user_who_is_no_person() -> None:
    blocks = oncall(context(make_world()), [], "U0STRANGER")

    assert "calendar" not in json.dumps(blocks)


def test_the_link_still_fits_in_a_message_full_of_rotations() -> None:
    blocks = oncall(context(make_world(), rotations=1500), [], ALICE_SLACK)

    assert len(blocks) <= 50
    assert "more rotations" in blocks[-2]["text"]["text"]
    assert "Your on-call calendar" in blocks[-1]["text"]["text"]
