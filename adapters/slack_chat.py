"""Pages as Slack cards: to a channel (`slack:#ops`, `slack:C…`) or as a DM to a person's Slack user id."""

from __future__ import annotations

from adapters.db.slack_store import PostedCard, SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_card import CardItem, card
from domain.model import Channel, IncidentId, IncidentState
from domain.ports import Clock, Page, UnitOfWorkFactory


def is_user_id(address: str) -> bool:
    """Slack member ids start with U (or W on Enterprise Grid); channels with C, G, D or a `#name`."""
    return address[:1] in {"U", "W"}


class SlackChatNotifier:
    """Implements Notifier for Channel.SLACK: one card per page, with a section and buttons per incident.

    Every card posted is remembered (channel + ts) so that SlackCardUpdater can keep it current.
    """

    channel = Channel.SLACK

    def __init__(self, api: SlackWebApi, store: SqlSlackStore, clock: Clock, uow: UnitOfWorkFactory) -> None:
        self._api = api
        self._store = store
        self._clock = clock
        self._uow = uow

    def send(self, page: Page) -> None:
        """Post the card. Raises NotificationFailed; a retry after a lost answer may post it twice."""
        now = self._clock.now()
        threaded = not is_user_id(page.address)
        channel = page.address if threaded else self._open_dm(page.address)
        text, blocks = card([CardItem.of_page(item, now) for item in page.items])
        posted = self._api.call("chat.postMessage", channel=channel, text=text, blocks=blocks)
        # Slack answers with the channel's id even when it was addressed by #name: chat.update needs the id.
        channel_id, ts = str(posted.get("channel") or channel), str(posted["ts"])
        self._store.record(
            [PostedCard(item.incident_id, channel_id, ts, threaded) for item in page.items], now
        )
        for incident_id in self._moved_on(page):
            self._store.request_refresh(incident_id, [], now)

    def _moved_on(self, page: Page) -> list[IncidentId]:
        """Incidents that changed while their page was in flight (acknowledged, say): the card just
        posted shows them triggered, and the change's own refresh may have run before the card was known."""
        with self._uow() as uow:
            current = {item.incident_id: uow.incidents.get(item.incident_id) for item in page.items}
        return [
            item.incident_id
            for item in page.items
            if (found := current[item.incident_id]) is not None
            and (found.state is not IncidentState.TRIGGERED or found.level + 1 != item.level)
        ]

    def _open_dm(self, user_id: str) -> str:
        opened = self._api.call("conversations.open", users=user_id)
        return str(opened["channel"]["id"])
