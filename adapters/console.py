"""A notifier that writes each page as one log line: the default when a channel has no provider."""

from __future__ import annotations

import structlog

from adapters.rendering import item_line
from domain.delivery_ports import Page
from domain.model import Channel


class ConsoleNotifier:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._log = structlog.get_logger("pager.console")

    def send(self, page: Page) -> None:
        self._log.info(
            "page",
            channel=str(self.channel),
            to=page.address,
            incidents=[int(item.incident_id) for item in page.items],
            text=" | ".join(item_line(item) for item in page.items),
        )
