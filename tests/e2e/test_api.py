"""The incidents API through the real app: token, listing, acknowledging and resolving."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.e2e.conftest import Harness, make_harness


def test_api_is_disabled_with_503_when_no_token_is_configured(sqlite_url: str, tmp_path: Path) -> None:
    for h in make_harness(sqlite_url, tmp_path, api_token=None):
        response = h.client.get("/api/services")

        assert response.status_code == 503
        assert "PAGER_API_TOKEN" in response.json()["error"]


def test_api_refuses_a_wrong_token_with_401(sqlite_harness: Harness) -> None:
    response = sqlite_harness.client.get("/api/services", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 401


def test_services_list_health_of_every_configured_service(sqlite_harness: Harness) -> None:
    sqlite_harness.alert({"summary": "DB down"})

    services = sqlite_harness.api("GET", "/api/services").json()

    assert [(s["id"], s["health"], s["open_incident_id"]) for s in services] == [
        ("payments", "unhealthy", 1),
        ("search", "healthy", None),
    ]


def test_acknowledge_stops_the_escalation(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})

    response = harness.api("POST", "/api/incidents/1/acknowledge", {"by": "alice"})
    harness.advance(timedelta(minutes=30))

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["acknowledged_by"]) == ("acknowledged", "alice")
    assert [address for _, address, _ in harness.pages()] == []


def test_unacknowledged_incident_escalates_to_level_two(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})
    harness.advance(timedelta(seconds=1))

    harness.advance(timedelta(minutes=5))

    assert ("email", "bob@example.com", (1,)) in harness.pages()
    assert harness.api("GET", "/api/incidents/1").json()["level"] == 2


def test_acknowledge_by_someone_not_in_the_config_is_refused_naming_the_field(
    sqlite_harness: Harness,
) -> None:
    sqlite_harness.alert({"summary": "DB down"})

    response = sqlite_harness.api("POST", "/api/incidents/1/acknowledge", {"by": "mallory"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "by"
    assert sqlite_harness.api("GET", "/api/incidents/1").json()["state"] == "triggered"


def test_acknowledge_of_an_unknown_incident_is_404(sqlite_harness: Harness) -> None:
    response = sqlite_harness.api("POST", "/api/incidents/42/acknowledge", {"by": "alice"})

    assert response.status_code == 404
    assert "42" in response.json()["error"]


def test_resolve_makes_the_service_healthy_and_a_second_resolve_is_409(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})

    first = harness.api("POST", "/api/incidents/1/resolve", {"by": "bob"})
    second = harness.api("POST", "/api/incidents/1/resolve", {"by": "bob"})

    assert (first.status_code, first.json()["state"], first.json()["resolved_by"]) == (200, "resolved", "bob")
    assert second.status_code == 409
    assert harness.api("GET", "/api/services").json()[0]["health"] == "healthy"


def test_incidents_are_filtered_by_status(sqlite_harness: Harness) -> None:
    sqlite_harness.alert({"summary": "DB down"})
    sqlite_harness.api("POST", "/api/incidents/1/resolve", {"by": "bob"})
    sqlite_harness.alert({"summary": "DB down again"})

    def ids(status: str) -> list[int]:
        return [
            i["id"] for i in sqlite_harness.api("GET", f"/api/incidents?status={status}").json()["incidents"]
        ]

    assert (ids("open"), ids("resolved"), ids("all")) == ([2], [1], [2, 1])


def test_unknown_status_filter_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    response = sqlite_harness.api("GET", "/api/incidents?status=sleeping")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


def test_healthz_answers_ok(sqlite_harness: Harness) -> None:
    assert sqlite_harness.client.get("/healthz").json() == {"status": "ok"}


def test_openapi_documents_every_endpoint(sqlite_harness: Harness) -> None:
    paths = sqlite_harness.client.get("/openapi.json").json()["paths"]

    assert {
        "/webhooks/generic",
        "/api/services",
        "/api/incidents",
        "/api/incidents/{incident_id}",
        "/api/incidents/{incident_id}/acknowledge",
        "/api/incidents/{incident_id}/resolve",
        "/healthz",
    } <= set(paths)
    assert (
        "summary"
        in paths["/webhooks/generic"]["post"]["requestBody"]["content"]["application/json"]["schema"][
            "properties"
        ]
    )


def resolved_incidents(h: Harness, count: int) -> None:
    """`count` incidents of payments, each opened by an alert and resolved by a person."""
    for n in range(1, count + 1):
        h.alert({"summary": f"DB down #{n}"})
        h.api("POST", f"/api/incidents/{n}/resolve", {"by": "bob"})


def test_following_next_lists_every_incident_once_newest_first(harness: Harness) -> None:
    resolved_incidents(harness, 5)
    url: str | None = "/api/incidents?status=resolved&limit=2"
    pages = []

    while url is not None:
        answer = harness.api("GET", url).json()
        pages.append([i["id"] for i in answer["incidents"]])
        url = answer["next"]

    assert pages == [[5, 4], [3, 2], [1]]


def test_next_keeps_the_status_and_limit_and_is_null_on_the_last_page(sqlite_harness: Harness) -> None:
    resolved_incidents(sqlite_harness, 3)

    first = sqlite_harness.api("GET", "/api/incidents?status=all&limit=2").json()
    last = sqlite_harness.api("GET", first["next"]).json()

    assert first["next"] == "/api/incidents?status=all&limit=2&before=2"
    assert last["next"] is None


def test_a_full_last_page_has_no_next(sqlite_harness: Harness) -> None:
    resolved_incidents(sqlite_harness, 2)

    answer = sqlite_harness.api("GET", "/api/incidents?status=all&limit=2").json()

    assert ([i["id"] for i in answer["incidents"]], answer["next"]) == ([2, 1], None)


def test_before_lists_only_older_incidents(sqlite_harness: Harness) -> None:
    resolved_incidents(sqlite_harness, 3)

    def ids(before: int) -> list[int]:
        answer = sqlite_harness.api("GET", f"/api/incidents?status=all&before={before}").json()
        return [i["id"] for i in answer["incidents"]]

    assert (ids(3), ids(1), ids(2**40)) == ([2, 1], [], [3, 2, 1])


def test_a_limit_beyond_500_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    refused = sqlite_harness.api("GET", "/api/incidents?limit=501")
    accepted = sqlite_harness.api("GET", "/api/incidents?limit=500")

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["limit"]
    assert (accepted.status_code, accepted.json()) == (200, {"incidents": [], "next": None})


def test_openapi_documents_the_cursor_and_the_next_link(sqlite_harness: Harness) -> None:
    schema = sqlite_harness.client.get("/openapi.json").json()
    listing = schema["paths"]["/api/incidents"]["get"]

    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters["limit"]["maximum"] == 500
    assert parameters["before"]["anyOf"][0]["minimum"] == 1
    assert "next" in schema["components"]["schemas"]["IncidentList"]["required"]
