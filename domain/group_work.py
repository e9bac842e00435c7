"""The unit of work of a group commit of alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from domain.model import Alert, AlertStatus, Incident, ServiceId, ServiceState
from domain.ports import UnitOfWork


class GroupWork:
    """A group commit's unit of work, with each service's open incident read once and saved once.

    An incident appended to many times in one unit is written back once, with all its new events, at
    `flush`; one that closed was saved at once, so a new incident can open for its service after it.
    """

    def __init__(self, uow: UnitOfWork, states: Sequence[ServiceState]) -> None:
        self.uow = uow
        self.states = {state.service_id: state for state in states}
        open_ids = [state.open_incident for state in states if state.open_incident is not None]
        self._incidents = uow.incidents.get_many(open_ids)

    def openings(self, groups: Iterable[tuple[ServiceId, Sequence[Alert]]]) -> int:
        """How many incidents the groups will likely open: one per service now healthy with a firing
        alert among them (a service that closes and reopens within the groups opens one more)."""
        firing = {s for s, alerts in groups if any(a.status is AlertStatus.FIRING for a in alerts)}
        return sum(1 for s in firing if s in self.states and self.states[s].open_incident is None)

    def open_incident(self, state: ServiceState) -> Incident | None:
        if state.open_incident is None:
            return None
        found = self._incidents.get(state.open_incident)
        if found is None:
            found = self.uow.incidents.get(state.open_incident)
            if found is not None:
                self._incidents[found.id] = found
        return found

    def opened(self, incident: Incident) -> None:
        self._incidents[incident.id] = incident

    def flush(self) -> None:
        for incident in self._incidents.values():
            if incident.events:
                self.uow.incidents.save(incident)
