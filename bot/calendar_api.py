"""On-call calendar feeds: `GET /api/oncall/{rotation}.ics` and `GET /api/people/{person}/oncall.ics`.

Calendar apps send no headers, so each feed carries its own secret in its URL (`?token=`): an HMAC of the
feed's name under $PAGER_CALENDAR_KEY. A new key revokes every URL. Whatever is wrong (feeds off, no or a
wrong token, an unknown rotation or person) gets the answer of an unknown path, so a guess learns nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from starlette.exceptions import HTTPException

from adapters.icalendar_feed import person_feed, rotation_feed
from bot.schemas import ErrorOut
from bot.settings import Settings
from domain.calendar import person_calendar, rotation_calendar
from domain.model import PersonId, RotationId

if TYPE_CHECKING:
    from bot.bootstrap import Runtime

MEDIA_TYPE = "text/calendar; charset=utf-8"


class FeedKind(StrEnum):
    ROTATION = "rotation"
    PERSON = "person"


def feed_path(kind: FeedKind, ident: str) -> str:
    name = quote(ident, safe="")
    return f"/api/oncall/{name}.ics" if kind is FeedKind.ROTATION else f"/api/people/{name}/oncall.ics"


@dataclass(frozen=True)
class CalendarFeeds:
    """The feeds' secrets, and their URLs once `public_url` says where the pager is reached."""

    key: str = field(repr=False)
    public_url: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> CalendarFeeds | None:
        """None while PAGER_CALENDAR_KEY is unset: the feeds are off."""
        return cls(settings.calendar_key, settings.public_url) if settings.calendar_key else None

    def token(self, kind: FeedKind, ident: str) -> str:
        return hmac.new(self.key.encode(), f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()

    def accepts(self, kind: FeedKind, ident: str, token: str | None) -> bool:
        given = (token or "").encode("utf-8", "replace")
        return hmac.compare_digest(self.token(kind, ident).encode(), given)

    def url(self, kind: FeedKind, ident: str) -> str | None:
        """The feed's full URL, secret included; None while PAGER_PUBLIC_URL is unset."""
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}{feed_path(kind, ident)}?token={self.token(kind, ident)}"


router = APIRouter(tags=["calendar"])
Token = Annotated[
    str | None, Query(description="The feed's secret, as `pager calendar` prints it in the feed's URL.")
]
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "An iCalendar feed"},
    404: {"model": ErrorOut, "description": "Feeds off, no or a wrong token, or no such rotation or person"},
}


@router.get("/api/oncall/{rotation}.ics", response_class=Response, responses=_RESPONSES)
def rotation_ics(request: Request, rotation: str, token: Token = None) -> Response:
    """The next 12 weeks of shifts of one rotation, overrides included, for a calendar app to subscribe to."""
    rt = _runtime(request)
    found = rt.config.catalog.rotations.get(RotationId(rotation))
    if not _allowed(rt, FeedKind.ROTATION, rotation, token) or found is None:
        raise HTTPException(404)
    now = _now(rt)
    feed = rotation_feed(found.id, rotation_calendar(found, now), rt.config.catalog.people, now)
    return _calendar(feed)


@router.get("/api/people/{person}/oncall.ics", response_class=Response, responses=_RESPONSES)
def person_ics(request: Request, person: str, token: Token = None) -> Response:
    """The next 12 weeks of one person's shifts in every rotation, for a calendar app to subscribe to."""
    rt = _runtime(request)
    catalog = rt.config.catalog
    found = catalog.people.get(PersonId(person))
    if not _allowed(rt, FeedKind.PERSON, person, token) or found is None:
        raise HTTPException(404)
    now = _now(rt)
    return _calendar(person_feed(found, person_calendar(catalog.rotations.values(), person, now), now))


def _allowed(rt: Runtime, kind: FeedKind, ident: str, token: str | None) -> bool:
    feeds = CalendarFeeds.of(rt.settings)
    return feeds is not None and feeds.accepts(kind, ident, token)


def _calendar(feed: bytes) -> Response:
    # private: the URL holds a secret, so no shared cache may keep what it answered.
    return Response(feed, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


def _runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def _now(rt: Runtime) -> datetime:
    return rt.clock.now() if rt.clock else datetime.now(UTC)
