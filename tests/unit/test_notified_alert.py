"""How an alert of an Alertmanager or Grafana notification becomes a domain alert."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.integrations.notifications import NotifiedAlert
from domain.alerts import AlertStatus


def notified(**changes: Any) -> NotifiedAlert:
    fields: dict[str, Any] = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "severity": "warning"},
        "annotations": {"summary": "Disk /var is 95% full"},
        "fingerprint": "f00d",
    }
    return NotifiedAlert.model_validate({**fields, **changes})


def test_the_summary_annotation_names_the_alert() -> None:
    assert notified().to_alert("alertmanager").summary == "Disk /var is 95% full"


def test_without_summary_the_alertname_names_the_alert() -> None:
    assert notified(annotations={}).to_alert("alertmanager").summary == "DiskFull"


def test_without_summary_nor_alertname_the_fallback_names_the_alert() -> None:
    alert = notified(annotations={}, labels={}).to_alert("grafana", fallback="[FIRING:1] disks")

    assert alert.summary == "[FIRING:1] disks"


def test_with_nothing_to_name_it_the_fingerprint_does() -> None:
    assert notified(annotations={}, labels={}).to_alert("grafana").summary == "alert f00d"


def test_the_fingerprint_is_the_dedup_key_and_the_severity_label_is_kept() -> None:
    alert = notified(status="resolved").to_alert("alertmanager")

    assert (alert.dedup_key, alert.severity, alert.status, alert.source) == (
        "f00d",
        "warning",
        AlertStatus.RESOLVED,
        "alertmanager",
    )


def test_a_long_summary_is_cut_to_1024_characters() -> None:
    assert len(notified(annotations={"summary": "x" * 5000}).to_alert("alertmanager").summary) == 1024


def test_the_episode_times_are_kept_in_utc() -> None:
    alert = notified(
        status="resolved", startsAt="2021-10-12T09:51:03+02:00", endsAt="2021-10-12T10:11:03.5+02:00"
    ).to_alert("grafana")

    assert (alert.starts_at, alert.ends_at) == (
        datetime(2021, 10, 12, 7, 51, 3, tzinfo=UTC),
        datetime(2021, 10, 12, 8, 11, 3, 500000, tzinfo=UTC),
    )


def test_the_zero_end_of_an_alert_still_firing_is_no_end() -> None:
    alert = notified(startsAt="2023-02-06T13:08:45.828Z", endsAt="0001-01-01T00:00:00Z").to_alert(
        "alertmanager"
    )

    assert alert.ends_at is None
    assert alert.starts_at == datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC)


def test_times_without_an_offset_or_beyond_utc_are_left_out() -> None:
    alert = notified(startsAt="2023-02-06T13:08:45", endsAt="9999-12-31T23:00:00-05:00").to_alert("grafana")

    assert (alert.starts_at, alert.ends_at) == (None, None)
