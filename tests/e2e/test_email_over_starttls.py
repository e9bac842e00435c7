"""`pager serve` pages by email over STARTTLS with a login, verifying the server's certificate.

The SMTP server's certificate comes from a CA made for the test; the pager trusts it only through the
SSL_CERT_FILE environment variable, which Python's default TLS context (OpenSSL) reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from tests.e2e.processes import Server, wait_for
from tests.fake_smtp import FakeSmtp, running_fake_smtp

pytestmark = pytest.mark.slow

KEY = "payments-key-0123456789"
LOGIN = ("pager", "smtp-password")
CONFIG = f"""
people:
  alice: {{name: Alice, email: alice@example.com}}
escalation_policies:
  default:
    ack_timeout: 1h
    levels: [{{targets: [person:alice]}}]
services:
  payments: {{name: Payments API, escalation_policy: default, integration_keys: ["{KEY}"]}}
"""
SUMMARY = "Base de données en panne 🔥\nreplica lag: 30s"


@pytest.fixture
def submission() -> Iterator[FakeSmtp]:
    with running_fake_smtp(login=LOGIN, tls=True) as fake:
        yield fake


@contextmanager
def serving(tmp_path: Path, sqlite_url: str, smtp: FakeSmtp, **env: str) -> Iterator[Server]:
    settings = {
        "PAGER_DATABASE_URL": sqlite_url,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_USERNAME": LOGIN[0],
        "SMTP_PASSWORD": LOGIN[1],
        "SMTP_FROM": "pager@example.com",
    }  # SMTP_STARTTLS is left to its default: on
    server = Server(tmp_path, settings, CONFIG)
    server.env.pop("SSL_CERT_FILE", None)  # whatever the test run itself was given
    server.env.update(env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def alert(server: Server) -> None:
    answer = httpx2.post(
        f"{server.url}/webhooks/generic",
        json={"summary": SUMMARY},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert answer.status_code == 202


def failed_pages(server: Server) -> list[dict[str, object]]:
    return [e for e in server.log_entries(0) if e.get("event") == "page failed"]


def test_page_goes_over_starttls_to_a_server_whose_ca_is_named_by_ssl_cert_file(
    tmp_path: Path, sqlite_url: str, submission: FakeSmtp
) -> None:
    assert submission.ca_file
    with serving(tmp_path, sqlite_url, submission, SSL_CERT_FILE=submission.ca_file) as server:
        alert(server)
        wait_for(lambda: bool(submission.mails), 20, "the mail to arrive")

    mail = submission.mails[0]
    assert (mail["To"], mail["Subject"]) == (
        "alice@example.com",
        f"[PAGER] #1 payments: {' '.join(SUMMARY.split())}",
    )
    assert SUMMARY in mail.get_content()


def test_page_to_a_server_whose_ca_is_not_trusted_fails_permanently_saying_why(
    tmp_path: Path, sqlite_url: str, submission: FakeSmtp
) -> None:
    with serving(tmp_path, sqlite_url, submission) as server:
        alert(server)
        wait_for(lambda: bool(failed_pages(server)), 20, "the page to fail")

    failure = failed_pages(server)[0]
    assert (failure["permanent"], submission.attempts, submission.mails) == (True, 0, [])
    assert "certificate not trusted" in str(failure["reason"])
