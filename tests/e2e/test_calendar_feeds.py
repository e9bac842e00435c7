"""On-call calendar feeds through the real app: what a calendar app gets, who gets 404, what is logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest
from icalendar import Calendar, Event
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.bootstrap import Runtime, bootstrap
from bot.calendar_api import CalendarFeeds, FeedKind
from bot.cli import app as cli
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from domain.model import Channel
from tests.e2e.conftest import CONFIG
from tests.e2e.processes import Server
from tests.e2e.slack_harness import SIGNING_SECRET, SlackHarness
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier
from tests.slack_fake import FakeSlack, running_fake_slack

KEY = "calendar-key-S3CRET-0123456789"
PUBLIC_URL = "https://pager.example.com"
FEEDS = CalendarFeeds(KEY, PUBLIC_URL)
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # primary: bob's day (alice's from 2 December, 09:00)
OVERRIDE = (datetime(2026, 12, 2, 12, tzinfo=PARIS), datetime(2026, 12, 2, 15, tzinfo=PARIS))
ROTATIONS = """
rotations:
  primary: {members: [bob, alice], start: "2026-01-05T09:00:00+01:00", shift: 1d, timezone: Europe/Paris}
  secondary: {members: [bob, alice], start: "2026-11-30T09:00:00+01:00", shift: 7d, timezone: Europe/Paris}
overrides:
  - {rotation: primary, person: bob, from: "2026-12-02T12:00:00+01:00", to: "2026-12-02T15:00:00+01:00"}
"""
ROTATION_FEED = f"/api/oncall/primary.ics?token={FEEDS.token(FeedKind.ROTATION, 'primary')}"
ALICE_FEED = f"/api/people/alice/oncall.ics?token={FEEDS.token(FeedKind.PERSON, 'alice')}"


def running_app(
    tmp_path: Path, now: datetime, config: str = CONFIG + ROTATIONS, **settings: object
) -> Iterator[tuple[TestClient, Runtime]]:
    """The app on a fresh SQLite database, its clock at `now`, with the given settings."""
    configured = Settings(database_url=f"sqlite:///{tmp_path}/pager.db", **settings)  # type: ignore[arg-type]
    clock = FakeClock(now)
    notifiers = {c: RecordingNotifier() for c in Channel}
    parsed = parse_config(config, "test.yaml", {})
    runtime = bootstrap(
        configured, config=parsed, clock=clock, wakeups=FakeWakeUps(clock), notifiers=notifiers
    )
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        yield client, runtime
    runtime.engine.dispose()


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[TestClient]:
    for client, _ in running_app(tmp_path, NOW, calendar_key=KEY, public_url=PUBLIC_URL):
        yield client


def events(client: TestClient, path: str) -> list[Event]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return list(Calendar.from_ical(answer.content).walk("VEVENT"))


def spans(found: list[Event]) -> list[tuple[str, datetime, datetime]]:
    return [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend")) for e in found]


def test_a_rotations_feed_holds_its_next_twelve_weeks_of_shifts_without_the_api_token(
    feeds: TestClient,
) -> None:
    found = events(feeds, ROTATION_FEED)

    bobs_day = (datetime(2026, 12, 1, 9, tzinfo=PARIS), datetime(2026, 12, 2, 9, tzinfo=PARIS))
    assert spans(found)[0] == ("On call: Bob (primary)", *bobs_day)
    assert found[-1].decoded("dtend") == NOW + timedelta(weeks=12)


def test_a_persons_feed_holds_their_shifts_in_every_rotation(feeds: TestClient) -> None:
    summaries = {str(e["summary"]) for e in events(feeds, ALICE_FEED)}

    assert summaries == {"On call: primary", "On call: secondary"}


def test_an_override_shows_in_the_rotations_feed_and_in_the_persons(feeds: TestClient) -> None:
    bob_feed = f"/api/people/bob/oncall.ics?token={FEEDS.token(FeedKind.PERSON, 'bob')}"

    in_rotation = [e for e in events(feeds, ROTATION_FEED) if e.decoded("dtstart") == OVERRIDE[0]]
    in_bobs = [e for e in events(feeds, bob_feed) if e.decoded("dtstart") == OVERRIDE[0]]

    assert spans(in_rotation) == [("On call: Bob (primary)", *OVERRIDE)]
    assert spans(in_bobs) == [("On call: primary", *OVERRIDE)]
    assert in_rotation[0]["uid"] == in_bobs[0]["uid"]


def test_alices_feed_shows_her_day_cut_by_the_override(feeds: TestClient) -> None:
    hers = [s for s in spans(events(feeds, ALICE_FEED)) if s[0] == "On call: primary"][:2]

    assert hers == [
        ("On call: primary", datetime(2026, 12, 2, 9, tzinfo=PARIS), OVERRIDE[0]),
        ("On call: primary", OVERRIDE[1], datetime(2026, 12, 3, 9, tzinfo=PARIS)),
    ]


@pytest.mark.parametrize("now", [datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 10, 16, tzinfo=UTC)])
def test_daily_handoffs_start_at_nine_in_paris_on_both_sides_of_the_clock_change(
    tmp_path: Path, now: datetime
) -> None:
    for client, _ in running_app(tmp_path, now, calendar_key=KEY):
        starts = [e.decoded("dtstart").astimezone(PARIS) for e in events(client, ROTATION_FEED)[1:30]]

        assert {(t.hour, t.minute) for t in starts} == {(9, 0)}
        assert {t.utcoffset() for t in starts} == {timedelta(hours=1), timedelta(hours=2)}


def test_uids_stay_the_same_across_fetches_and_differ_between_shifts(tmp_path: Path) -> None:
    for client, runtime in running_app(tmp_path, NOW, calendar_key=KEY):
        first = [str(e["uid"]) for e in events(client, ROTATION_FEED)]
        runtime.clock.advance(timedelta(hours=5))  # type: ignore[union-attr]
        second = [str(e["uid"]) for e in events(client, ROTATION_FEED)]

        assert first[:20] == second[:20]
        assert len(set(first)) == len(first)


UNKNOWN_PATH = "/api/nowhere"


@pytest.mark.parametrize(
    "path",
    [
        "/api/oncall/primary.ics",
        "/api/oncall/primary.ics?token=",
        f"/api/oncall/primary.ics?token={'0' * 64}",
        f"/api/oncall/primary.ics?token={FEEDS.token(FeedKind.PERSON, 'primary')}",
        f"/api/people/alice/oncall.ics?token={FEEDS.token(FeedKind.PERSON, 'bob')}",
        f"/api/oncall/tertiary.ics?token={FEEDS.token(FeedKind.ROTATION, 'tertiary')}",
        f"/api/people/zoe/oncall.ics?token={FEEDS.token(FeedKind.PERSON, 'zoe')}",
    ],
)
def test_a_missing_or_wrong_token_or_unknown_name_looks_like_an_unknown_path(
    feeds: TestClient, path: str
) -> None:
    refused, unknown = feeds.get(path), feeds.get(UNKNOWN_PATH)

    assert (refused.status_code, refused.content) == (404, unknown.content)


def test_feeds_are_404_while_PAGER_CALENDAR_KEY_is_unset(tmp_path: Path) -> None:
    for client, _ in running_app(tmp_path, NOW):
        refused = client.get(ROTATION_FEED)

        assert (refused.status_code, refused.content) == (404, client.get(UNKNOWN_PATH).content)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "pager.yaml"
    config.write_text(CONFIG + ROTATIONS)
    for name, value in [("PAGER_CONFIG", str(config)), ("PAGER_CALENDAR_KEY", KEY)]:
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAGER_PUBLIC_URL", PUBLIC_URL)
    return config


@pytest.mark.parametrize("kind", ["rotation primary", "person alice"])
def test_the_cli_prints_a_feed_url_the_pager_answers(cli_env: Path, feeds: TestClient, kind: str) -> None:
    printed = CliRunner().invoke(cli, ["calendar", *kind.split()])

    assert printed.exit_code == 0, printed.output
    url = printed.output.strip()
    assert url.startswith(f"{PUBLIC_URL}/api/")
    assert events(feeds, url.removeprefix(PUBLIC_URL))


@pytest.mark.parametrize("unset", ["PAGER_CALENDAR_KEY", "PAGER_PUBLIC_URL"])
def test_the_cli_names_the_setting_a_url_needs(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, unset: str
) -> None:
    monkeypatch.delenv(unset)

    printed = CliRunner().invoke(cli, ["calendar", "rotation", "primary"])

    assert (printed.exit_code, f"{unset} is not set" in printed.output) == (2, True)


def test_the_cli_refuses_a_rotation_the_config_does_not_have(cli_env: Path) -> None:
    printed = CliRunner().invoke(cli, ["calendar", "rotation", "tertiary"])

    assert printed.exit_code == 2
    assert "unknown rotation 'tertiary'" in printed.output


def test_a_feeds_token_is_in_no_log_line_of_a_serving_pager(tmp_path: Path) -> None:
    (tmp_path / "pager.yaml").write_text(CONFIG + ROTATIONS)
    env = {
        "PAGER_CALENDAR_KEY": KEY,
        "PAGER_ACCESS_LOG": "true",
        "PAGER_CONFIG": str(tmp_path / "pager.yaml"),
    }
    env["PAGER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'pager.db'}"
    server = Server(tmp_path, env)
    try:
        server.start()
        assert httpx2.get(f"{server.url}{ROTATION_FEED}", timeout=10).status_code == 200
        assert httpx2.get(f"{server.url}{ROTATION_FEED}x", timeout=10).status_code == 404
    finally:
        server.stop()
    log = server.runs[0][1].read_text()

    assert log.count("GET /api/oncall/primary.ics HTTP/1.1") == 2  # the access log was on
    assert FEEDS.token(FeedKind.ROTATION, "primary") not in log
    assert KEY not in log


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[SlackHarness]:
    for fake in running_fake_slack():
        yield from slack_harness(tmp_path, fake)


def slack_harness(tmp_path: Path, fake: FakeSlack) -> Iterator[SlackHarness]:
    settings = {"calendar_key": KEY, "public_url": PUBLIC_URL, "slack_bot_token": "xoxb-test-token"}
    settings |= {"slack_signing_secret": SIGNING_SECRET, "slack_api_url": fake.api_url}
    people = CONFIG.replace("email: alice@example.com", "email: alice@example.com, slack: U0ALICE")
    for client, runtime in running_app(tmp_path, NOW, people + ROTATIONS, **settings):
        yield SlackHarness(client, runtime, runtime.clock, None, fake, None)  # type: ignore[arg-type]


def test_pager_oncall_in_slack_ends_with_a_link_to_the_callers_feed(slack: SlackHarness) -> None:
    answer = slack.command("oncall")

    last = answer.json()["blocks"][-1]["text"]["text"]
    assert f"<{PUBLIC_URL}{ALICE_FEED}|Your on-call calendar>" in last
    assert json.dumps(answer.json()).count("token=") == 1
