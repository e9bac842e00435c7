"""A rolling upgrade on one PostgreSQL database: the pager as it was before its newest migration keeps
serving (and leading) while the current one starts beside it and migrates; then the old one stops. No alert
is refused, and every page leaves once, whichever version took the alert and whichever sent the page.

The old version is the source tree as git holds it just before the newest migration was added (HEAD when that
migration is not committed yet), run with this checkout's Python environment; a commit there that cannot start
(one step of a change landed over several commits) is passed over for the one before it. A migration that
fails here is one the previous version cannot run beside: upgrading to it needs every old replica stopped
first, or a release in between (add the column nullable first; make it required once no old version writes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.e2e.processes import ROOT, Server, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

VERSIONS = ROOT / "adapters" / "db" / "migrations" / "versions"
SERVICES = 6  # s0..s2 opened on the old version before the new one starts, s3..s5 during and after

# Migrations the version before cannot run beside, and why: upgrading to one means stopping every replica of
# the previous version first (README, "Upgrading"), which the last test checks for every upgrade.
NEEDS_A_STOP = {
    "0009_notification_steps": "the outbox's unique key gains the notification step, and the version before "
    "inserts against the old key",
}
ACK_TIMEOUT = 4  # seconds, level 1 to level 2


def newest_revision() -> str:
    return max(VERSIONS.glob("0*.py")).stem


def key(i: int) -> str:
    return f"s{i}-key-0123456789"


def config() -> str:
    lines = ["people:"]
    for i in range(SERVICES + 1):
        lines += [
            f"  first{i}: {{email: first{i}@example.com}}",
            f"  second{i}: {{email: second{i}@example.com}}",
        ]
    lines.append("escalation_policies:")
    for i in range(SERVICES + 1):
        levels = f"[{{targets: [person:first{i}]}}, {{targets: [person:second{i}], ack_timeout: 1h}}]"
        lines.append(f"  p{i}: {{ack_timeout: {ACK_TIMEOUT}s, levels: {levels}}}")
    lines.append("services:")
    for i in range(SERVICES + 1):
        lines.append(f'  s{i}: {{escalation_policy: p{i}, integration_keys: ["{key(i)}"]}}')
    return "\n".join(lines) + "\n"


def previous_version(into: Path) -> Path:
    """The source tree just before the newest migration, extracted into `into`: the newest commit before it
    whose pager can be built."""
    newest = (VERSIONS / f"{newest_revision()}.py").relative_to(ROOT).as_posix()
    added = git("log", "--diff-filter=A", "--format=%H", "--", newest).strip()
    start = f"{added.splitlines()[0]}^" if added else "HEAD"
    for n, revision in enumerate(git("rev-list", "--first-parent", "--max-count=10", start).split()):
        tree = extract(revision, into / str(n))
        if builds(tree):
            return tree
    raise AssertionError(f"no commit of the ten before {start} can start a pager")


def extract(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "domain", "adapters", "bot"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=60)
    return into


def builds(tree: Path) -> bool:
    """Does the composition root of `tree` import (every module it wires)?"""
    probe = [sys.executable, "-c", "import bot.bootstrap, bot.cli, bot.http"]
    return (
        subprocess.run(probe, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, timeout=60).returncode
        == 0
    )


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


@pytest.fixture
def old_source(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git history of this checkout")
    return previous_version(tmp_path / "old-source")


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str, old_source: Path) -> Iterator[tuple[Server, Server]]:
    homes = [tmp_path / "old", tmp_path / "new"]
    for home in homes:
        home.mkdir()
    env = {"PAGER_DATABASE_URL": postgres_url}
    old, new = (Server(home, env, config()) for home in homes)
    old.env["PYTHONPATH"] = str(old_source)
    yield old, new
    new.stop()
    old.stop()


def alert(server: Server, service: int, summary: str = "down") -> int:
    body = {"summary": summary, "dedup_key": f"incident-{service}"}
    headers = {"Authorization": f"Bearer {key(service)}"}
    return httpx2.post(f"{server.url}/webhooks/generic", json=body, headers=headers, timeout=30).status_code


def pages(*servers: Server) -> Counter[str]:
    return Counter(
        entry["to"]
        for server in servers
        for run in range(len(server.runs))
        for entry in server.log_entries(run)
        if entry.get("event") == "page"
    )


def test_an_old_and_a_new_version_side_by_side_take_every_alert_and_page_each_step_once(
    servers: tuple[Server, Server],
) -> None:
    if (newest := newest_revision()) in NEEDS_A_STOP:
        pytest.skip(f"{newest} needs the previous version stopped first: {NEEDS_A_STOP[newest]}")
    old, new = servers
    old.start()  # migrates to its own newest revision
    wait_for(lambda: old.readiness()[1]["leading"], 15, "the old version to lead")
    answers = [alert(old, i) for i in range(3)]

    new.spawn()  # migrates the database under the old version while alerts keep coming
    answers += [alert(old, 3), alert(old, 0, "still down")]
    wait_for(new.healthy, 30, "the new version to answer")
    answers += [alert(new, 4), alert(new, 1, "still down"), alert(old, 5), alert(old, 4, "still down")]
    assert answers == [202] * len(answers), "an alert was refused while both versions ran"
    everyone = {f"{who}{i}@example.com" for who in ("first", "second") for i in range(SERVICES)}
    wait_for(lambda: set(pages(old, new)) >= everyone, 30, "both levels of every incident to be paged")

    old.terminate()  # the rollout ends: the new version leads alone
    # Alerts the old version took after the migration, repeated: the same incidents, no new page.
    assert [alert(new, 3, "still down"), alert(new, 5, "still down"), alert(new, SERVICES)] == [202] * 3
    last = {f"first{SERVICES}@example.com", f"second{SERVICES}@example.com"}
    wait_for(lambda: set(pages(old, new)) >= last, 30, "the new version to page and escalate alone")

    assert pages(old, new) == Counter(everyone | last)
    migrated = f"-> {newest_revision()}"
    assert migrated in new.runs[0][1].read_text() and migrated not in old.runs[0][1].read_text()


def test_stopping_the_old_version_then_starting_the_new_one_loses_and_doubles_no_page(
    servers: tuple[Server, Server],
) -> None:
    old, new = servers
    old.start()
    wait_for(lambda: old.readiness()[1]["leading"], 15, "the old version to lead")
    assert [alert(old, i) for i in range(3)] == [202] * 3
    first = {f"first{i}@example.com" for i in range(3)}
    wait_for(lambda: set(pages(old)) >= first, 30, "level 1 of the old version's incidents to be paged")

    old.terminate()  # every old replica stopped; their deadlines wait in the database
    new.start()  # migrates, then escalates what the old version opened
    assert [alert(new, 0, "still down")] + [alert(new, i) for i in range(3, SERVICES)] == [202] * 4
    everyone = {f"{who}{i}@example.com" for who in ("first", "second") for i in range(SERVICES)}
    wait_for(lambda: set(pages(old, new)) >= everyone, 30, "both levels of every incident to be paged")

    assert pages(old, new) == Counter(everyone)
