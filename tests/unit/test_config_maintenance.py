"""The config's `maintenance:` windows: read into the domain's windows, every problem at its path."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.config_helpers import load, problems, valid

WINDOW: dict[str, object] = {
    "services": ["payments"],
    "from": "2026-12-01T22:00:00+01:00",
    "to": "2026-12-01T23:30:00+01:00",
    "reason": "database upgrade",
}


def with_windows(*windows: dict[str, object]) -> dict[str, object]:
    data = valid()
    data["maintenance"] = list(windows)
    return data


def test_a_window_is_read_in_utc_with_its_services_and_reason() -> None:
    [window] = load(with_windows(WINDOW)).maintenance

    assert window.services == ("payments",)
    assert (window.starts_at, window.ends_at) == (
        datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 22, 30, tzinfo=UTC),
    )
    assert (window.reason, window.created_by) == ("database upgrade", "config")


def test_a_config_without_maintenance_has_no_window() -> None:
    assert load(valid()).maintenance == ()


def test_an_unknown_service_is_reported_at_its_path() -> None:
    found = problems(with_windows({**WINDOW, "services": ["payments", "billing"]}))

    assert found == ["maintenance[0].services[1]: unknown service 'billing'"]


def test_an_end_not_after_the_start_is_reported() -> None:
    found = problems(with_windows({**WINDOW, "to": WINDOW["from"]}))

    assert found == ["maintenance[0].to: must be after `from`"]


def test_a_missing_end_is_reported() -> None:
    entry = {k: v for k, v in WINDOW.items() if k != "to"}

    assert problems(with_windows(entry)) == ["maintenance[0].to: required key is missing"]


def test_a_time_without_offset_is_reported() -> None:
    found = problems(with_windows({**WINDOW, "from": "2026-12-01T22:00:00"}))

    assert len(found) == 1 and found[0].startswith("maintenance[0].from: ")
    assert "UTC offset" in found[0]


def test_a_window_without_services_is_reported() -> None:
    assert problems(with_windows({**WINDOW, "services": []})) == [
        "maintenance[0].services: must not be empty"
    ]


def test_an_unknown_key_of_a_window_is_reported() -> None:
    assert problems(with_windows({**WINDOW, "until": "tomorrow"})) == ["maintenance[0].until: unknown key"]
