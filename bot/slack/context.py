"""What Slack listeners work with: the pager, its read side, and who a Slack user is in the config."""

from __future__ import annotations

from dataclasses import dataclass

from bot.calendar_api import CalendarFeeds, FeedKind
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
    # None while the calendar feeds are off (no PAGER_CALENDAR_KEY).
    calendar: CalendarFeeds | None = None

    def linked_person(self, slack_user_id: str) -> Person:
        """The person whose `slack:` id this is; NotLinked when nobody in the config has it."""
        person = self.person_of(slack_user_id)
        if person is None:
            raise NotLinked(slack_user_id)
        return person

    def person_of(self, slack_user_id: str) -> Person | None:
        """The person whose `slack:` id this is, if anyone's."""
        wanted = Contact(Channel.SLACK, slack_user_id)
        return next((p for p in self.catalog.people.values() if wanted in p.contacts), None)

    def calendar_url(self, slack_user_id: str) -> str | None:
        """The URL of the Slack user's own on-call calendar; None when feeds are off, the pager's public URL
        is unknown, or the user is no person of the config."""
        person = self.person_of(slack_user_id)
        if self.calendar is None or person is None:
            return None
        return self.calendar.url(FeedKind.PERSON, person.id)
