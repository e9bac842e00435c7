"""The InboundMessageLog port in SQL: one row per inbound message id, inserted once whoever races."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete

from adapters.db.repositories import insert_ignoring_duplicates
from adapters.db.tables import sms_inbound


class SqlInboundMessageLog:
    """Each call is its own short transaction: the note must stick even if acting on the message fails
    later, until `forget` takes it back."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_time(self, message_id: str, at: datetime) -> bool:
        with self._engine.connect() as conn:
            insert = insert_ignoring_duplicates(conn, sms_inbound, ["message_sid"])
            added = conn.execute(
                insert.values(message_sid=message_id, received_at=at).returning(sms_inbound.c.message_sid)
            ).all()
            conn.commit()
        return bool(added)

    def forget(self, message_id: str) -> None:
        with self._engine.connect() as conn:
            conn.execute(delete(sms_inbound).where(sms_inbound.c.message_sid == message_id))
            conn.commit()
