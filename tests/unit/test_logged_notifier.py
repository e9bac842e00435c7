"""A failed page is logged (channel, incidents, reason) and still raised; a sent one logs nothing."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from adapters.logged_notifier import LoggedNotifier
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.model import Channel, IncidentId, ServiceId
from tests.fakes import RecordingNotifier

PAGE = Page(
    Channel.SMS,
    "+33612345678",
    (PageItem(IncidentId(7), ServiceId("payments"), "Payments", "DB down", level=1, round=0),),
)


def test_a_failed_page_is_logged_without_its_address_and_raised_as_it_was() -> None:
    inner = RecordingNotifier()
    inner.failures.append(SendFailed("Twilio 503", permanent=False))

    with capture_logs() as logs, pytest.raises(SendFailed, match="Twilio 503"):
        LoggedNotifier(Channel.SMS, inner).send(PAGE)

    assert logs == [
        {
            "event": "page failed",
            "log_level": "warning",
            "channel": "sms",
            "incidents": [7],
            "reason": "Twilio 503",
            "permanent": False,
        }
    ]


def test_a_sent_page_logs_nothing() -> None:
    inner = RecordingNotifier()

    with capture_logs() as logs:
        LoggedNotifier(Channel.SMS, inner).send(PAGE)

    assert (logs, inner.sent) == ([], [PAGE])


class BrokenNotifier:
    def send(self, page: Page) -> None:
        raise ValueError("header value may not contain a newline")


def test_a_notifier_bug_is_logged_with_its_traceback_and_raised_as_it_was() -> None:
    with capture_logs() as logs, pytest.raises(ValueError, match="newline"):
        LoggedNotifier(Channel.EMAIL, BrokenNotifier()).send(PAGE)

    [entry] = logs
    assert (entry["event"], entry["log_level"], entry["error"]) == (
        "page failed: notifier error",
        "error",
        "ValueError",
    )
    assert entry["exc_info"] is True
