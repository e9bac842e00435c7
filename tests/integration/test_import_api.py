"""The importers' shared parts: the HTTP client against a local server, saved JSON, the config they make."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from bot.cli import app
from bot.importers.api import DirApi, Fetch, HttpApi, ImportFailed, SavingApi
from bot.importers.opsgenie import OpsgeniePaging
from bot.importers.plan import Plan, check, duration, render, report, slug

TOKEN = "s3cr3t-token-value"


class Script:
    """What the local server answers: per path, a list of (status, headers, body), the last one repeated."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str], Any]]] = {}
        self.requests: list[tuple[str, str | None]] = []


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.requests_seen = script.requests.append((self.path, self.headers.get("Authorization")))
            path = self.path.split("?", 1)[0]
            queue = script.answers.get(path, [(404, {}, {"message": "no such path"})])
            status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api", script
    httpd.shutdown()
    httpd.server_close()


class NumberedPages:
    """Pages asked for as ?page=N until one comes back empty."""

    def pages(
        self, fetch: Fetch, path: str, key: str, params: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        page = 1
        while items := fetch(path, {**params, "page": page})[key]:
            yield items
            page += 1


def api(base: str, waits: list[float]) -> HttpApi:
    def describe(response: requests.Response) -> str:
        return str(response.json().get("message"))

    return HttpApi(
        "Vendor",
        base,
        {"Authorization": f"Token {TOKEN}"},
        NumberedPages(),
        describe_error=describe,
        sleep=waits.append,
    )


def test_a_rate_limit_is_waited_out_for_as_long_as_retry_after_says(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [
        (429, {"Retry-After": "7"}, {"message": "slow down"}),
        (200, {}, {"ok": 1}),
    ]
    waits: list[float] = []

    assert api(base, waits).get("/users") == {"ok": 1}
    assert waits == [7.0]


def test_a_server_error_is_retried(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [(503, {}, {"message": "busy"}), (200, {}, {"ok": 1})]

    assert api(base, []).get("/users") == {"ok": 1}


def test_a_refused_token_fails_with_the_vendors_message_and_not_the_token(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [(401, {}, {"message": "Invalid API key"})]

    with pytest.raises(ImportFailed) as failed:
        api(base, []).get("/users")
    assert str(failed.value) == "Vendor refused the API token (401): Invalid API key"
    assert TOKEN not in repr(api(base, []))


def test_a_rate_limit_longer_than_a_minute_fails_rather_than_hang(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [(429, {"Retry-After": "3600"}, {"message": "later"})]

    with pytest.raises(ImportFailed, match="asks to wait 3600 s"):
        api(base, []).get("/users")


def test_items_gather_every_page(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [
        (200, {}, {"users": [{"id": 1}, {"id": 2}]}),
        (200, {}, {"users": [{"id": 3}]}),
        (200, {}, {"users": []}),
    ]

    assert [u["id"] for u in api(base, []).items("/users", "users")] == [1, 2, 3]
    assert [path for path, _ in script.requests] == [
        "/api/users?page=1",
        "/api/users?page=2",
        "/api/users?page=3",
    ]


def test_a_next_link_naming_another_host_is_asked_of_the_api_url_given(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/v2/users"] = [
        (
            200,
            {},
            {"data": [{"id": 1}, {"id": 2}], "paging": {"next": "https://elsewhere.test/v2/users?offset=2"}},
        ),
        (200, {}, {"data": [{"id": 3}], "paging": {}}),
    ]
    waits: list[float] = []
    vendor = HttpApi(
        "Opsgenie", base, {"Authorization": f"GenieKey {TOKEN}"}, OpsgeniePaging(2),
        describe_error=str, sleep=waits.append,
    )  # fmt: skip

    assert [u["id"] for u in vendor.items("/v2/users", "data")] == [1, 2, 3]
    assert script.requests[-1] == ("/api/v2/users?offset=2", f"GenieKey {TOKEN}")
    assert waits == []


@pytest.mark.parametrize("base", ["api.example.com", "htp://api.example.com", "https://"])
def test_an_api_url_that_is_no_url_fails_at_once(base: str) -> None:
    waits: list[float] = []

    with pytest.raises(ImportFailed, match="is not an API URL"):
        api(base, waits).get("/users")
    assert waits == []


@pytest.mark.parametrize("token", ["abc\u2026def", "abc\ndef"])
def test_a_token_no_http_header_can_carry_fails_at_once_without_showing_it(token: str) -> None:
    waits: list[float] = []
    vendor = HttpApi(
        "Vendor", "http://127.0.0.1:9", {"Authorization": token}, NumberedPages(),
        describe_error=str, sleep=waits.append,
    )  # fmt: skip

    with pytest.raises(ImportFailed, match="token") as failed:
        vendor.get("/users")
    assert token not in str(failed.value) and "abc" not in str(failed.value)
    assert waits == []


def test_paging_that_never_ends_fails_rather_than_loop(server: tuple[str, Script]) -> None:
    base, script = server
    script.answers["/api/users"] = [(200, {}, {"users": [{"id": 1}]})]
    vendor = HttpApi(
        "Vendor", base, {}, NumberedPages(), describe_error=str, sleep=lambda _: None, max_pages=5
    )

    with pytest.raises(ImportFailed, match="more than 5 pages"):
        vendor.items("/users", "users")
    assert len(script.requests) == 6


def test_saved_documents_read_back_the_same_from_a_directory(
    server: tuple[str, Script], tmp_path: Path
) -> None:
    base, script = server
    script.answers["/api/users"] = [(200, {}, {"users": [{"id": 1}]}), (200, {}, {"users": []})]
    script.answers["/api/schedules/P1"] = [(200, {}, {"schedule": {"id": "P1"}})]
    saving = SavingApi(api(base, []), tmp_path)
    online = (saving.items("/users", "users"), saving.get("/schedules/P1"))

    offline = DirApi(tmp_path)

    assert (offline.items("/users", "users"), offline.get("/schedules/P1")) == online
    assert TOKEN not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))


def test_a_missing_saved_document_names_its_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"schedules/P9\.json: no such file"):
        DirApi(tmp_path).get("/schedules/P9")


def test_a_path_climbing_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="not an API path"):
        DirApi(tmp_path).get("/../../etc/passwd")


@pytest.mark.parametrize(
    ("text", "expected"), [("Zoë O'Neil", "zoe-o-neil"), ("  Payments API ", "payments-api")]
)
def test_names_become_config_ids(text: str, expected: str) -> None:
    assert slug(text) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [(timedelta(minutes=15), "15m"), (timedelta(seconds=90), "1m30s"), (timedelta(days=7), "7d")],
)
def test_durations_are_written_as_the_config_writes_them(value: timedelta, text: str) -> None:
    assert duration(value) == text


def test_a_taken_id_gets_a_number() -> None:
    plan = Plan(people={"alice": {}})

    assert (plan.new_id("people", "Alice"), plan.new_id("rotations", "Alice")) == ("alice-2", "alice")


def small_plan() -> Plan:
    plan = Plan()
    plan.people["alice"] = {"name": "Alice", "sms": "+33612345678", "notify": [{"sms": "0m"}]}
    plan.escalation_policies["ops"] = {"levels": [{"targets": ["person:alice"]}], "ack_timeout": "5m"}
    plan.services["api"] = {"name": "API", "escalation_policy": "ops", "integration_keys": ["k" * 24]}
    plan.mapped("Vendor user U1 (Alice)", "people.alice")
    plan.note("Vendor rule R1", "a push notification step\nis not carried over")
    return plan


def test_the_rendered_config_loads_and_lists_the_notes_at_its_top() -> None:
    text = render(small_plan(), "Vendor", datetime(2026, 12, 5, tzinfo=UTC))

    config = check(text)

    assert "#   - Vendor rule R1: a push notification step is not carried over" in text
    assert config.catalog.person("alice").name == "Alice"


def test_a_config_that_does_not_load_fails_the_import_with_its_problems() -> None:
    plan = small_plan()
    plan.services["api"]["escalation_policy"] = "nope"

    with pytest.raises(
        ImportFailed, match=r"services\.api\.escalation_policy: unknown escalation policy 'nope'"
    ):
        check(render(plan, "Vendor", datetime(2026, 12, 5, tzinfo=UTC)))


def test_the_report_lists_mappings_and_notes() -> None:
    text = report(small_plan(), "Vendor")

    assert "  Vendor user U1 (Alice) -> people.alice" in text
    assert "Not carried over or approximated (1):" in text


def run(args: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=dict(env))
    return result.exit_code, result.output


def test_the_command_asks_for_the_token_in_its_environment_variable() -> None:
    code, output = run(
        ["import", "pagerduty", "--api-url", "http://127.0.0.1:9"], {"PAGERDUTY_API_TOKEN": ""}
    )

    assert code == 1
    assert "set PAGERDUTY_API_TOKEN to an API token" in " ".join(output.split())


def test_the_command_refuses_a_missing_directory(tmp_path: Path) -> None:
    code, output = run(["import", "opsgenie", "--from-dir", str(tmp_path / "nope")], {})

    assert (code, "no such directory" in output) == (1, True)
