"""Logging: the standard library's records (Alembic, uvicorn, vendors) come out as the pager's events do."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from bot.logs import configure_logging, reset_logging
from bot.settings import Settings, SettingsError


class Output:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def configure(self, log_format: str) -> None:
        with contextlib.redirect_stdout(self.stream):
            configure_logging(log_format)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def objects(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def output() -> Iterator[Output]:
    yield Output()
    reset_logging()


def test_a_library_record_is_one_json_object_with_its_level_logger_and_time(output: Output) -> None:
    output.configure("json")

    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s -> %s", "0004", "0005")

    (line,) = output.objects()
    assert line["event"] == "Running upgrade 0004 -> 0005"
    assert line["level"] == "info" and line["logger"] == "alembic.runtime.migration"
    assert line["timestamp"].endswith("Z")


def test_a_library_traceback_stays_inside_its_one_json_line(output: Output) -> None:
    output.configure("json")

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")

    (line,) = output.objects()
    assert line["level"] == "error"
    assert "RuntimeError: boom" in line["exception"] and "Traceback" in line["exception"]


def test_the_pager_events_and_library_records_share_the_stream_in_order(output: Output) -> None:
    output.configure("json")

    structlog.get_logger("pager").info("serving", url="http://127.0.0.1:8080")
    logging.getLogger("slack_sdk").warning("rate limited")

    assert [line["event"] for line in output.objects()] == ["serving", "rate limited"]


def test_the_console_format_shows_a_library_record_on_one_readable_line(output: Output) -> None:
    output.configure("console")

    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")

    (line,) = output.lines()
    assert "Context impl SQLiteImpl." in line and "alembic.runtime.migration" in line
    assert not line.startswith("{")


def test_configuring_again_replaces_the_handler_rather_than_doubling_lines(output: Output) -> None:
    output.configure("console")
    output.configure("json")

    logging.getLogger("alembic").info("once")

    assert [line["event"] for line in output.objects()] == ["once"]


@pytest.mark.parametrize("library", ["apscheduler.scheduler", "twilio.http_client", "uvicorn.error"])
def test_chatty_libraries_show_their_warnings_but_not_their_info(output: Output, library: str) -> None:
    output.configure("json")

    logging.getLogger(library).info("Added job")
    logging.getLogger(library).warning("Run time of job was missed")

    assert [line["event"] for line in output.objects()] == ["Run time of job was missed"]


def test_the_access_log_keeps_the_path_but_not_the_query_where_keys_may_travel(output: Output) -> None:
    output.configure("json")

    access = logging.getLogger("uvicorn.access")
    args = ("127.0.0.1:5000", "POST", "/webhooks/generic?key=s3cret-key", "1.1", 202)
    access.info('%s - "%s %s HTTP/%s" %d', *args)

    (line,) = output.objects()
    assert line["event"] == '127.0.0.1:5000 - "POST /webhooks/generic HTTP/1.1" 202'


def test_resetting_restores_the_levels_and_handlers_of_before() -> None:
    root = logging.getLogger()
    handlers, levels = list(root.handlers), (root.level, logging.getLogger("twilio").level)
    with contextlib.redirect_stdout(io.StringIO()):
        configure_logging("json", logging.DEBUG)

    reset_logging()

    assert root.handlers == handlers
    assert (root.level, logging.getLogger("twilio").level) == levels


def test_the_access_log_is_off_unless_PAGER_ACCESS_LOG_is_true() -> None:
    assert Settings.from_env({}).access_log is False
    assert Settings.from_env({"PAGER_ACCESS_LOG": "true"}).access_log is True
    with pytest.raises(SettingsError, match="PAGER_ACCESS_LOG"):
        Settings.from_env({"PAGER_ACCESS_LOG": "sometimes"})
