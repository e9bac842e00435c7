"""Read-only views of the pager's state, for the API, the CLI and chat status commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import IncidentNotFound
from domain.events import Event
from domain.model import Catalog, Health, Incident, IncidentId, IncidentState, ServiceId
from domain.ports import UnitOfWorkFactory

OPEN_STATES = (IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED)


@dataclass(frozen=True)
class ServiceView:
    id: ServiceId
    name: str
    health: Health
    open_incident: IncidentId | None


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    service_name: str
    timeline: tuple[Event, ...] = ()


@dataclass(frozen=True)
class IncidentPage:
    """One page of a listing, newest first; `next_before` is the cursor of the next page, None on the last."""

    views: tuple[IncidentView, ...]
    next_before: IncidentId | None


class Queries:
    def __init__(self, catalog: Catalog, uow: UnitOfWorkFactory) -> None:
        self._catalog = catalog
        self._uow = uow

    def services(self) -> list[ServiceView]:
        """Every configured service with its health; one never alerted on is healthy."""
        with self._uow() as uow:
            states = {s.service_id: s for s in uow.services.list()}
        views = []
        for service in sorted(self._catalog.services.values(), key=lambda s: s.id):
            state = states.get(service.id)
            open_incident = state.open_incident if state else None
            health = Health.HEALTHY if open_incident is None else Health.UNHEALTHY
            views.append(ServiceView(service.id, service.name, health, open_incident))
        return views

    def incidents(
        self, states: Sequence[IncidentState] = OPEN_STATES, limit: int = 100
    ) -> list[IncidentView]:
        return list(self.incident_page(states, limit).views)

    def incident_page(
        self, states: Sequence[IncidentState], limit: int, before: IncidentId | None = None
    ) -> IncidentPage:
        """At most `limit` incidents in `states`, newest first, of an id below `before` if given. One
        more is read to know whether another page follows."""
        with self._uow() as uow:
            found = uow.incidents.list(states, limit + 1, before)
        page = found[:limit]
        next_before = page[-1].id if len(found) > limit and page else None
        return IncidentPage(
            tuple(IncidentView(i, self._service_name(i.service_id)) for i in page), next_before
        )

    def open_incident_count(self) -> int:
        """How many incidents are open: at most one per service, so the services' states say it."""
        with self._uow() as uow:
            return sum(1 for state in uow.services.list() if state.open_incident is not None)

    def incident(self, incident_id: IncidentId) -> IncidentView:
        with self._uow() as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise IncidentNotFound(incident_id)
            timeline = tuple(uow.timeline.of(incident_id))
        return IncidentView(incident, self._service_name(incident.service_id), timeline)

    def _service_name(self, service_id: ServiceId) -> str:
        service = self._catalog.services.get(service_id)
        return service.name if service else service_id
