"""The unit of work of a group commit of alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from domain.alerts import Alert, AlertEpisode, AlertStatus
from domain.maintenance_end import Suppression
from domain.model import Incident, IncidentId, ServiceId, ServiceState
from domain.ports import UnitOfWork

EpisodeKey = tuple[ServiceId, str]


class GroupWork:
    """A group commit's unit of work, with each service's open incident read once and saved once.

    An incident appended to many times in one unit is written back once, with all its new events, at
    `flush`; one that closed was saved at once, so a new incident can open for its service after it.
    The latest episode of each alert that carries its monitor's times is read once too (`look_up`), and
    kept up to date as the unit applies alerts, so a late retry is known as such (`is_stale`).
    """

    def __init__(self, uow: UnitOfWork, states: Sequence[ServiceState]) -> None:
        self.uow = uow
        self.states = {state.service_id: state for state in states}
        open_ids = [state.open_incident for state in states if state.open_incident is not None]
        self._incidents = uow.incidents.get_many(open_ids)
        self._watched: set[EpisodeKey] = set()
        self._episodes: dict[EpisodeKey, AlertEpisode] = {}
        self._suppression: Suppression | None = None

    def suppression(self, now: datetime) -> Suppression:
        """What maintenance windows do to this unit's alerts (the windows read once, if ever needed)."""
        if self._suppression is None:
            self._suppression = Suppression(self.uow, now)
        return self._suppression

    def look_up(self, groups: Iterable[tuple[ServiceId, Sequence[Alert]]]) -> None:
        """Read, in one go, the latest episode of every alert of the groups that says when it started or
        ended (the others cannot be told stale, and cost nothing)."""
        self._watched = {
            (service, alert.dedup_key)
            for service, alerts in groups
            for alert in alerts
            if alert.dedup_key is not None and (alert.starts_at is not None or alert.ends_at is not None)
        }
        if self._watched:
            self._episodes = self.uow.alerts.latest(sorted(self._watched))

    def is_stale(self, state: ServiceState, alert: Alert, now: datetime) -> bool:
        if alert.dedup_key is None:
            return False
        return alert.is_stale(self._episodes.get((state.service_id, alert.dedup_key)), now)

    def applied(
        self, state: ServiceState, alert: Alert, incident_id: IncidentId, closed: bool, now: datetime
    ) -> None:
        """`alert` was applied to the incident (which it `closed`, or not) at `now`: its episode is the
        latest."""
        key = (state.service_id, alert.dedup_key or "")
        if alert.dedup_key is not None and key in self._watched:
            episode = _next_episode(self._episodes.get(key), alert, incident_id, now)
            if episode is not None:
                self._episodes[key] = episode
        if closed:  # closing resolved every alert of the incident
            for other, episode in self._episodes.items():
                if episode.incident_id == incident_id and episode.firing:
                    self._episodes[other] = replace(episode, firing=False, ends_at=None, resolved_at=now)

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


def _next_episode(
    latest: AlertEpisode | None, alert: Alert, incident_id: IncidentId, now: datetime
) -> AlertEpisode | None:
    """What the repository holds once `alert` is applied: a resolution ends the episode firing on the
    incident (if any); a firing alert starts one, or joins the one firing, whose start becomes the later."""
    firing_here = latest is not None and latest.firing and latest.incident_id == incident_id
    if alert.status is AlertStatus.RESOLVED:
        ended = replace(latest, firing=False, ends_at=alert.ends_at, resolved_at=now) if latest else None
        return ended if firing_here else latest
    if not firing_here or latest is None:
        return AlertEpisode(incident_id, firing=True, starts_at=alert.starts_at)
    starts = [t for t in (latest.starts_at, alert.starts_at) if t is not None]
    return replace(latest, starts_at=max(starts, default=None))
