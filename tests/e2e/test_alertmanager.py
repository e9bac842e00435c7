"""POST /webhooks/alertmanager through the real app, with notifications shaped as Alertmanager sends them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.conftest import PAYMENTS_KEY, Harness
from tests.e2e.test_metrics import sample
from tests.e2e.vendor_payloads import NOT_ENDED, alertmanager, am_alert

URL = "/webhooks/alertmanager"


def notify(h: Harness, body: object, key: str = PAYMENTS_KEY) -> Any:
    return h.client.post(URL, json=body, headers={"Authorization": f"Bearer {key}"})


def incidents(h: Harness) -> list[Any]:
    return h.api("GET", "/api/incidents?status=all").json()["incidents"]  # type: ignore[attr-defined]


def timeline(h: Harness, incident_id: int) -> list[Any]:
    return h.api("GET", f"/api/incidents/{incident_id}").json()["timeline"]  # type: ignore[attr-defined]


def test_a_firing_notification_opens_an_incident_named_by_the_summary_annotation(harness: Harness) -> None:
    response = notify(harness, alertmanager(am_alert("1a30ba71cca2921f")))

    assert response.status_code == 202
    assert response.json() == {
        "alerts": [{"fingerprint": "1a30ba71cca2921f", "incident_id": 1, "result": "opened"}]
    }
    assert [(i["summary"], i["state"]) for i in incidents(harness)] == [
        ("BlackBox Probe Failure: https://server.example.org", "triggered")
    ]


def test_two_alerts_firing_then_resolving_make_one_incident_paged_once(harness: Harness) -> None:
    notify(harness, alertmanager(am_alert("aaa1", instance="a"), am_alert("bbb2", instance="b")))
    harness.advance(harness.runtime.dispatcher.policy.bundle_window)
    paged = harness.pages()

    notify(harness, alertmanager(am_alert("aaa1", "resolved", instance="a"), am_alert("bbb2", instance="b")))
    still_open = incidents(harness)[0]["state"]
    notify(
        harness,
        alertmanager(am_alert("aaa1", "resolved", instance="a"), am_alert("bbb2", "resolved", instance="b")),
    )
    harness.advance(timedelta(hours=1))

    assert sorted(paged) == [("email", "alice@example.com", (1,)), ("sms", "+33612345678", (1,))]
    assert still_open == "triggered"
    assert [i["state"] for i in incidents(harness)] == ["resolved"]
    assert harness.api("GET", "/api/services").json()[0]["health"] == "healthy"  # type: ignore[attr-defined]
    assert sorted(harness.pages()) == sorted(paged)


def test_the_timeline_says_which_alert_joined_and_why_the_incident_resolved(sqlite_harness: Harness) -> None:
    notify(sqlite_harness, alertmanager(am_alert("aaa1", instance="a"), am_alert("bbb2", instance="b")))
    notify(sqlite_harness, alertmanager(am_alert("aaa1", "resolved"), am_alert("bbb2", "resolved")))

    entries = timeline(sqlite_harness, 1)

    received = [
        (e["data"]["dedup_key"], e["data"]["status"]) for e in entries if e["kind"] == "AlertReceived"
    ]
    assert received == [("aaa1", "firing"), ("bbb2", "firing"), ("aaa1", "resolved"), ("bbb2", "resolved")]
    assert entries[-1]["data"] == {"by": "alertmanager", "reason": "every alert resolved"}


def test_a_mixed_notification_keeps_the_incident_open_while_one_alert_fires(sqlite_harness: Harness) -> None:
    notify(sqlite_harness, alertmanager(am_alert("aaa1")))

    response = notify(sqlite_harness, alertmanager(am_alert("aaa1", "resolved"), am_alert("bbb2")))

    assert [a["result"] for a in response.json()["alerts"]] == ["appended", "appended"]
    assert [i["state"] for i in incidents(sqlite_harness)] == ["triggered"]


def test_a_repeated_notification_is_appended_and_pages_nobody_again(sqlite_harness: Harness) -> None:
    notify(sqlite_harness, alertmanager(am_alert("aaa1")))
    sqlite_harness.advance(sqlite_harness.runtime.dispatcher.policy.bundle_window)
    pages_before = len(sqlite_harness.pages())

    response = notify(sqlite_harness, alertmanager(am_alert("aaa1")))
    sqlite_harness.advance(sqlite_harness.runtime.dispatcher.policy.bundle_window)

    assert response.json()["alerts"][0]["result"] == "appended"
    assert len(sqlite_harness.pages()) == pages_before


def test_alerts_grouped_by_several_labels_join_one_incident(sqlite_harness: Harness) -> None:
    alerts = [am_alert(f"fp{n}", instance=f"host{n}", cluster="eu-west") for n in range(3)]

    response = notify(sqlite_harness, alertmanager(*alerts, group_by=("alertname", "cluster")))

    assert [a["result"] for a in response.json()["alerts"]] == ["opened", "appended", "appended"]
    assert len(incidents(sqlite_harness)) == 1


def test_a_truncated_notification_is_accepted_with_the_alerts_it_carries(sqlite_harness: Harness) -> None:
    response = notify(sqlite_harness, alertmanager(am_alert("aaa1"), truncated=5))

    assert response.status_code == 202
    assert len(incidents(sqlite_harness)) == 1


def test_without_a_summary_annotation_the_alertname_names_the_incident(sqlite_harness: Harness) -> None:
    notify(sqlite_harness, alertmanager(am_alert("aaa1", summary=None)))

    assert incidents(sqlite_harness)[0]["summary"] == "ProbeFailure"


def test_a_resolved_notification_for_a_healthy_service_is_ignored(sqlite_harness: Harness) -> None:
    response = notify(sqlite_harness, alertmanager(am_alert("aaa1", "resolved")))

    assert response.json()["alerts"] == [{"fingerprint": "aaa1", "incident_id": None, "result": "ignored"}]
    assert incidents(sqlite_harness) == []


def test_an_unknown_key_is_refused_with_401_and_nothing_is_stored(sqlite_harness: Harness) -> None:
    response = notify(sqlite_harness, alertmanager(am_alert("aaa1")), key="not-a-key")

    assert response.status_code == 401
    assert incidents(sqlite_harness) == []


def test_malformed_json_is_refused_with_400(sqlite_harness: Harness) -> None:
    headers = {"Authorization": f"Bearer {PAYMENTS_KEY}"}
    response = sqlite_harness.client.post(URL, content=b'{"version": "4", "alerts": [', headers=headers)

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_an_alert_without_fingerprint_is_refused_naming_it_and_nothing_is_stored(
    sqlite_harness: Harness,
) -> None:
    broken = am_alert("bbb2")
    del broken["fingerprint"]

    response = notify(sqlite_harness, alertmanager(am_alert("aaa1"), broken))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["alerts.1.fingerprint"]
    assert incidents(sqlite_harness) == []


def test_another_payload_version_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    response = notify(sqlite_harness, {**alertmanager(am_alert("aaa1")), "version": "3"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


def test_a_notification_without_alerts_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    response = notify(sqlite_harness, {**alertmanager(am_alert("aaa1")), "alerts": []})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["alerts"]


def test_a_body_over_one_mebibyte_is_refused_with_413(sqlite_harness: Harness) -> None:
    big = am_alert("aaa1", summary="x" * (1024 * 1024))

    response = notify(sqlite_harness, alertmanager(big))

    assert response.status_code == 413
    assert incidents(sqlite_harness) == []


def episode(fingerprint: str, status: str, starts: str, ends: str = NOT_ENDED) -> dict[str, Any]:
    return {**am_alert(fingerprint, status), "startsAt": starts, "endsAt": ends}


def ignored_alerts(h: Harness) -> float:
    return sample(h, "pager_alerts_received_total", integration="alertmanager", outcome="ignored")


def test_a_firing_notification_retried_after_the_resolution_changes_nothing(harness: Harness) -> None:
    notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T13:08:45Z")))
    harness.advance(harness.runtime.dispatcher.policy.bundle_window)
    paged = harness.pages()
    notify(harness, alertmanager(episode("aaa1", "resolved", "2023-02-06T13:08:45Z", "2023-02-06T13:20:00Z")))

    response = notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T13:08:45Z")))
    harness.advance(timedelta(hours=1))

    assert response.status_code == 202
    assert response.json()["alerts"] == [{"fingerprint": "aaa1", "incident_id": None, "result": "ignored"}]
    assert [i["state"] for i in incidents(harness)] == ["resolved"]
    assert harness.pages() == paged
    assert ignored_alerts(harness) == 1


def test_a_new_firing_after_the_resolution_opens_a_new_incident(harness: Harness) -> None:
    notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T13:08:45Z")))
    notify(harness, alertmanager(episode("aaa1", "resolved", "2023-02-06T13:08:45Z", "2023-02-06T13:20:00Z")))

    response = notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T14:00:00Z")))

    assert response.json()["alerts"][0]["result"] == "opened"
    assert [i["state"] for i in incidents(harness)] == ["triggered", "resolved"]


def test_a_resolution_retried_after_a_new_firing_leaves_it_open(harness: Harness) -> None:
    notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T13:08:45Z")))
    notify(harness, alertmanager(episode("aaa1", "firing", "2023-02-06T14:00:00Z")))

    response = notify(
        harness, alertmanager(episode("aaa1", "resolved", "2023-02-06T13:08:45Z", "2023-02-06T13:20:00Z"))
    )
    harness.advance(timedelta(minutes=1))

    assert response.json()["alerts"][0]["result"] == "ignored"
    assert [i["state"] for i in incidents(harness)] == ["triggered"]
    assert ignored_alerts(harness) == 1
