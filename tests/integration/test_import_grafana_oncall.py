"""`pager import grafana-oncall` against a fake OnCall engine and against the same fixtures in a directory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PagerConfig
from bot.importers import grafana_oncall
from bot.importers.api import DirApi, HttpApi, ImportFailed
from bot.importers.grafana_oncall_schedules import add_rotations
from bot.importers.plan import Plan, check, render, report
from domain.model import PolicyId, RotationId
from domain.oncall import on_call
from tests.fake_grafana_oncall import API_TOKEN, FIXTURES, FakeGrafanaOnCall, running_fake_grafana_oncall

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGrafanaOnCall]:
    with running_fake_grafana_oncall() as served:
        yield served


def http_api(
    fake: FakeGrafanaOnCall, sleeps: list[float], token: str = API_TOKEN, page_size: int = 3
) -> HttpApi:
    return HttpApi(
        grafana_oncall.NAME,
        fake.url,
        grafana_oncall.headers(token),
        grafana_oncall.paging(page_size),
        describe_error=grafana_oncall.describe_error,
        retry_after=grafana_oncall.retry_after,
        sleep=sleeps.append,
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return grafana_oncall.build_plan(DirApi(FIXTURES), NOW)


@pytest.fixture(scope="module")
def config(plan: Plan) -> PagerConfig:
    return check(render(plan, grafana_oncall.NAME, NOW))


def without_keys(plan: Plan) -> dict[str, Any]:
    """The plan's sections and notes, with the integration keys (new random ones on each run) left out."""
    services = {
        sid: {k: v for k, v in s.items() if k != "integration_keys"} for sid, s in plan.services.items()
    }
    sections = (plan.people, plan.rotations, plan.overrides, plan.escalation_policies, services)
    return {"sections": sections, "mappings": plan.mappings, "notes": [n.source for n in plan.notes]}


def who(config: PagerConfig, rotation: str, at: str) -> str | None:
    return on_call(config.catalog, datetime.fromisoformat(at), rotation)[0].person


def test_the_api_and_the_saved_fixtures_give_the_same_config(fake: FakeGrafanaOnCall, plan: Plan) -> None:
    fetched = grafana_oncall.build_plan(http_api(fake, []), NOW)

    assert without_keys(fetched) == without_keys(plan)


def test_users_come_over_three_pages_of_three(fake: FakeGrafanaOnCall) -> None:
    fake.requests.clear()

    users = http_api(fake, []).items("/api/v1/users", "results")

    assert [u["username"] for u in users] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "grace",
        "heidi",
    ]
    asked = fake.served("users")
    assert [(r.query.get("page"), r.query.get("perpage")) for r in asked] == [
        (None, "3"),
        ("2", "3"),
        ("3", "3"),
    ]


def test_a_throttled_request_is_retried_after_the_wait_it_asks_for(fake: FakeGrafanaOnCall) -> None:
    sleeps: list[float] = []
    fake.throttle("schedules", 7)
    fake.requests.clear()

    schedules = http_api(fake, sleeps).items("/api/v1/schedules", "results")

    assert sleeps == [7.0]
    assert len(fake.served("schedules")) == 3  # the throttled request, then its two pages of three
    assert len(schedules) == 4


def test_a_wrong_token_fails_with_the_engines_message_and_not_the_token(fake: FakeGrafanaOnCall) -> None:
    wrong = "0f9e8d7c6b5a49382716a5b4c3d2e1f0wrongwrongwrong"

    with pytest.raises(ImportFailed) as failed:
        grafana_oncall.build_plan(http_api(fake, [], token=wrong), NOW)

    assert str(failed.value) == "Grafana OnCall refused the API token (403): Invalid token."
    assert wrong not in str(failed.value)


def test_the_token_travels_only_in_the_authorization_header(fake: FakeGrafanaOnCall) -> None:
    fake.requests.clear()

    grafana_oncall.build_plan(http_api(fake, []), NOW)

    assert {r.authorization for r in fake.requests} == {API_TOKEN}
    assert not [r for r in fake.requests if API_TOKEN in r.path or API_TOKEN in str(r.query)]


def test_the_config_loads_with_everyone_and_everything(config: PagerConfig) -> None:
    catalog = config.catalog

    assert len(catalog.people) == 8
    assert sorted(catalog.rotations) == ["payments-business-hours", "platform-primary", "support-daily"]
    assert sorted(catalog.policies) == ["payments", "platform-critical"]
    assert sorted(catalog.services) == [
        "alertmanager-prod",
        "grafana-alerting",
        "payments-checks",
        "support-mailbox",
    ]


# Who OnCall puts on call, worked out by hand from tests/fixtures/grafana_oncall/api/v1/on_call_shifts.json.
# OnCall repeats a shift's start at the same wall-clock time in its zone (iCal RRULE on a local DTSTART), so
# handoffs stay at 09:00 Berlin, 08:00 New York and 08:00 London across daylight-saving changes.
ON_CALL = [
    # Platform primary: alice, bob, carol in weekly turns from Mon 2026-10-05 09:00 Berlin. Mon 2026-12-07 is
    # turn 9 (63 days later) and begins at 09:00 CET = 08:00Z, so at 07:30Z turn 8 (carol) still holds.
    ("platform-primary", "2026-12-07T07:30:00+00:00", "carol"),
    ("platform-primary", "2026-12-07T08:30:00+00:00", "alice"),  # turn 9: 9 % 3 = 0
    # Summer time from Sun 2027-03-28: Mon 2027-03-29 (turn 25, 175 days) begins at 09:00 CEST = 07:00Z.
    ("platform-primary", "2027-03-29T06:30:00+00:00", "alice"),  # 08:30 CEST: turn 24, 24 % 3 = 0
    ("platform-primary", "2027-03-29T08:30:00+00:00", "bob"),  # 10:30 CEST: turn 25, 25 % 3 = 1
    ("platform-primary", "2027-04-05T07:30:00+00:00", "carol"),  # 09:30 CEST: turn 26, 26 % 3 = 2
    # The override: erin from Fri 2027-01-15 09:00 to Sun 2027-01-17 09:00 Berlin, over carol's turn 14.
    ("platform-primary", "2027-01-16T12:00:00+00:00", "erin"),
    ("platform-primary", "2027-01-17T08:30:00+00:00", "carol"),  # 09:30 CET, after the override
    # Payments: level 0 dave, erin in weekly turns from Mon 2026-11-02 08:00 New York; level 1 frank on
    # weekdays 09:00-17:00 New York, winning where both have someone. Wed 2026-12-02 is in turn 4 (dave).
    ("payments-business-hours", "2026-12-02T19:00:00+00:00", "frank"),  # Wed 14:00 EST
    ("payments-business-hours", "2026-12-02T23:00:00+00:00", "dave"),  # Wed 18:00 EST
    ("payments-business-hours", "2026-12-04T21:30:00+00:00", "frank"),  # Fri 16:30 EST
    ("payments-business-hours", "2026-12-04T22:30:00+00:00", "dave"),  # Fri 17:30 EST
    ("payments-business-hours", "2026-12-05T17:00:00+00:00", "dave"),  # Sat 12:00 EST: no weekday window
    ("payments-business-hours", "2026-12-07T13:30:00+00:00", "erin"),  # Mon 08:30 EST: turn 5
    # Daylight time from Sun 2027-03-14: Mon 2027-03-15 is turn 19 (133 days), erin from 08:00 EDT = 12:00Z.
    ("payments-business-hours", "2027-03-15T12:30:00+00:00", "erin"),  # 08:30 EDT
    ("payments-business-hours", "2027-03-15T13:30:00+00:00", "frank"),  # 09:30 EDT
    ("payments-business-hours", "2027-03-15T21:30:00+00:00", "erin"),  # 17:30 EDT
    # Support daily: grace, then heidi (start_rotation_from_user_index 1), a turn a day from 2026-11-01 08:00
    # London, each on call 12 hours (08:00-20:00 London).
    ("support-daily", "2026-12-01T10:00:00+00:00", "grace"),  # day 30
    ("support-daily", "2026-12-02T10:00:00+00:00", "heidi"),  # day 31
    ("support-daily", "2026-12-01T21:00:00+00:00", None),  # after 20:00
    # British summer time from Sun 2027-03-28: day 148, Mon 2027-03-29, is on call 07:00Z-19:00Z.
    ("support-daily", "2027-03-29T07:30:00+00:00", "grace"),  # 08:30 BST
    ("support-daily", "2027-03-29T19:30:00+00:00", None),  # 20:30 BST
]


@pytest.mark.parametrize(("rotation", "at", "expected"), ON_CALL)
def test_on_call_is_who_oncall_puts_on_call(
    config: PagerConfig, rotation: str, at: str, expected: str | None
) -> None:
    assert who(config, rotation, at) == expected


def test_a_layer_that_ended_and_a_past_override_are_left_out(plan: Plan, config: PagerConfig) -> None:
    assert config.catalog.rotations[RotationId("platform-primary")].members == ("alice", "bob", "carol")
    assert [o["from"] for o in plan.overrides] == ["2027-01-15T09:00:00+01:00"]


def test_chain_steps_become_levels_with_the_waits_as_timeouts(config: PagerConfig) -> None:
    policy = config.catalog.policies[PolicyId("platform-critical")]

    levels = [
        ([f"{t.kind.value}:{t.ref}" for t in level.targets], level.ack_timeout) for level in policy.levels
    ]
    assert levels == [
        (["rotation:platform-primary"], timedelta(minutes=5)),
        (["person:dave", "person:erin"], timedelta(minutes=15)),
    ]
    assert policy.repeat == 5  # repeat_escalation: at most 5 more times


def test_dropped_steps_keep_the_timing_of_the_steps_around_them(plan: Plan) -> None:
    assert plan.escalation_policies["payments"] == {
        "levels": [
            {"targets": ["rotation:payments-business-hours"], "ack_timeout": "10m"},
            {"targets": ["person:grace", "person:heidi"], "ack_timeout": "30m"},
            {"targets": ["rotation:support-daily"]},
        ]
    }


def test_default_notification_rules_become_notify_steps(plan: Plan) -> None:
    notify = {pid: person.get("notify") for pid, person in plan.people.items()}

    assert notify == {
        "alice": [{"slack": "0m"}],  # the 5m phone call waits for a phone number
        "bob": [{"email": "1m"}],  # after the mobile app step and a 1 min wait
        "carol": [{"email": "0m"}],
        "dave": [{"slack": "15m"}],  # the SMS waits for a phone number
        "erin": [{"slack": "0m"}, {"email": "30m"}],
        "frank": [{"email": "0m"}],
        "grace": [{"slack": "0m"}, {"email": "0m"}],
        "heidi": None,
    }


def test_slack_members_are_read_from_either_shape_of_the_slack_field(plan: Plan) -> None:
    assert plan.people["alice"]["slack"] == "U01ALICE7Q2"  # one object, as the engine answers
    assert plan.people["bob"]["slack"] == "U01BOB3N8P"  # a list, as the docs show
    assert "slack" not in plan.people["carol"]


def test_the_report_names_every_approximation_in_the_fixtures(plan: Plan) -> None:
    text = report(plan, grafana_oncall.NAME)

    expected = {
        "user UBOB3N8P1RZ6F (bob): step at 0m by the OnCall mobile app not carried",
        "user UALC7Q2M9KX4D (alice): important notification rules (phone_call at 0m) not carried",
        "user UFRK2H8J5TC9Q (frank): important notification rules",
        "user UDVE9K4M2QS7L (dave): OnCall's API gives no phone number: add people.dave.phone by hand, "
        "then the notify steps {sms: 0m}",
        "user UALC7Q2M9KX4D (alice): OnCall's API gives no phone number",
        "shift OSUPDAY6M2X8L (Support day shift): heidi, alice are on call together; Pager puts heidi",
        "schedule SLGC9F3T5JW8A (Legacy calendar): iCal schedule not carried",
        "escalation step EPAY1SCH6M2X8 (notify_on_call_from_schedule): pages with people's important rules",
        "escalation step EPAY2HOK8Q4T7 (trigger_webhook): outgoing webhooks are not carried",
        "escalation step EPAY4NXT5D9F2 (notify_person_next_each_time): OnCall pages one of these people",
        "escalation step EPAY5GRP3G6H1 (notify_user_group): Slack user groups are not carried",
        "escalation step EPAY8ICL4N7P2 (notify_on_call_from_schedule): schedule SLGC9F3T5JW8A was not",
        "route RPAY1CRT6K4N8 of integration CPAY8W4K2JV6N (Payments checks)",
        "integration CMAI5R7X3HB9P (Support mailbox): Pager reads no email",
    }
    assert [e for e in expected if e not in text] == []
    assert len(plan.notes) == 19


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("grafana-alerting", "/webhooks/grafana"),
        ("alertmanager-prod", "/webhooks/alertmanager"),
        ("payments-checks", "/webhooks/generic"),
    ],
)
def test_each_integration_says_where_its_monitor_now_posts(plan: Plan, service: str, path: str) -> None:
    notes = [n.message for n in plan.notes if f"services.{service}.integration_keys" in n.message]

    assert len(notes) == 1
    assert f"Pager's {path} with the new key" in notes[0]


def test_integrations_get_new_keys_and_their_oncall_secrets_stay_out(plan: Plan) -> None:
    keys = [key for service in plan.services.values() for key in service["integration_keys"]]
    text = render(plan, grafana_oncall.NAME, NOW) + report(plan, grafana_oncall.NAME)

    assert len(set(keys)) == 4
    assert all(len(key) >= 32 for key in keys)
    assert (
        "Zx8Qm2RkT7vLp4Nw9HcJ3bYe5" not in text
    )  # the secret part of the Grafana Alerting integration's URL


def test_pager_import_grafana_oncall_writes_a_config_that_checks_and_answers_oncall(
    fake: FakeGrafanaOnCall, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(grafana_oncall.TOKEN_ENV, API_TOKEN)
    config = tmp_path / "pager.yaml"
    runner = CliRunner()

    imported = runner.invoke(app, ["import", "grafana-oncall", "--api-url", fake.url, "--out", str(config)])
    checked = runner.invoke(app, ["check-config", str(config)])
    at = "2027-03-15T09:30-04:00"  # Monday 09:30 EDT, inside frank's weekday window (see ON_CALL)
    oncall = runner.invoke(app, ["oncall", "payments-business-hours", "--config", str(config), "--at", at])

    assert imported.exit_code == 0, imported.output
    assert checked.exit_code == 0, checked.output
    assert oncall.exit_code == 0, oncall.output
    row = next(line for line in oncall.output.splitlines() if "payments-business-hours" in line)
    assert row.split("│")[2].strip() == "frank"
    assert API_TOKEN not in imported.output + checked.output + config.read_text()


def weekly(shift_id: str, **fields: Any) -> dict[str, Any]:
    """A weekly rolling shift of alice then bob, as the engine answers it, changed by `fields`."""
    shift = {
        "id": shift_id,
        "schedule": "S1",
        "type": "rolling_users",
        "time_zone": None,
        "level": 0,
        "start": "2026-10-05T09:00:00",
        "rotation_start": "2026-10-05T09:00:00",
        "duration": 604800,
        "frequency": "weekly",
        "interval": 1,
        "week_start": "MO",
        "rolling_users": [["UA"], ["UB"]],
        "start_rotation_from_user_index": 0,
    }
    return {**shift, **fields}


def rotations_of(*shifts: dict[str, Any]) -> Plan:
    imported = Plan()
    schedule = {"id": "S1", "name": "Ops", "type": "web", "time_zone": "Europe/Berlin", "shifts": []}
    add_rotations(imported, [schedule], list(shifts), {"UA": "alice", "UB": "bob"}, NOW)
    return imported


def test_a_shift_in_another_zone_has_its_windows_in_the_rotations_local_time() -> None:
    office = weekly(
        "O2",
        type="recurrent_event",
        time_zone="Europe/London",
        level=1,
        duration=8 * 3600,
        by_day=["MO", "TU"],
        users=["UB"],
    )

    imported = rotations_of(weekly("O1", time_zone="Europe/Berlin"), office)

    upper = imported.rotations["ops"]["layers"][1]
    assert upper["restrictions"] == [
        {"from": "mon 10:00", "to": "mon 18:00"},
        {"from": "tue 10:00", "to": "tue 18:00"},
    ]
    assert any(
        n.source == "shift O2" and "Europe/London is not the rotation's" in n.message for n in imported.notes
    )


def test_turns_begin_at_the_rotation_start_and_a_future_end_is_noted() -> None:
    imported = rotations_of(weekly("O1", rotation_start="2026-10-20T00:00:00", until="2027-06-01T00:00:00"))

    assert imported.rotations["ops"]["start"] == "2026-10-26T09:00:00+01:00"  # the first turn from Oct 20 on
    assert imported.rotations["ops"]["members"] == ["alice", "bob"]
    assert [n.message for n in imported.notes if n.source == "shift O1"] == [
        "ends 2027-06-01T00:00:00+02:00, a Pager layer never does: remove it from the config then"
    ]


def test_a_shift_with_an_unreadable_start_is_noted_and_left_out() -> None:
    imported = rotations_of(weekly("O1"), weekly("O2", start="next monday"))

    assert "layers" not in imported.rotations["ops"]
    assert [n.message for n in imported.notes if n.source.startswith("shift O2")] == [
        "its start or duration is unreadable: not carried"
    ]
