"""The dispatcher: acks cancel what is owed, failures are retried with backoff, outcomes are recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from domain import events
from domain.alerts import Alert, AlertStatus
from domain.delivery_ports import Page
from domain.dispatch import DispatchPolicy, in_turn
from domain.errors import SendFailed
from domain.model import Channel, IncidentId
from tests.fakes import RecordingNotifier
from tests.unit.conftest import World

SLACK_OPS_PAGE = ("slack", "#ops", (1,))


class NotifierWithABug(RecordingNotifier):
    """Crashes on its first page with an exception that is not a SendFailed."""

    def __init__(self) -> None:
        super().__init__()
        self.crashed = False

    def send(self, page: Page) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("bug in the notifier")
        super().send(page)


def alert(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def slack_outcomes(world: World, incident_id: IncidentId) -> list[events.Event]:
    return [
        e
        for e in world.store.timeline[incident_id]
        if isinstance(e, events.NotificationSent | events.NotificationFailed) and e.channel == Channel.SLACK
    ]


def wait_for_retry(world: World, attempts: int) -> None:
    world.clock.advance(world.dispatcher.policy.retry_delay(attempts))
    world.dispatcher.dispatch_due()


# Acknowledging or resolving cancels what has not left yet.


def test_ack_before_dispatch_cancels_the_pending_pages(world: World) -> None:
    incident_id = alert(world)

    world.pager.acknowledge(incident_id, "alice")
    world.deliver()

    assert world.sent() == []


def test_resolve_before_dispatch_cancels_the_pending_pages(world: World) -> None:
    incident_id = alert(world)

    world.pager.resolve(incident_id, "alice")
    world.deliver()

    assert world.sent() == []


def test_resolved_alert_before_dispatch_cancels_the_pending_pages(world: World) -> None:
    alert(world)

    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))
    world.deliver()

    assert world.sent() == []


def test_ack_cancels_a_page_waiting_for_its_retry(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("503", permanent=False))
    incident_id = alert(world)
    world.deliver()

    world.pager.acknowledge(incident_id, "alice")
    wait_for_retry(world, 1)

    assert SLACK_OPS_PAGE not in world.sent()


class NotifierDuringWhoseSendSomeoneActs(RecordingNotifier):
    """Runs `act` while it sends its first page, as an ack may land while a provider is slow to answer."""

    def __init__(self, act: Callable[[], object]) -> None:
        super().__init__()
        self.act: Callable[[], object] | None = act

    def send(self, page: Page) -> None:
        super().send(page)
        act, self.act = self.act, None
        if act is not None:
            act()


def test_an_ack_committed_while_an_earlier_page_is_sent_stops_the_later_pages_of_the_pass(
    world: World,
) -> None:
    incident_id = alert(world)
    world.notifiers[Channel.SMS] = NotifierDuringWhoseSendSomeoneActs(
        lambda: world.pager.acknowledge(incident_id, "alice")
    )

    world.deliver()

    assert [address for _, address, _ in world.sent()] == ["+33612345678"]


def test_a_page_dropped_because_of_an_ack_is_not_recorded_as_sent(world: World) -> None:
    incident_id = alert(world)
    world.notifiers[Channel.SMS] = NotifierDuringWhoseSendSomeoneActs(
        lambda: world.pager.acknowledge(incident_id, "alice")
    )

    world.deliver()

    sent = [e.address for e in world.store.timeline[incident_id] if isinstance(e, events.NotificationSent)]
    assert sent == ["+33612345678"]


# Failures.


def test_retryable_failure_is_not_retried_before_its_backoff(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("503", permanent=False))
    alert(world)
    world.deliver()

    world.clock.advance(world.dispatcher.policy.retry_delay(1) - timedelta(seconds=1))
    world.dispatcher.dispatch_due()

    assert SLACK_OPS_PAGE not in world.sent()


def test_retryable_failure_is_sent_after_its_backoff(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("503", permanent=False))
    alert(world)
    world.deliver()

    wait_for_retry(world, 1)

    assert world.sent().count(SLACK_OPS_PAGE) == 1


def test_retried_page_records_the_failure_then_the_success(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("503", permanent=False))
    incident_id = alert(world)
    world.deliver()

    wait_for_retry(world, 1)

    outcomes = slack_outcomes(world, incident_id)
    assert [e.kind for e in outcomes] == ["NotificationFailed", "NotificationSent"]
    failed = outcomes[0]
    assert isinstance(failed, events.NotificationFailed)
    assert (failed.address, failed.target, failed.reason, failed.permanent) == (
        "#ops",
        "slack:#ops",
        "503",
        False,
    )


def test_permanent_failure_is_not_retried(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("channel not found", permanent=True))
    alert(world)
    world.deliver()

    world.clock.advance(timedelta(hours=1))
    world.dispatcher.dispatch_due()

    assert SLACK_OPS_PAGE not in world.sent()
    assert world.dispatcher.next_due() is None


def test_permanent_failure_is_recorded(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("channel not found", permanent=True))
    incident_id = alert(world)

    world.deliver()

    [failed] = slack_outcomes(world, incident_id)
    assert isinstance(failed, events.NotificationFailed)
    assert (failed.reason, failed.permanent) == ("channel not found", True)


def test_notifier_bug_is_a_permanent_failure_never_retried(world: World) -> None:
    world.notifiers[Channel.SLACK] = NotifierWithABug()
    incident_id = alert(world)
    world.deliver()

    wait_for_retry(world, 1)

    assert SLACK_OPS_PAGE not in world.sent()
    [failed] = slack_outcomes(world, incident_id)
    assert isinstance(failed, events.NotificationFailed)
    assert (failed.reason, failed.permanent) == ("notifier error: RuntimeError", True)
    assert world.dispatcher.next_due() is None


def test_retry_delay_doubles_after_each_failed_attempt() -> None:
    policy = DispatchPolicy(first_retry=timedelta(seconds=2), max_retry=timedelta(minutes=1))

    assert [policy.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]


def test_retry_delay_is_capped() -> None:
    policy = DispatchPolicy(first_retry=timedelta(seconds=2), max_retry=timedelta(minutes=1))

    assert policy.retry_delay(6) == timedelta(minutes=1)


def test_retry_delay_stays_capped_after_a_long_outage() -> None:
    policy = DispatchPolicy(first_retry=timedelta(seconds=2), max_retry=timedelta(minutes=1))

    assert policy.retry_delay(1000) == timedelta(minutes=1)


def test_page_is_still_retried_after_a_long_outage(world: World) -> None:
    outage = [SendFailed("503", permanent=False) for _ in range(60)]
    world.notifiers[Channel.SLACK].failures += outage
    alert(world)
    world.deliver()

    for attempts in range(1, len(outage) + 1):
        wait_for_retry(world, attempts)

    assert world.sent().count(SLACK_OPS_PAGE) == 1


def test_second_failure_waits_twice_as_long(world: World) -> None:
    slack = world.notifiers[Channel.SLACK]
    slack.failures += [SendFailed("503", permanent=False), SendFailed("503", permanent=False)]
    alert(world)
    world.deliver()
    wait_for_retry(world, 1)

    failed_again_at = world.clock.now()

    assert world.dispatcher.next_due() == failed_again_at + world.dispatcher.policy.retry_delay(2)


# The doorbell wakes the dispatcher when new pages were committed.


def test_doorbell_rings_after_an_alert_that_pages(world: World) -> None:
    alert(world)

    assert world.doorbell.rings == 1


def test_doorbell_rings_after_an_escalation(world: World) -> None:
    alert(world)

    world.advance(timedelta(minutes=15))

    assert world.doorbell.rings == 2


def test_doorbell_stays_quiet_for_an_alert_on_an_unhealthy_service(world: World) -> None:
    alert(world)

    world.pager.on_alert("payments", Alert("disk still full"))

    assert world.doorbell.rings == 1


def test_a_page_whose_claim_grew_old_before_it_left_is_dropped_if_acknowledged_meanwhile(
    world: World,
) -> None:
    incident_id = alert(world)
    world.clock.advance(world.dispatcher.policy.bundle_window)

    def senders_all_busy(tasks: Sequence[Callable[[], None]]) -> None:
        world.pager.acknowledge(incident_id, "alice")  # commits after the claim, before the send
        world.clock.advance(timedelta(seconds=1))
        in_turn(tasks)

    claimed = world.dispatcher.dispatch_due(run=senders_all_busy)

    assert claimed > 0
    assert world.sent() == []


def test_a_page_leaving_right_after_its_claim_is_sent(world: World) -> None:
    alert(world)
    world.clock.advance(world.dispatcher.policy.bundle_window)

    claimed = world.dispatcher.dispatch_due(run=in_turn)

    assert claimed > 0 and len(world.sent()) == claimed
