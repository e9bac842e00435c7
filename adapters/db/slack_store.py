"""Where the Slack adapter keeps its cards (channel + ts per incident) and the updates it still owes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update

from adapters.db.repositories import insert_ignoring_duplicates
from adapters.db.tables import slack_card_refreshes, slack_messages, slack_thread_replies
from domain.model import IncidentId

# Any constant no other advisory lock in the database uses.
_DRAIN_LOCK = 0x736C61636B


@dataclass(frozen=True)
class PostedCard:
    """One Slack message showing an incident; `threaded` cards (in channels) get timeline replies."""

    incident_id: IncidentId
    channel: str
    ts: str
    threaded: bool


@dataclass(frozen=True)
class Refresh:
    incident_id: IncidentId
    generation: int


@dataclass(frozen=True)
class ThreadReply:
    id: int
    channel: str
    thread_ts: str
    text: str


class SqlSlackStore:
    """Each method is its own short transaction, independent of the pager's units of work."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, cards: Sequence[PostedCard], at: datetime) -> None:
        """Remember posted cards; one already known is skipped."""
        if not cards:
            return
        keys = ["incident_id", "channel", "ts"]
        with self._engine.begin() as conn:
            insert = insert_ignoring_duplicates(conn, slack_messages, keys)
            conn.execute(
                insert,
                [
                    dict(
                        incident_id=c.incident_id,
                        channel=c.channel,
                        ts=c.ts,
                        threaded=c.threaded,
                        posted_at=at,
                    )
                    for c in cards
                ],
            )

    def cards_of(self, incident_id: IncidentId) -> list[PostedCard]:
        query = select(slack_messages).where(slack_messages.c.incident_id == incident_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(slack_messages.c.id)).all()
        return [PostedCard(IncidentId(r.incident_id), r.channel, r.ts, r.threaded) for r in rows]

    def incidents_on(self, channel: str, ts: str) -> list[IncidentId]:
        """Every incident one message lists, in the order they were posted."""
        c = slack_messages.c
        query = select(c.incident_id).where(c.channel == channel, c.ts == ts).order_by(c.id)
        with self._engine.connect() as conn:
            return [IncidentId(i) for i in conn.execute(query).scalars()]

    def last_posted(self, channel: str, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, datetime]:
        """When each of `incident_ids` last had a card posted to `channel` (a channel id); incidents
        with none there are left out."""
        if not incident_ids:
            return {}
        c = slack_messages.c
        query = (
            select(c.incident_id, func.max(c.posted_at).label("last"))
            .where(c.channel == channel, c.incident_id.in_([int(i) for i in incident_ids]))
            .group_by(c.incident_id)
        )
        with self._engine.connect() as conn:
            return {IncidentId(row[0]): row[1] for row in conn.execute(query)}

    def request_refresh(self, incident_id: IncidentId, replies: Sequence[str], at: datetime) -> None:
        """Note that the incident's cards are stale, and owe `replies` to the thread of each channel card.

        Requests for one incident merge into one: the refresh renders whatever is current when it runs.
        """
        with self._engine.begin() as conn:
            insert = insert_ignoring_duplicates(conn, slack_card_refreshes, ["incident_id"])
            conn.execute(insert.values(incident_id=incident_id, generation=0, requested_at=at))
            conn.execute(
                update(slack_card_refreshes)
                .where(slack_card_refreshes.c.incident_id == incident_id)
                .values(generation=slack_card_refreshes.c.generation + 1, requested_at=at)
            )
            threads = select(slack_messages).where(
                slack_messages.c.incident_id == incident_id, slack_messages.c.threaded
            )
            rows = [
                {"channel": card.channel, "thread_ts": card.ts, "text": text, "created_at": at}
                for card in conn.execute(threads.order_by(slack_messages.c.id))
                for text in replies
            ]
            if rows:
                conn.execute(slack_thread_replies.insert(), rows)

    @contextmanager
    def draining(self) -> Iterator[bool]:
        """Whether this process may work through the pending updates now. Replicas on one PostgreSQL
        take turns: two draining at once would each post the same thread reply. A replica that
        finds the turn taken leaves its work to the one draining, or to the next poll."""
        if self._engine.dialect.name != "postgresql":
            yield True  # SQLite: one process
            return
        with self._engine.connect() as conn, conn.begin():
            yield bool(conn.execute(select(func.pg_try_advisory_xact_lock(_DRAIN_LOCK))).scalar_one())

    def pending_refreshes(self, limit: int = 100) -> list[Refresh]:
        c = slack_card_refreshes.c
        query = select(c.incident_id, c.generation).order_by(c.requested_at, c.incident_id).limit(limit)
        with self._engine.connect() as conn:
            return [Refresh(IncidentId(r.incident_id), r.generation) for r in conn.execute(query)]

    def refreshed(self, refresh: Refresh) -> None:
        """Done with a refresh, unless another was requested meanwhile (then it stays pending)."""
        c = slack_card_refreshes.c
        with self._engine.begin() as conn:
            conn.execute(
                delete(slack_card_refreshes).where(
                    c.incident_id == refresh.incident_id, c.generation == refresh.generation
                )
            )

    def pending_replies(self, limit: int = 100) -> list[ThreadReply]:
        query = select(slack_thread_replies).order_by(slack_thread_replies.c.id).limit(limit)
        with self._engine.connect() as conn:
            return [ThreadReply(r.id, r.channel, r.thread_ts, r.text) for r in conn.execute(query)]

    def reply_posted(self, reply_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(slack_thread_replies).where(slack_thread_replies.c.id == reply_id))
