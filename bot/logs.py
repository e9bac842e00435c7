"""Logging: one line per event, readable on a console or as JSON for a log pipeline."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(log_format: str = "console", level: int = logging.INFO) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level, stream=sys.stdout, format="%(asctime)s [%(levelname)s] %(name)s: %(message)s"
    )
    # APScheduler narrates every job run at INFO; its warnings and errors still show.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    # Twilio's SDK logs each request and its headers at INFO (the account SID in the URL): the
    # outcome of each page is on the incident's timeline instead.
    logging.getLogger("twilio").setLevel(max(level, logging.WARNING))
