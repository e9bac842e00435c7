"""Pages as Slack cards: to a channel (`slack:#ops`, `slack:C…`) or as a DM to a person's Slack user id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.db.slack_store import PostedCard, SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_card_blocks import CardItem, card, card_parts
from domain.delivery_ports import Page, PageItem
from domain.events import Event, LevelPaged
from domain.model import Channel, IncidentId, IncidentState
from domain.ports import Clock, UnitOfWorkFactory


def is_user_id(address: str) -> bool:
    """Slack member ids start with U (or W on Enterprise Grid); channels with C, G, D or a `#name`."""
    return address[:1] in {"U", "W"}


class SlackChatNotifier:
    """Implements Notifier for Channel.SLACK: cards with a section and buttons per incident.

    A page bundling more incidents than one message holds (Slack takes 50 blocks) leaves as several
    cards, each remembered (channel + ts) as soon as it is posted, so that SlackCardUpdater keeps every
    one current and a retry of the page posts only the cards still missing.
    """

    channel = Channel.SLACK

    def __init__(self, api: SlackWebApi, store: SqlSlackStore, clock: Clock, uow: UnitOfWorkFactory) -> None:
        self._api = api
        self._store = store
        self._clock = clock
        self._uow = uow
        self._channel_ids: dict[str, str] = {}  # `#name` address: the id Slack answered with

    def send(self, page: Page) -> None:
        """Post the cards. Raises SendFailed: the cards posted before the failure are kept and
        not posted again by a retry in this process. A retry after a lost answer, or after a restart
        for a `#name` address, may post a card twice."""
        now = self._clock.now()
        threaded = not is_user_id(page.address)
        channel = page.address if threaded else self._open_dm(page.address)
        owed = self._not_posted_yet(page, channel)
        for part in card_parts([CardItem.of_page(item, now) for item in owed]):
            text, blocks = card(part)
            posted = self._api.call("chat.postMessage", channel=channel, text=text, blocks=blocks)
            # Slack answers with the channel's id even when addressed by #name: chat.update needs the id.
            channel_id, ts = str(posted.get("channel") or channel), str(posted["ts"])
            self._channel_ids[page.address] = channel_id
            self._store.record([PostedCard(i.incident_id, channel_id, ts, threaded) for i in part], now)
        for incident_id in self._moved_on(page):
            self._store.request_refresh(incident_id, [], now)

    def _not_posted_yet(self, page: Page, channel: str) -> Sequence[PageItem]:
        """The page's incidents without a card in the channel since their level was paged: an earlier
        attempt of this page may have posted some of its cards before failing."""
        channel_id = self._channel_ids.get(page.address) or ("" if channel.startswith("#") else channel)
        if not channel_id:  # a `#name` not posted to since this process started: its id is unknown
            return page.items
        posted = self._store.last_posted(channel_id, [item.incident_id for item in page.items])
        if not posted:
            return page.items
        with self._uow() as uow:
            paged = {i: _level_paged_at(uow.timeline.of(i)) for i in posted}
        return tuple(item for item in page.items if not _posted_since(item, posted, paged))

    def _moved_on(self, page: Page) -> list[IncidentId]:
        """Incidents that changed while their page was in flight (acknowledged, say): the card just
        posted shows them triggered, and the change's own refresh may have run before the card was known."""
        with self._uow() as uow:
            current = {item.incident_id: uow.incidents.get(item.incident_id) for item in page.items}
        return [
            item.incident_id
            for item in page.items
            if (found := current[item.incident_id]) is not None
            and (found.state is not IncidentState.TRIGGERED or found.level != item.level)
        ]

    def _open_dm(self, user_id: str) -> str:
        opened = self._api.call("conversations.open", users=user_id)
        return str(opened["channel"]["id"])


def _level_paged_at(timeline: Sequence[Event]) -> dict[tuple[int, int], datetime]:
    """When each (level, round) of an incident was last paged."""
    return {(e.level, e.round): e.at for e in timeline if isinstance(e, LevelPaged)}


def _posted_since(
    item: PageItem,
    posted: dict[IncidentId, datetime],
    paged: dict[IncidentId, dict[tuple[int, int], datetime]],
) -> bool:
    last_card = posted.get(item.incident_id)
    level_paged = paged.get(item.incident_id, {}).get((item.level, item.round))
    return last_card is not None and level_paged is not None and last_card >= level_paged
