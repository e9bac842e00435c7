"""Logging: one line per event, readable on a console or as JSON for a log pipeline, whoever logs it."""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import TextIO

import structlog

# uvicorn's access log line: '%s - "%s %s HTTP/%s" %d', its third argument the path with the query.
_ACCESS_PATH_ARG = 2
_QUIET = (
    # APScheduler narrates every job run at INFO; its warnings and errors still show.
    "apscheduler",
    # Twilio's SDK logs each request and its headers at INFO (the account SID in the URL): the outcome of
    # each page is on the incident's timeline instead.
    "twilio",
    # uvicorn's start-up lines repeat what the pager's own "serving" line says; its access log shows
    # when the server turns it on.
    "uvicorn.error",
    "uvicorn.asgi",
)
_LEVELS_SET = ("", *_QUIET, "uvicorn.access")


class _Lines(logging.Handler):
    """Writes each record through a structlog `WriteLogger` on the same stream as structlog's own events:
    they share one lock per stream, so a line from one never lands inside a line from the other."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._out = structlog.WriteLogger(stream)
        self.levels_before: dict[str, int] = {}  # of the loggers configure_logging sets, for reset_logging

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._out.msg(self.format(record))
        except Exception:
            self.handleError(record)


class _QueryStringHidden(logging.Filter):
    """Integration keys may travel in a URL's query (`?key=`): the access log keeps the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _ACCESS_PATH_ARG:
            path = str(args[_ACCESS_PATH_ARG]).partition("?")[0]
            record.args = (*args[:_ACCESS_PATH_ARG], path, *args[_ACCESS_PATH_ARG + 1 :])
        return True


def configure_logging(log_format: str = "console", level: int = logging.INFO) -> None:
    """Send structlog's events and the standard library's records (Alembic, uvicorn, APScheduler, the
    vendors' SDKs) to stdout through the same processors: one JSON object per line, or one console line."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.WriteLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    handler = _Lines(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name, stamp],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    _install(handler)
    _set_levels(level)


def _set_levels(level: int) -> None:
    logging.getLogger().setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    access = logging.getLogger("uvicorn.access")
    access.setLevel(level)
    if not any(isinstance(f, _QueryStringHidden) for f in access.filters):
        access.addFilter(_QueryStringHidden())


def _install(handler: _Lines) -> None:
    """Replace the handler an earlier call installed, leaving anyone else's (a test's capture) in place."""
    root = logging.getLogger()
    earlier = [h for h in root.handlers if isinstance(h, _Lines)]
    handler.levels_before = (
        earlier[0].levels_before if earlier else {n: logging.getLogger(n).level for n in _LEVELS_SET}
    )
    for old in earlier:
        root.removeHandler(old)
    root.addHandler(handler)


def reset_logging() -> None:
    """Undo `configure_logging`, levels included: for tests, which configure logging in their own process."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Lines)]:
        root.removeHandler(handler)
        for name, level in handler.levels_before.items():
            logging.getLogger(name).setLevel(level)
    structlog.reset_defaults()


def log_uncaught_exceptions() -> None:
    """For a serving process: warnings, and exceptions no code caught (main thread or another), become
    log records too, so that even a crash's traceback is one line of the log."""
    logging.captureWarnings(True)
    crash = logging.getLogger("pager.crash")

    def on_main(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        crash.critical("uncaught exception", exc_info=(kind, exc, tb))

    def on_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            exc_info = (args.exc_type, args.exc_value, args.exc_traceback)
            name = args.thread.name if args.thread is not None else "?"
            crash.error("uncaught exception in thread %s", name, exc_info=exc_info)

    sys.excepthook = on_main
    threading.excepthook = on_thread
