"""The pager's use cases: take alerts, escalate on timeouts, acknowledge and resolve."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain import events
from domain.alerts import Alert, AlertStatus
from domain.delivery_ports import Doorbell
from domain.engine import Engine
from domain.escalation import Aftermath, Escalator, locked
from domain.group_work import GroupWork
from domain.heartbeats import Heartbeats
from domain.maintenance_end import MaintenanceEnds
from domain.maintenance_service import Maintenance
from domain.model import FIRST_LEVEL, Catalog, Incident, IncidentId, PersonId, ServiceState, Step
from domain.observing_ports import IncidentObserver, NoMetrics, PagerMetrics
from domain.paging import page_level, received
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory, WakeUps


class AlertResult(StrEnum):
    OPENED = "opened"
    APPENDED = "appended"
    RESOLVED = "resolved"
    IGNORED = "ignored"
    SUPPRESSED = "suppressed"  # kept during a maintenance window of its service
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class AlertOutcome:
    incident_id: IncidentId | None
    result: AlertResult


class Pager:
    """Every state change goes through one unit of work; the wake-ups and outbox hear of it after commit.

    `engine` runs every kind of deadline that fell due (see domain/engine.py); the leader drives it."""

    def __init__(
        self,
        catalog: Catalog,
        uow: UnitOfWorkFactory,
        clock: Clock,
        wakeups: WakeUps,
        doorbell: Doorbell | None = None,
        observer: IncidentObserver | None = None,
        metrics: PagerMetrics | None = None,
    ) -> None:
        self.catalog = catalog
        self._uow = uow
        self._clock = clock
        self._after = Aftermath(wakeups, doorbell, observer, metrics or NoMetrics())
        self._escalator = Escalator(catalog, uow, clock, self._after)
        self.heartbeats = Heartbeats(catalog, uow, clock, wakeups, alerts=self)
        self.maintenance = Maintenance(catalog, uow, clock, wakeups)
        self.maintenance_ends = MaintenanceEnds(catalog, uow, clock, self._after, self._open)
        self.engine = Engine([self._escalator, self.heartbeats, self.maintenance_ends], wakeups)

    def on_alert(self, service_id: str, alert: Alert) -> AlertOutcome:
        """A monitor reported an alert (firing or resolved) for a service."""
        return self.on_alerts(service_id, [alert])[0]

    def on_alerts(self, service_id: str, alerts: Sequence[Alert]) -> list[AlertOutcome]:
        """Several alerts for one service (one monitor notification), applied together: all or none.

        Firing alerts go before resolved ones, so a notification that starts one alert and ends another
        keeps the open incident rather than closing it and opening a second one. Outcomes follow `alerts`.
        """
        return self.on_alert_groups([(service_id, alerts)])[0]

    def on_alert_groups(self, groups: Sequence[AlertGroup]) -> list[list[AlertOutcome]]:
        """Groups of alerts (each one request's, as `on_alerts` takes them) in ONE unit of work: all or none.

        This is group commit for alert storms: the lock, the commit and the statements' set-up are paid
        once for many requests. Services are locked in id order, so two such units never wait on each
        other in a cycle. Groups are applied in the order given; outcomes follow `groups`.
        """
        now = self._clock.now()
        with self._uow() as uow:
            applied = self.apply_alert_groups(uow, groups, now)
            uow.commit()
        self.announce(applied)
        return applied.results

    def apply_alert_groups(
        self, uow: UnitOfWork, groups: Sequence[AlertGroup], now: datetime
    ) -> AppliedAlerts:
        """`on_alert_groups` inside a unit of work the caller commits (with changes of its own, as a
        heartbeat's expiry does), then hands to `announce`."""
        services = [self.catalog.service(service_id).id for service_id, _ in groups]
        applied = AppliedAlerts(groups)
        work = GroupWork(uow, uow.services.lock_all(services))
        uow.incidents.reserve(work.openings(zip(services, (alerts for _, alerts in groups), strict=True)))
        work.look_up(zip(services, (alerts for _, alerts in groups), strict=True))
        for service_id, (_, alerts) in zip(services, groups, strict=True):
            applied.results.append(
                self._apply_group(work, work.states[service_id], alerts, now, applied.settled)
            )
        work.flush()
        return applied

    def announce(self, applied: AppliedAlerts) -> None:
        """Once `applied` committed: arm the new deadlines, ring the outbox, tell the observer, count."""
        for outcome, incident in applied.settled:
            if outcome.result is AlertResult.OPENED:
                self._after.paged(incident)
            else:
                self._after.changed(incident)
        for (_, alerts), outcomes in zip(applied.groups, applied.results, strict=True):
            for alert, outcome in zip(alerts, outcomes, strict=True):
                self._after.metrics.alert_applied(alert.source, outcome.result.value)

    def _apply_group(
        self,
        work: GroupWork,
        state: ServiceState,
        alerts: Sequence[Alert],
        now: datetime,
        settled: list[tuple[AlertOutcome, Incident]],
    ) -> list[AlertOutcome]:
        order = sorted(range(len(alerts)), key=lambda i: alerts[i].status is AlertStatus.RESOLVED)
        outcomes: dict[int, AlertOutcome] = {}
        for index in order:
            alert = alerts[index]
            if work.is_stale(state, alert, now):  # a monitor's late retry of an episode already over
                outcomes[index] = AlertOutcome(None, AlertResult.IGNORED)
                continue
            outcomes[index], incident = self._apply(work, state, alert, now)
            if (incident_id := outcomes[index].incident_id) is not None:
                closed = outcomes[index].result is AlertResult.RESOLVED
                work.applied(state, alert, incident_id, closed, now)
            if incident is not None:
                settled.append((outcomes[index], incident))
        return [outcomes[i] for i in range(len(alerts))]

    def acknowledge_alert(self, service_id: str, dedup_key: str, by: str) -> AlertOutcome:
        """A monitor acknowledged one of its alerts: the open incident holding it stops escalating.

        `by` names the integration ("integration:pagerduty"), not a person of the config; it is recorded as
        is. A key that is not firing on the service's open incident changes nothing.
        """
        service = self.catalog.service(service_id)
        now = self._clock.now()
        with self._uow() as uow:
            state = uow.services.lock(service.id)
            incident = None if state.open_incident is None else uow.incidents.get(state.open_incident)
            if incident is None or not uow.alerts.is_firing(incident.id, dedup_key):
                return AlertOutcome(None, AlertResult.IGNORED)
            changed = incident.acknowledge(PersonId(by), now)
            if changed:
                uow.outbox.cancel(incident.id)
                uow.incidents.save(incident)
                uow.commit()
        if changed:
            self._after.acknowledged(incident, now)
        return AlertOutcome(incident.id, AlertResult.ACKNOWLEDGED)

    def on_ack_timeout(self, incident_id: IncidentId, fired: Step) -> None:
        """An acknowledgement deadline passed. Stale, early or repeated wake-ups change nothing."""
        self._escalator.on_ack_timeout(incident_id, fired)

    def sweep_overdue(self, batch: int = 200) -> int:
        """Escalate every incident whose acknowledgement deadline passed, `batch` per unit of work (see
        `Escalator.sweep_overdue`). Returns how many overdue incidents were found."""
        return self._escalator.sweep_overdue(batch)

    def acknowledge(self, incident_id: IncidentId, by: str) -> Incident:
        """Someone took the incident: escalation stops. A second acknowledgement is a no-op."""
        person = self.catalog.person(by)
        now = self._clock.now()
        with self._uow() as uow:
            incident, _ = locked(uow, incident_id)
            changed = incident.acknowledge(PersonId(person.id), now)
            if changed:
                uow.outbox.cancel(incident.id)
                uow.incidents.save(incident)
                uow.commit()
        if changed:
            self._after.acknowledged(incident, now)
        return incident

    def resolve(self, incident_id: IncidentId, by: str) -> Incident:
        """A person resolved the incident: the service is healthy again."""
        person = self.catalog.person(by)
        now = self._clock.now()
        with self._uow() as uow:
            incident, state = locked(uow, incident_id)
            self._close(uow, state, incident, by=person.id, reason="resolved by a person", now=now)
            uow.commit()
        self._after.changed(incident)
        return incident

    def _apply(
        self, work: GroupWork, state: ServiceState, alert: Alert, now: datetime
    ) -> tuple[AlertOutcome, Incident | None]:
        """One alert of a group, inside the unit of work; the incident comes back when it opened or
        resolved."""
        uow = work.uow
        incident = work.open_incident(state)
        if incident is None and work.suppression(now).absorbs(state.service_id, alert):
            return AlertOutcome(None, AlertResult.SUPPRESSED), None
        if alert.status is AlertStatus.RESOLVED:
            outcome = self._alert_resolved(work, state, incident, alert, now)
            return outcome, incident if outcome.result is AlertResult.RESOLVED else None
        if incident is None:
            incident = self._open(uow, state, alert, now)
            work.opened(incident)
            return AlertOutcome(incident.id, AlertResult.OPENED), incident
        incident.record(received(alert, now))
        uow.alerts.record(incident.id, alert, now)
        return AlertOutcome(incident.id, AlertResult.APPENDED), None

    def _open(self, uow: UnitOfWork, state: ServiceState, alert: Alert, now: datetime) -> Incident:
        service = self.catalog.service(state.service_id)
        incident = Incident(IncidentId(0), service.id, alert.summary, opened_at=now)
        incident.record(events.IncidentOpened(at=now, service_id=service.id, summary=alert.summary))
        incident.record(received(alert, now))
        uow.incidents.add(incident)
        uow.alerts.record(incident.id, alert, now)
        page_level(uow, self.catalog, incident, self.catalog.policy_for(service), Step(FIRST_LEVEL, 0), now)
        uow.incidents.save(incident)
        state.open_incident = incident.id
        uow.services.save(state)
        return incident

    def _alert_resolved(
        self,
        work: GroupWork,
        state: ServiceState,
        incident: Incident | None,
        alert: Alert,
        now: datetime,
    ) -> AlertOutcome:
        if incident is None:
            return AlertOutcome(None, AlertResult.IGNORED)
        uow = work.uow
        incident.record(received(alert, now))
        if alert.dedup_key is not None:  # without a key, closing resolves every alert
            uow.alerts.resolve(incident.id, alert.dedup_key, now, alert.ends_at)
            if uow.alerts.firing_count(incident.id) > 0:
                return AlertOutcome(incident.id, AlertResult.APPENDED)
        reason = "every alert resolved" if alert.dedup_key else "the monitor reported the service healthy"
        self._close(uow, state, incident, by=alert.source, reason=reason, now=now)
        return AlertOutcome(incident.id, AlertResult.RESOLVED)

    def _close(
        self, uow: UnitOfWork, state: ServiceState, incident: Incident, by: str, reason: str, now: datetime
    ) -> None:
        incident.resolve(by, now, reason)
        uow.alerts.resolve(incident.id, None, now)
        uow.outbox.cancel(incident.id)
        uow.incidents.save(incident)
        if state.open_incident == incident.id:
            state.open_incident = None
            uow.services.save(state)


AlertGroup = tuple[str, Sequence[Alert]]


@dataclass
class AppliedAlerts:
    """Alert groups applied in a unit of work, for `Pager.announce` once it committed."""

    groups: Sequence[AlertGroup]
    results: list[list[AlertOutcome]] = field(default_factory=list)
    settled: list[tuple[AlertOutcome, Incident]] = field(default_factory=list)
