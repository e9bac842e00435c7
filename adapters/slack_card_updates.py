"""Keeping Slack cards current: after each change of an incident, update its cards and reply in threads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import structlog

from adapters.db.slack_store import PostedCard, Refresh, SqlSlackStore, ThreadReply
from adapters.slack_api import SlackWebApi
from adapters.slack_card_blocks import NAME_TEXT, CardItem, card, display_name, escaped, hhmm
from adapters.worker import Worker
from domain.errors import SendFailed
from domain.model import Incident, IncidentId, IncidentState, Person, PersonId, ServiceId
from domain.ports import Clock, UnitOfWorkFactory

_log = structlog.get_logger("pager.slack")


def timeline_reply(incident: Incident, at: str, people: Mapping[PersonId, Person] | None = None) -> str:
    """The thread reply for the change that just happened, told by the incident's new state. Who acted
    may be a monitor's own name: it is escaped, and shortened, like everything a monitor writes."""
    if incident.state is IncidentState.RESOLVED:
        who = _who(incident.resolved_by, people)
        return f":large_green_circle: Resolved by {who} at {at}"
    if incident.state is IncidentState.ACKNOWLEDGED:
        who = _who(incident.acknowledged_by, people)
        return f":large_yellow_circle: Acknowledged by {who} at {at}: escalation stopped"
    if incident.exhausted:
        return f":warning: Escalation exhausted at {at}: nobody acknowledged level {incident.level}"
    again = f" (round {incident.round + 1})" if incident.round else ""
    return f":arrow_up: Escalated to level {incident.level}{again} at {at}"


def _who(acted: str | None, people: Mapping[PersonId, Person] | None) -> str:
    return escaped(display_name(acted or "?", people or {}), NAME_TEXT)


class SlackCardUpdater:
    """Implements IncidentObserver. A change is stored first (durable: a restart or a rate limit loses
    nothing), then `drain` renders each stale incident's current state into every card showing it.
    `on_pending` is called after a change is stored, so whoever drains knows to (`SlackCardRelay` sets it)."""

    def __init__(
        self,
        api: SlackWebApi,
        store: SqlSlackStore,
        uow: UnitOfWorkFactory,
        service_names: Callable[[ServiceId], str],
        clock: Clock,
        people: Mapping[PersonId, Person] | None = None,
        on_pending: Callable[[], None] = lambda: None,
    ) -> None:
        self._api = api
        self._people = people or {}
        self._store = store
        self._uow = uow
        self._service_names = service_names
        self._clock = clock
        self.on_pending = on_pending

    def incident_changed(self, incident: Incident) -> None:
        now = self._clock.now()
        try:
            self._store.request_refresh(incident.id, [timeline_reply(incident, hhmm(now), self._people)], now)
        except Exception:  # the incident's change is committed; a stale card must not turn it into an error
            _log.exception("slack card refresh not recorded", incident=int(incident.id))
        self.on_pending()

    def drain(self) -> int:
        """Apply every pending refresh and reply. Returns how many Slack calls failed (left for later)."""
        with self._store.draining() as our_turn:
            return self._apply_pending() if our_turn else 0

    def _apply_pending(self) -> int:
        failed = 0
        for refresh in self._store.pending_refreshes():
            failed += not self._attempt(partial(self._refresh, refresh), f"refresh #{refresh.incident_id}")
        for reply in self._store.pending_replies():
            failed += not self._attempt(partial(self._reply, reply), f"thread reply {reply.id}")
        return failed

    def _attempt(self, work: Callable[[], None], what: str) -> bool:
        try:
            work()
        except SendFailed as failure:
            _log.warning("slack update failed", what=what, reason=failure.reason)
            return False
        return True

    def _refresh(self, refresh: Refresh) -> None:
        for posted in self._store.cards_of(refresh.incident_id):
            self._update(posted)
        self._store.refreshed(refresh)

    def _update(self, posted: PostedCard) -> None:
        items = self._items(self._store.incidents_on(posted.channel, posted.ts))
        text, blocks = card(items)
        try:
            self._api.call("chat.update", channel=posted.channel, ts=posted.ts, text=text, blocks=blocks)
        except SendFailed as failure:
            if not failure.permanent:
                raise
            # A deleted message or a channel the bot left cannot be updated, ever: skip that card.
            _log.warning("slack card cannot be updated", channel=posted.channel, reason=failure.reason)

    def _reply(self, reply: ThreadReply) -> None:
        try:
            self._api.call(
                "chat.postMessage", channel=reply.channel, thread_ts=reply.thread_ts, text=reply.text
            )
        except SendFailed as failure:
            if not failure.permanent:
                raise
            _log.warning("slack thread reply dropped", channel=reply.channel, reason=failure.reason)
        self._store.reply_posted(reply.id)

    def _items(self, incident_ids: list[IncidentId]) -> list[CardItem]:
        with self._uow() as uow:
            found = [uow.incidents.get(i) for i in incident_ids]
        return [
            CardItem.of_incident(i, self._service_names(i.service_id), self._people)
            for i in found
            if i is not None
        ]


class SlackCardRelay:
    """A worker running the updater's `drain` when a change is pending, and every `poll_interval` for what
    failed (a round that raised, the database away a moment, is tried again after `poll_interval` too)."""

    def __init__(self, updater: SlackCardUpdater, poll_interval: float = 5.0) -> None:
        self._updater = updater
        self._poll_interval = poll_interval
        self._worker = Worker("slack-cards", self._round, restart_after=poll_interval)
        updater.on_pending = self._worker.wake

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._worker.stop(timeout)

    def _round(self) -> float:
        self._updater.drain()
        return self._poll_interval
