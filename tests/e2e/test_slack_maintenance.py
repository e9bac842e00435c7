"""`/pager maintenance` through the real Slack endpoint; the windows in `/pager status` and the App Home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from domain.maintenance import WindowId
from domain.maintenance_service import WindowPlan
from tests.e2e.slack_harness import ALICE_SLACK, STRANGER_SLACK, SlackHarness, make_slack_harness
from tests.slack_fake import FakeSlack, running_fake_slack
from tests.slack_limits import message_error, view_error


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    yield from make_slack_harness(sqlite_url, tmp_path, slack)


def replies(h: SlackHarness) -> list[str]:
    return [str(a["text"]) for a in h.slack.calls("response_url")]


def test_maintenance_opens_a_window_and_alerts_are_then_suppressed(h: SlackHarness) -> None:
    h.command("maintenance payments 1h schema <migration> & more")

    answer = h.alert("DB down")

    [window] = h.runtime.pager.maintenance.view().windows
    assert (window.services, window.ends_at - window.starts_at) == (("payments",), timedelta(hours=1))
    assert (window.reason, window.created_by) == ("schema <migration> & more", "alice")
    assert answer.json()["result"] == "suppressed"
    assert replies(h)[0].startswith("Maintenance #1 for `payments` until ")


def test_maintenance_end_ends_the_window_early(h: SlackHarness) -> None:
    window = h.runtime.pager.maintenance.start(WindowPlan(("payments",), duration=timedelta(hours=1)), "bob")
    h.clock.advance(timedelta(minutes=5))

    h.command(f"maintenance end {window.id}")

    assert h.runtime.pager.maintenance.get(WindowId(window.id)).ends_at == window.starts_at + timedelta(
        minutes=5
    )
    assert replies(h) == [
        f"Maintenance #{window.id} ended at 2026-11-30 09:05 UTC: alerts still firing page now."
    ]


def test_maintenance_by_an_unlinked_user_is_refused_and_opens_nothing(h: SlackHarness) -> None:
    h.command("maintenance payments 1h", user=STRANGER_SLACK)

    assert h.runtime.pager.maintenance.view().windows == ()
    assert "not linked" in replies(h)[0]


def test_maintenance_with_a_bad_duration_says_how_to_write_it(h: SlackHarness) -> None:
    h.command("maintenance payments soon")

    assert h.runtime.pager.maintenance.view().windows == ()
    assert "Usage: `/pager maintenance <service> <duration> [reason]`" in replies(h)[0]


def test_maintenance_of_an_unknown_service_is_refused(h: SlackHarness) -> None:
    h.command("maintenance <!channel> 1h")

    assert h.runtime.pager.maintenance.view().windows == ()
    assert "&lt;!channel&gt;" in replies(h)[0] and "<!channel>" not in replies(h)[0]


def test_status_lists_the_windows_with_their_reason_escaped(h: SlackHarness) -> None:
    h.command("maintenance payments 2h deploy <!here>")

    answer = h.command("status").json()

    text = json.dumps(answer["blocks"])
    assert message_error(answer) is None
    assert "maintenance #1 *payments*: 2026-11-30 09:00 UTC to 2026-11-30 11:00 UTC by Alice" in text
    assert "&lt;!here&gt;" in text and "<!here>" not in text


def test_the_app_home_lists_the_windows(h: SlackHarness) -> None:
    h.command("maintenance payments 2h deploy")

    h.event({"type": "app_home_opened", "user": ALICE_SLACK, "tab": "home"})

    [published] = h.slack.calls("views.publish")
    assert view_error(published["view"]) is None
    assert "maintenance #1 *payments*" in json.dumps(published["view"])


def test_status_of_another_service_leaves_the_windows_of_others_out(h: SlackHarness) -> None:
    h.command("maintenance payments 2h deploy")

    text = json.dumps(h.command("status search").json()["blocks"])

    assert "maintenance #" not in text
