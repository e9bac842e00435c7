"""The config's heartbeats: read into the catalog, and every problem reported at its path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.unit.config_helpers import load, problems, valid


def with_heartbeat(**fields: Any) -> dict[str, Any]:
    data = valid()
    data["heartbeats"] = {"nightly-backup": {"service": "payments", "interval": "24h", **fields}}
    return data


def test_a_heartbeat_is_read_with_its_service_interval_grace_and_summary() -> None:
    catalog = load(with_heartbeat(grace="30m", summary="Nightly backup did not report")).catalog

    check = catalog.heartbeats["nightly-backup"]

    assert (check.service, check.interval, check.grace, check.summary) == (
        "payments",
        timedelta(hours=24),
        timedelta(minutes=30),
        "Nightly backup did not report",
    )


def test_a_heartbeat_without_grace_or_summary_gets_none_and_says_its_name() -> None:
    check = load(with_heartbeat()).catalog.heartbeats["nightly-backup"]

    assert (check.grace, check.summary) == (timedelta(0), "Heartbeat nightly-backup did not report")


def test_an_unknown_service_of_a_heartbeat_is_reported_at_its_path() -> None:
    assert problems(with_heartbeat(service="paymnts")) == [
        "heartbeats.nightly-backup.service: unknown service 'paymnts' (did you mean 'payments'?)"
    ]


def test_a_bad_interval_is_reported_at_its_path() -> None:
    [problem] = problems(with_heartbeat(interval="1 day"))

    assert problem.startswith("heartbeats.nightly-backup.interval: duration '1 day'")


def test_a_missing_interval_is_reported() -> None:
    data = with_heartbeat()
    del data["heartbeats"]["nightly-backup"]["interval"]

    assert problems(data) == ["heartbeats.nightly-backup.interval: required key is missing"]


def test_a_name_that_cannot_be_a_url_is_reported() -> None:
    data = valid()
    data["heartbeats"] = {"nightly backup": {"service": "payments", "interval": "24h"}}

    [problem] = problems(data)

    assert problem.startswith("heartbeats.nightly backup: a heartbeat's name is its URL")


def test_an_unknown_key_of_a_heartbeat_is_reported() -> None:
    assert problems(with_heartbeat(intervall="1h")) == ["heartbeats.nightly-backup.intervall: unknown key"]


def test_an_empty_heartbeats_section_is_no_problem() -> None:
    data = valid()
    data["heartbeats"] = None

    assert load(data).catalog.heartbeats == {}
