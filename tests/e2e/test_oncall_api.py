"""`GET /api/oncall` through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Harness, make_harness

ROTATIONS = """
rotations:
  primary: {members: [alice, bob], start: "2026-11-30T09:00:00+01:00", shift: 1d, timezone: Europe/Paris}
overrides:
  - {rotation: primary, person: bob, from: "2026-12-03T09:00:00+01:00", to: "2026-12-03T12:00:00+01:00"}
"""


@pytest.fixture
def oncall(sqlite_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from make_harness(sqlite_url, tmp_path, extra_config=ROTATIONS)


def test_oncall_names_who_holds_each_rotation_now(oncall: Harness) -> None:
    answer = oncall.api("GET", "/api/oncall")

    assert [(r["rotation"], r["person"]) for r in answer.json()] == [("primary", "alice")]


def test_oncall_at_an_instant_applies_overrides(oncall: Harness) -> None:
    answer = oncall.api("GET", "/api/oncall?rotation=primary&at=2026-12-03T10:00:00%2B01:00")

    assert answer.json()[0]["person"] == "bob"


def test_oncall_lists_the_next_handoffs(oncall: Harness) -> None:
    answer = oncall.api("GET", "/api/oncall?handoffs=2")

    assert [(h["at"], h["person"]) for h in answer.json()[0]["next_handoffs"]] == [
        ("2026-12-01T08:00:00Z", "bob"),
        ("2026-12-02T08:00:00Z", "alice"),
    ]


def test_oncall_for_an_unknown_rotation_is_404(oncall: Harness) -> None:
    answer = oncall.api("GET", "/api/oncall?rotation=secondary")

    assert (answer.status_code, answer.json()["error"]) == (404, "unknown rotation 'secondary'")


def test_oncall_without_the_api_token_is_401(oncall: Harness) -> None:
    assert oncall.client.get("/api/oncall").status_code == 401
