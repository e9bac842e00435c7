"""The pager model-checked: random interleavings of alerts, acks, resolves, timeouts, sends and restarts.

Services share people, so one address is paged for several incidents and pages are bundled. After every
step the invariants a user relies on must hold: no address gets two messages for one step of an incident;
nothing is sent for an incident once its acknowledgement or resolution is committed; and an incident that
waits for an acknowledgement has a wake-up armed for its step, or a deadline the sweep will find overdue,
or is recorded as exhausted.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable
from datetime import UTC, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.alerts import Alert, AlertStatus
from domain.delivery_ports import Page
from domain.dispatch import Dispatcher
from domain.errors import IncidentAlreadyResolved, IncidentNotFound, SendFailed
from domain.events import LevelPaged
from domain.fallthrough import Delivery, DeliveryReports
from domain.model import (
    Catalog,
    Channel,
    Contact,
    EscalationPolicy,
    IncidentId,
    IncidentState,
    Level,
    Person,
    PersonId,
    PolicyId,
    RotationId,
    Service,
    ServiceId,
    Step,
    Target,
)
from domain.pager import Pager
from domain.rotation import Rotation
from tests.fakes import T0, FakeClock, FakeWakeUps, InMemoryUnitOfWork, MemoryStore

PEOPLE = (
    Person(
        PersonId("alice"), "Alice", (Contact(Channel.SMS, "+33600000001"), Contact(Channel.EMAIL, "a@x.io"))
    ),
    Person(PersonId("bob"), "Bob", (Contact(Channel.EMAIL, "b@x.io"),)),
    Person(PersonId("carol"), "Carol", (Contact(Channel.SMS, "+33600000003"),)),
    Person(
        PersonId("dave"), "Dave", (Contact(Channel.SMS, "+33600000004"),), (Contact(Channel.EMAIL, "d@x.io"),)
    ),
)


def _level(minutes: int, *targets: str) -> Level:
    return Level(tuple(Target.parse(t) for t in targets), timedelta(minutes=minutes))


SHARED = EscalationPolicy(
    PolicyId("shared"),
    (_level(5, "person:alice", "slack:#ops"), _level(10, "person:bob", "rotation:primary")),
    repeat=1,
)
SHORT = EscalationPolicy(PolicyId("short"), (_level(3, "person:bob", "person:dave"),))
CATALOG = Catalog(
    people={p.id: p for p in PEOPLE},
    policies={SHARED.id: SHARED, SHORT.id: SHORT},
    services={
        ServiceId("payments"): Service(ServiceId("payments"), "Payments", SHARED.id),
        ServiceId("search"): Service(ServiceId("search"), "Search", SHARED.id),
        ServiceId("billing"): Service(ServiceId("billing"), "Billing", SHORT.id),
    },
    rotations={
        RotationId("primary"): Rotation.single("primary", ("carol", "bob"), T0, timedelta(hours=6), UTC),
    },
)
SERVICES = sorted(CATALOG.services)
# A few more ids than incidents are likely to open: acting on a missing one must be refused cleanly.
INCIDENT_IDS = st.integers(1, 8).map(IncidentId)
DEDUP_KEYS = st.sampled_from([None, "disk", "cpu"])


class CheckingNotifier:
    """Records what it sends and every violation it sees; raising here would only look like an outage."""

    def __init__(self, channel: Channel, machine: PagerMachine) -> None:
        self.channel, self.machine = channel, machine
        self.failures: list[SendFailed] = []

    def send(self, page: Page) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.machine.record_sent(self.channel, page)
        # Someone acts while the provider is still taking this page: the relay's later pages must notice.
        while self.machine.during_next_send:
            self.machine.during_next_send.pop(0)()


class PagerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = MemoryStore()
        self.notifiers = {channel: CheckingNotifier(channel, self) for channel in Channel}
        # Every (incident, level, round, channel, address) sent, and any broken promise seen while sending.
        self.sent: list[tuple[IncidentId, int, int, Channel, str]] = []
        self.violations: list[str] = []
        self.during_next_send: list[Callable[[], None]] = []
        self.start()

    def start(self) -> None:
        """A fresh process over the same store: new wake-ups that know nothing, a new pager and relay."""

        def uow() -> InMemoryUnitOfWork:
            return InMemoryUnitOfWork(self.store)

        self.wakeups = FakeWakeUps(self.clock)
        self.pager = Pager(CATALOG, uow, self.clock, self.wakeups)
        self.wakeups.engine = self.pager.engine
        self.dispatcher = Dispatcher(CATALOG, uow, self.notifiers, self.clock)
        self.reports = DeliveryReports(CATALOG, uow, self.clock)

    def record_sent(self, channel: Channel, page: Page) -> None:
        for item in page.items:
            key = (item.incident_id, item.level, item.round, channel, page.address)
            if key in self.sent:
                self.violations.append(f"sent twice: {key}")
            committed = self.store.incidents[item.incident_id]
            if committed.state is not IncidentState.TRIGGERED:
                self.violations.append(f"sent for {committed.state} incident: {key}")
            self.sent.append(key)

    # Inputs from the outside world.

    @rule(service=st.sampled_from(SERVICES), firing=st.booleans(), key=DEDUP_KEYS)
    def alert(self, service: str, firing: bool, key: str | None) -> None:
        status = AlertStatus.FIRING if firing else AlertStatus.RESOLVED
        self.pager.on_alert(service, Alert("something is wrong", status, key))

    @rule(service=st.sampled_from(SERVICES), key=st.sampled_from(["disk", "cpu"]))
    def monitor_acknowledges(self, service: str, key: str) -> None:
        self.pager.acknowledge_alert(service, key, "integration:pagerduty")

    @rule(incident=INCIDENT_IDS, person=st.sampled_from(PEOPLE), resolve=st.booleans())
    def person_acts(self, incident: IncidentId, person: Person, resolve: bool) -> None:
        act = self.pager.resolve if resolve else self.pager.acknowledge
        with contextlib.suppress(IncidentNotFound, IncidentAlreadyResolved):
            act(incident, person.id)

    @rule(incident=INCIDENT_IDS, person=st.sampled_from(PEOPLE), resolve=st.booleans())
    def person_acts_while_a_page_is_being_sent(
        self, incident: IncidentId, person: Person, resolve: bool
    ) -> None:
        self.during_next_send.append(lambda: self.person_acts(incident, person, resolve))

    @rule(data=st.data())
    @precondition(lambda self: any(channel is Channel.SMS for *_, channel, _ in self.sent))
    def sms_reported_undelivered(self, data: st.DataObject) -> None:
        sms = [s for s in self.sent if s[3] is Channel.SMS]
        incident, level, round_, channel, address = data.draw(st.sampled_from(sms))
        self.reports.on_status([Delivery(incident, level, round_, channel, address)], "undelivered")

    @rule(channel=st.sampled_from(list(Channel)), permanent=st.booleans())
    def provider_fails_next_send(self, channel: Channel, permanent: bool) -> None:
        self.notifiers[channel].failures.append(SendFailed("provider down", permanent=permanent))

    # Time, and what wakes up with it.

    @rule(seconds=st.integers(0, 15 * 60))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @rule()
    def wake_ups_due_run_the_engine(self) -> None:
        self.wakeups.fire_due()

    @rule(incident=INCIDENT_IDS, times=st.integers(1, 2))
    def timeout_for_the_current_step(self, incident: IncidentId, times: int) -> None:
        found = self.store.incidents.get(incident)
        for _ in range(times if found else 0):
            assert found is not None
            self.pager.on_ack_timeout(incident, Step(found.level, found.round))

    @rule(incident=INCIDENT_IDS, level=st.integers(1, 3), round_=st.integers(0, 2))
    def timeout_for_any_step(self, incident: IncidentId, level: int, round_: int) -> None:
        self.pager.on_ack_timeout(incident, Step(level, round_))

    @rule()
    def sweep(self) -> None:
        self.pager.sweep_overdue()

    @rule()
    def relay_sends_what_is_due(self) -> None:
        self.dispatcher.dispatch_due()

    @rule(jobs_kept=st.booleans())
    def restart(self, jobs_kept: bool) -> None:
        """A new process: its stored wake-ups survived (a job store in the database), or were lost and the
        new process asks for them again at start, as `pager serve` does."""
        moments = set(self.wakeups.moments)
        self.start()
        if jobs_kept:
            self.wakeups.moments |= moments
        else:
            self.pager.engine.rearm()

    @rule(jobs_kept=st.booleans())
    def crash_while_sending(self, jobs_kept: bool) -> None:
        """The relay claimed what was due, then the process died before sending any of it."""
        policy, now = self.dispatcher.policy, self.clock.now()
        with InMemoryUnitOfWork(self.store) as uow:
            uow.outbox.claim(now, policy.bundle_window.total_seconds(), lease_until=now + policy.lease)
            uow.commit()
        self.restart(jobs_kept)

    # What must hold after every step.

    @invariant()
    def no_promise_was_broken_while_sending(self) -> None:
        assert self.violations == []

    @invariant()
    def every_waiting_incident_will_wake_up_or_is_exhausted(self) -> None:
        now = self.clock.now()
        for incident in self.store.incidents.values():
            if incident.state is not IncidentState.TRIGGERED:
                continue
            if incident.exhausted:
                assert incident.ack_deadline is None, incident
                continue
            assert incident.ack_deadline is not None, incident
            armed = incident.ack_deadline in self.wakeups.moments  # woken exactly then, not just some time
            assert armed or incident.ack_deadline <= now, (incident, sorted(self.wakeups.moments))

    @invariant()
    def no_level_is_paged_before_the_previous_deadline(self) -> None:
        for events in self.store.timeline.values():
            paged = [e for e in events if isinstance(e, LevelPaged)]
            for previous, escalation in itertools.pairwise(paged):
                assert escalation.at >= previous.ack_deadline, (previous, escalation)

    @invariant()
    def each_service_has_at_most_one_open_incident(self) -> None:
        for service in SERVICES:
            open_ = [i.id for i in self.store.incidents.values() if i.service_id == service and i.is_open]
            state = self.store.services.get(ServiceId(service))
            assert open_ == ([] if state is None or state.open_incident is None else [state.open_incident])


PagerMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("PAGER_MODEL_CHECK_EXAMPLES", "200")),
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_pager_keeps_its_promises = PagerMachine.TestCase
