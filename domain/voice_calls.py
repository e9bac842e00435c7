"""Page calls answered: what the call lists, keys pressed acted on as the person called, how calls ended."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.delivery_ports import PageItem
from domain.errors import PagerError
from domain.fallthrough import Delivery, DeliveryReports
from domain.model import Catalog, Channel, Contact, Incident, IncidentId, IncidentState, Person, PersonId
from domain.pager import Pager
from domain.ports import Clock, InboundMessageLog, UnitOfWorkFactory

# How a call that nobody took ends (Twilio's CallStatus); each pages the person's next method at once.
UNANSWERED = frozenset({"no-answer", "busy", "failed", "canceled"})
ENDED = UNANSWERED | {"completed"}
VOICEMAIL = "voicemail"


class Key(StrEnum):
    ACK = "1"
    RESOLVE = "2"
    REPEAT = "3"


@dataclass(frozen=True)
class Call:
    """A page call as its signed URL and the provider's fields tell it: who was called at which number,
    for which steps (incident, level counted from 1, round)."""

    sid: str
    to: str
    person: PersonId | None
    steps: tuple[tuple[IncidentId, int, int], ...]

    @property
    def incidents(self) -> list[IncidentId]:
        return sorted({incident for incident, _, _ in self.steps})

    def deliveries(self) -> list[Delivery]:
        return [Delivery(i, level, round_, Channel.VOICE, self.to) for i, level, round_ in self.steps]


def callee(catalog: Catalog, phone: str) -> Person | None:
    """The one person whose voice number (paged at first or as a fallback) is `phone`."""
    contact = Contact(Channel.VOICE, phone)
    found = [p for p in catalog.people.values() if contact in p.contacts or contact in p.fallbacks]
    return found[0] if len(found) == 1 else None


def _listed(ids: Sequence[IncidentId]) -> str:
    numbers = [str(i) for i in ids]
    if len(numbers) == 1:
        return f"Incident {numbers[0]}"
    return f"Incidents {', '.join(numbers[:-1])} and {numbers[-1]}"


class VoiceCalls:
    def __init__(
        self,
        catalog: Catalog,
        pager: Pager,
        uow: UnitOfWorkFactory,
        clock: Clock,
        log: InboundMessageLog,
        reports: DeliveryReports,
    ) -> None:
        self._catalog, self._pager, self._uow, self._clock = catalog, pager, uow, clock
        self._log, self._reports = log, reports

    def caller(self, call: Call) -> Person | None:
        """The person the call was made to, who alone may act through it: named by the call and owning
        the number called."""
        person = self._catalog.people.get(call.person) if call.person else None
        if person is None or Contact(Channel.VOICE, call.to) not in (*person.contacts, *person.fallbacks):
            return None
        return person

    def waiting(self, call: Call) -> tuple[PageItem, ...]:
        """The call's incidents still waiting for an acknowledgement, as the call reads them."""
        items = []
        with self._uow() as uow:
            for incident_id, level, round_ in self._first_steps(call):
                incident = uow.incidents.get(incident_id)
                if incident is None or incident.state is not IncidentState.TRIGGERED:
                    continue
                service = self._catalog.services.get(incident.service_id)
                name = service.name if service else incident.service_id
                items.append(
                    PageItem(incident.id, incident.service_id, name, incident.summary, level, round_)
                )
        return tuple(items)

    def _first_steps(self, call: Call) -> list[tuple[IncidentId, int, int]]:
        seen: dict[IncidentId, tuple[IncidentId, int, int]] = {}
        for step in call.steps:
            seen.setdefault(step[0], step)
        return list(seen.values())

    def on_key(self, call: Call, key: Key) -> str | None:
        """Acknowledge or resolve every incident of the call as the person called; returns what to say,
        None when this key of this call was acted on before (a replay)."""
        person = self.caller(call)
        if person is None:
            return "This call cannot act on incidents."
        if not self._log.first_time(f"voice:{call.sid}:{key}", self._clock.now()):
            return None
        try:
            return self._act(person, call.incidents, key)
        except Exception:
            self._log.forget(f"voice:{call.sid}:{key}")  # let the provider's retry try again
            raise

    def _act(self, person: Person, incidents: list[IncidentId], key: Key) -> str:
        done: list[IncidentId] = []
        said: list[str] = []
        for incident_id in incidents:
            try:
                if key is Key.RESOLVE:
                    self._pager.resolve(incident_id, person.id)
                    done.append(incident_id)
                    continue
                incident = self._pager.acknowledge(incident_id, person.id)
            except PagerError:
                said.append(f"{_listed([incident_id])} was already resolved.")
                continue
            if incident.acknowledged_by in (None, person.id):
                done.append(incident_id)
            else:
                said.append(f"{_listed([incident_id])} was already acknowledged by {self._name(incident)}.")
        verb = "resolved" if key is Key.RESOLVE else "acknowledged"
        head = [f"{_listed(done)} {verb} by {person.name}."] if done else []
        return " ".join([*head, *said]) or "Nothing was left to do."

    def _name(self, incident: Incident) -> str:
        by = incident.acknowledged_by
        person = self._catalog.people.get(by) if by else None
        return person.name if person else (by or "someone")

    def on_voicemail(self, call: Call) -> int:
        """A machine answered: the page did not reach the person, whose next method is paged now."""
        return self._reports.on_report(call.deliveries(), VOICEMAIL, None, undelivered=True)

    def on_status(self, call: Call, status: str, error: str | None = None) -> int:
        """How the call ended, on the timeline; unanswered, it pages the person's next method now.
        Progress reports (queued, ringing, in-progress) change nothing. Returns how many fell through."""
        if status not in ENDED:
            return 0
        return self._reports.on_report(call.deliveries(), status, error, undelivered=status in UNANSWERED)
