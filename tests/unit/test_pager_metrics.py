"""What the pager reports to its metrics port: alerts, escalation lateness, time to ack, page outcomes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from domain.alerts import Alert, AlertStatus
from domain.dispatch import Dispatcher, DispatchPolicy
from domain.errors import SendFailed
from domain.model import Catalog, Channel, IncidentId, Step
from domain.observing_ports import NotificationOutcome
from domain.pager import Pager
from tests.unit.conftest import World, make_world
from tests.unit.test_fallthrough import catalog_with_email_fallback


class RecordingMetrics:
    def __init__(self) -> None:
        self.alerts: Counter[tuple[str, str]] = Counter()
        self.lateness: list[timedelta] = []
        self.time_to_ack: list[timedelta] = []
        self.notifications: Counter[tuple[str, str]] = Counter()

    def alert_applied(self, source: str, result: str) -> None:
        self.alerts[source, result] += 1

    def escalated(self, late_by: timedelta) -> None:
        self.lateness.append(late_by)

    def acknowledged(self, after: timedelta) -> None:
        self.time_to_ack.append(after)

    def notified(self, channel: Channel, outcome: NotificationOutcome) -> None:
        self.notifications[channel.value, outcome.value] += 1


def metered(catalog: Catalog | None = None) -> tuple[World, RecordingMetrics]:
    world = make_world(catalog)
    metrics = RecordingMetrics()
    world.pager = Pager(
        world.pager.catalog, world.uow, world.clock, world.wakeups, world.doorbell, metrics=metrics
    )
    world.wakeups.engine = world.pager.engine
    world.dispatcher = Dispatcher(
        world.pager.catalog, world.uow, world.notifiers, world.clock, DispatchPolicy(), metrics=metrics
    )
    return world, metrics


def test_each_alert_is_counted_by_its_source_and_what_it_did() -> None:
    world, metrics = metered()

    world.pager.on_alert("payments", Alert("DB down"))
    world.pager.on_alerts("payments", [Alert("disk", dedup_key="f1", source="alertmanager")])
    world.pager.on_alert("payments", Alert("ok", AlertStatus.RESOLVED, source="pagerduty"))
    world.pager.on_alert("payments", Alert("ok", AlertStatus.RESOLVED, source="grafana"))

    assert metrics.alerts == {
        ("generic", "opened"): 1,
        ("alertmanager", "appended"): 1,
        ("pagerduty", "resolved"): 1,
        ("grafana", "ignored"): 1,
    }


def test_an_escalation_reports_how_long_after_its_deadline_it_was_paged() -> None:
    world, metrics = metered()
    world.pager.on_alert("payments", Alert("DB down"))

    world.advance(timedelta(minutes=15, seconds=3))

    assert metrics.lateness == [timedelta(seconds=3)]


def test_the_first_page_and_a_stale_timeout_are_no_escalation() -> None:
    world, metrics = metered()
    world.pager.on_alert("payments", Alert("DB down"))
    world.pager.acknowledge(IncidentId(1), "alice")

    world.clock.advance(timedelta(minutes=15))

    world.pager.on_ack_timeout(IncidentId(1), Step(1, 0))

    assert metrics.lateness == []


def test_an_acknowledgement_reports_the_time_since_the_incident_opened_once() -> None:
    world, metrics = metered()
    world.pager.on_alert("payments", Alert("DB down"))
    world.clock.advance(timedelta(minutes=4))

    world.pager.acknowledge(IncidentId(1), "alice")
    world.pager.acknowledge(IncidentId(1), "bob")

    assert metrics.time_to_ack == [timedelta(minutes=4)]


def test_an_acknowledgement_by_a_monitor_is_timed_too() -> None:
    world, metrics = metered()
    world.pager.on_alerts("payments", [Alert("DB down", dedup_key="k", source="pagerduty")])
    world.clock.advance(timedelta(seconds=90))

    world.pager.acknowledge_alert("payments", "k", "integration:pagerduty")

    assert metrics.time_to_ack == [timedelta(seconds=90)]


def test_pages_are_counted_by_channel_and_outcome() -> None:
    world, metrics = metered(catalog_with_email_fallback())
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 21211", permanent=True))
    world.notifiers[Channel.EMAIL].failures.append(SendFailed("SMTP 451", permanent=False))
    world.pager.on_alert("payments", Alert("DB down"))

    world.deliver()  # alice's SMS fails for good and falls through to her email; Slack is sent
    world.deliver()  # the email fails for now
    world.advance(timedelta(seconds=5))  # and is sent on retry

    assert metrics.notifications == {
        ("sms", "fell_through"): 1,
        ("slack", "sent"): 1,
        ("email", "failed_temporarily"): 1,
        ("email", "sent"): 1,
    }


def test_a_permanent_failure_with_no_next_contact_method_is_counted_as_such() -> None:
    world, metrics = metered()
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 21211", permanent=True))

    world.advance(timedelta(minutes=15))  # level 2: bob's email and a bare number, which fails

    assert metrics.notifications[("sms", "failed_permanently")] == 1


def test_a_page_falling_through_at_its_delivery_deadline_is_counted_as_fell_through() -> None:
    world, metrics = metered(catalog_with_email_fallback())
    outage = [SendFailed("Twilio 503", permanent=False)] * 20
    world.notifiers[Channel.SMS].failures.extend(outage)
    world.pager.on_alert("payments", Alert("DB down"))

    for _ in range(130):
        world.clock.advance(timedelta(seconds=1))
        world.dispatcher.dispatch_due()

    assert metrics.notifications[("sms", "fell_through")] == 1
    assert metrics.notifications[("email", "sent")] == 1
