"""Replies to SMS pages (`12A`, `ack 12`, `12R`, `resolve 12`, `AA`) acted on as the person who sent them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain import events
from domain.errors import PagerError
from domain.model import Catalog, Channel, Contact, IncidentId, IncidentState, Person
from domain.pager import Pager
from domain.ports import Clock, InboundMessageLog, UnitOfWorkFactory

HELP = "Pager: reply 12A to acknowledge incident 12, 12R to resolve it, AA to acknowledge all your pages."
_ACK = re.compile(r"(?:(\d+)\s*a|(?:ack|acknowledge)\s*#?(\d+))")
_RESOLVE = re.compile(r"(?:(\d+)\s*r|resolve\s*#?(\d+))")
_ACK_ALL = re.compile(r"aa|ack\s*all")


class Action(StrEnum):
    ACK = "ack"
    RESOLVE = "resolve"
    ACK_ALL = "ack_all"


@dataclass(frozen=True)
class Command:
    action: Action
    incident_id: IncidentId | None = None


def parse_reply(text: str) -> Command | None:
    """The command a reply asks for, or None when it is not one (case, spaces and a `#` do not matter)."""
    body = " ".join(text.lower().split())
    if _ACK_ALL.fullmatch(body):
        return Command(Action.ACK_ALL)
    for action, pattern in ((Action.ACK, _ACK), (Action.RESOLVE, _RESOLVE)):
        if match := pattern.fullmatch(body):
            return Command(action, IncidentId(int(match[1] or match[2])))
    return None


def sender(catalog: Catalog, phone: str) -> Person | None:
    """The person whose SMS contact (paged at first or as a fallback) is `phone`."""
    contact = Contact(Channel.SMS, phone)
    found = [p for p in catalog.people.values() if contact in p.contacts or contact in p.fallbacks]
    return found[0] if len(found) == 1 else None


class SmsReplies:
    def __init__(
        self, catalog: Catalog, pager: Pager, uow: UnitOfWorkFactory, clock: Clock, log: InboundMessageLog
    ) -> None:
        self._catalog, self._pager, self._uow, self._clock, self._log = catalog, pager, uow, clock, log

    def on_reply(self, message_id: str, phone: str, text: str) -> str | None:
        """Act on one inbound SMS; returns the answer to send back, None for a message already handled.

        An unknown number or a reply that is not a command gets the help text and changes nothing.
        """
        person, command = sender(self._catalog, phone), parse_reply(text)
        if person is None or command is None:
            return HELP
        if not self._log.first_time(message_id, self._clock.now()):
            return None
        try:
            return self._act(person, command)
        except Exception:
            self._log.forget(message_id)  # let the provider's retry try again
            raise

    def _act(self, person: Person, command: Command) -> str:
        if command.action is Action.ACK_ALL:
            return self._ack_all(person)
        assert command.incident_id is not None
        try:
            if command.action is Action.RESOLVE:
                self._pager.resolve(command.incident_id, person.id)
                return f"Resolved #{command.incident_id}."
            incident = self._pager.acknowledge(command.incident_id, person.id)
        except PagerError as exc:
            return f"Nothing done: {exc}."
        if incident.acknowledged_by not in (None, person.id):
            return f"#{incident.id} was already acknowledged by {incident.acknowledged_by}."
        return f"Acknowledged #{incident.id}. Escalation stopped."

    def _ack_all(self, person: Person) -> str:
        acked = []
        for incident_id in self.paged_for(person):
            try:
                self._pager.acknowledge(incident_id, person.id)
            except PagerError:
                continue  # resolved meanwhile: nothing left to acknowledge
            acked.append(f"#{incident_id}")
        if not acked:
            return "Nothing to acknowledge: no incident waiting for an ack paged you."
        return f"Acknowledged {', '.join(acked)}. Escalation stopped."

    def paged_for(self, person: Person) -> list[IncidentId]:
        """Incidents waiting for an ack that were sent to one of the person's addresses, oldest first."""
        addresses = {(c.channel.value, c.address) for c in (*person.contacts, *person.fallbacks)}
        found = []
        with self._uow() as uow:
            for incident in uow.incidents.list([IncidentState.TRIGGERED], limit=1000):
                sent = (e for e in uow.timeline.of(incident.id) if isinstance(e, events.NotificationSent))
                if any((e.channel, e.address) in addresses for e in sent):
                    found.append(incident.id)
        return sorted(found)
