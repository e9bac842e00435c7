"""What Slack listeners work with: the pager, its read side, and who a Slack user is in the config."""

from __future__ import annotations

from dataclasses import dataclass

from domain.model import Catalog, Channel, Contact, Person
from domain.pager import Pager
from domain.ports import Clock
from domain.queries import Queries


class NotLinked(Exception):
    """A Slack user who is no person of the config tried to act on an incident."""

    def __init__(self, slack_user_id: str) -> None:
        super().__init__("your Slack account is not linked to a pager person")
        self.slack_user_id = slack_user_id


@dataclass(frozen=True)
class SlackContext:
    pager: Pager
    queries: Queries
    catalog: Catalog
    clock: Clock

    def linked_person(self, slack_user_id: str) -> Person:
        """The person whose `slack:` id this is; NotLinked when nobody in the config has it."""
        wanted = Contact(Channel.SLACK, slack_user_id)
        for person in self.catalog.people.values():
            if wanted in person.contacts:
                return person
        raise NotLinked(slack_user_id)
