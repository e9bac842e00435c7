"""Personal notification rules: each step of a person's rules is an outbox message held back for its
delay (see paging.py); a step that cannot reach the person brings their next step forward."""

from __future__ import annotations

from datetime import datetime

from domain.delivery_ports import StepMessage
from domain.model import Contact, Person
from domain.ports import UnitOfWork


def bring_next_step_forward(
    uow: UnitOfWork, person: Person, failed: StepMessage, now: datetime
) -> Contact | None:
    """Page now the first of `person`'s steps after `failed.step` that is still held back for later
    (for a step of the same level and round of the same incident); None when none is.

    A step already due or sent is passed over: the next step not yet owed is the one brought forward.
    `failed.step` 0 (a failure reported without its step) looks from the first step on.
    """
    for number, step in enumerate(person.notify, start=1):
        if number <= failed.step:
            continue
        key = StepMessage(
            failed.incident_id, failed.level, failed.round, step.contact.channel, step.contact.address, number
        )
        if uow.outbox.bring_forward(key, now):
            return step.contact
    return None


def step_label(target: str, step: int) -> str:
    """How the timeline names the target of a page: `person:alice, notification step 2` for a step."""
    return f"{target}, notification step {step}" if step else target
