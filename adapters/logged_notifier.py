"""A Notifier that logs each failed page before passing the failure on: the timeline records every
outcome, but whoever watches the logs at 3 a.m. should see a provider failing too."""

from __future__ import annotations

import structlog

from domain.delivery_ports import Notifier, Page
from domain.errors import SendFailed
from domain.model import Channel

_log = structlog.get_logger("pager.notify")


class LoggedNotifier:
    """Implements Notifier around another one. Logs the channel, incidents and provider's reason, not
    the address."""

    def __init__(self, channel: Channel, inner: Notifier) -> None:
        self._channel = channel
        self._inner = inner

    def send(self, page: Page) -> None:
        try:
            self._inner.send(page)
        except SendFailed as failure:
            _log.warning(
                "page failed",
                channel=str(self._channel),
                incidents=[item.incident_id for item in page.items],
                reason=failure.reason,
                permanent=failure.permanent,
            )
            raise
        except Exception as exc:
            # A bug of the notifier itself: the dispatcher records it as a permanent failure; the
            # traceback is only here, for whoever has to fix it.
            _log.error(
                "page failed: notifier error",
                channel=str(self._channel),
                incidents=[item.incident_id for item in page.items],
                error=type(exc).__name__,
                exc_info=True,
            )
            raise
