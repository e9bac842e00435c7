"""`pager health`: which URL it asks, and what it makes of the answer (against a small local HTTP server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_health import healthz_url, problem
from bot.settings import Settings


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("0.0.0.0:8080", "http://127.0.0.1:8080/healthz"),
        ("127.0.0.1:9001", "http://127.0.0.1:9001/healthz"),
        ("[::]:8080", "http://[::1]:8080/healthz"),
        ("[::1]:8081", "http://[::1]:8081/healthz"),
        ("pager.internal:80", "http://pager.internal:80/healthz"),
    ],
)
def test_the_health_check_asks_the_bound_address_with_any_address_mapped_to_loopback(
    bind: str, url: str
) -> None:
    assert healthz_url(Settings(bind=bind)) == url


class _Answers(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[tuple[ThreadingHTTPServer, type[_Answers]]]:
    handler = type("Answers", (_Answers,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/healthz"


def test_a_200_is_healthy(answering: tuple[ThreadingHTTPServer, type[_Answers]]) -> None:
    server, _ = answering

    assert problem(url_of(server)) is None


def test_any_other_answer_is_unhealthy_and_says_which(
    answering: tuple[ThreadingHTTPServer, type[_Answers]],
) -> None:
    server, handler = answering
    handler.status = 503

    assert problem(url_of(server)) == f"{url_of(server)}: answered 503"


def test_the_command_exits_1_on_a_bad_setting_as_docker_reserves_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER_BIND", "no-port")

    result = CliRunner().invoke(app, ["health"])

    assert result.exit_code == 1
    assert "unhealthy: bad setting PAGER_BIND" in result.output
