"""How an alert of an Alertmanager or Grafana notification becomes a domain alert."""

from __future__ import annotations

from typing import Any

from bot.integrations.notifications import NotifiedAlert
from domain.model import AlertStatus


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
