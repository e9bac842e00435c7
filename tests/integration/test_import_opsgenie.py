"""`pager import opsgenie`: the importer against a fake Opsgenie, and against the same fixtures on disk.

Who is on call at each instant below is worked out by hand from the fixtures (tests/fixtures/opsgenie) with
Opsgenie's rotation arithmetic: turn n of a rotation begins n shift lengths after its startDate, at the same
local time of day in the schedule's time zone, and goes to participant n modulo their number.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PagerConfig
from bot.importers import opsgenie
from bot.importers.api import DirApi, HttpApi, ImportFailed, SavingApi
from bot.importers.plan import Plan, check, render, report
from tests.fake_opsgenie import API_KEY, FIXTURES, FakeOpsgenie, running_fake_opsgenie

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Imported:
    plan: Plan
    config: PagerConfig
    fake: FakeOpsgenie
    sleeps: Sleeps

    def on_call(self, rotation: str, at: str) -> str | None:
        return self.config.catalog.rotations[rotation].on_call(datetime.fromisoformat(at))  # type: ignore[index]


def http_api(fake: FakeOpsgenie, sleep: Sleeps, page_size: int = 3, key: str = API_KEY) -> HttpApi:
    return HttpApi(
        opsgenie.NAME,
        fake.url,
        opsgenie.headers(key),
        opsgenie.paging(page_size),
        describe_error=opsgenie.describe_error,
        retry_after=opsgenie.retry_after,
        sleep=sleep,
    )


@pytest.fixture(scope="module")
def imported() -> Imported:
    sleeps = Sleeps()
    with running_fake_opsgenie() as fake:
        plan = opsgenie.build_plan(http_api(fake, sleeps), NOW)
    return Imported(plan, check(render(plan, opsgenie.NAME, NOW)), fake, sleeps)


def keys_counted(plan: Plan) -> dict[str, Any]:
    """The plan's sections with each service's integration keys (new random ones) replaced by their count."""
    sections = copy.deepcopy({s: getattr(plan, s) for s in ("people", "rotations", "overrides")})
    sections["escalation_policies"] = plan.escalation_policies
    sections["services"] = {
        sid: {**spec, "integration_keys": len(spec.get("integration_keys", []))}
        for sid, spec in plan.services.items()
    }
    return sections


def test_users_are_read_in_pages_of_the_clients_limit(imported: Imported) -> None:
    pages = imported.fake.requested("/v2/users")
    # 8 users, 3 a page: offsets 0, 3 and 6, the later ones by following paging.next.
    assert [(r.query["offset"], r.query["limit"]) for r in pages] == [
        (["0"], ["3"]),
        (["3"], ["3"]),
        (["6"], ["3"]),
    ]
    assert len(imported.plan.people) == 8


def test_the_fake_and_the_fixture_directory_give_the_same_config(imported: Imported) -> None:
    from_dir = opsgenie.build_plan(DirApi(FIXTURES), NOW)

    assert keys_counted(from_dir) == keys_counted(imported.plan)
    assert from_dir.notes == imported.plan.notes


def test_saved_documents_reproduce_the_import_offline(tmp_path: Path) -> None:
    with running_fake_opsgenie() as fake:
        online = opsgenie.build_plan(SavingApi(http_api(fake, Sleeps()), tmp_path), NOW)

    assert keys_counted(opsgenie.build_plan(DirApi(tmp_path), NOW)) == keys_counted(online)


def test_the_imported_config_has_everyone_and_loads(imported: Imported) -> None:
    catalog = imported.config.catalog
    assert len(catalog.people) == 8
    assert sorted(catalog.rotations) == [
        "data-support-business-hours",
        "payments-schedule-days",
        "payments-schedule-nights",
        "platform-london-weekly",
    ]
    assert sorted(catalog.services) == ["checkout", "data-pipeline", "payments-api", "platform-gateway"]


@pytest.mark.parametrize(
    ("at", "person"),
    [
        # Platform_London "Weekly": from Mon 2026-11-02 09:00 London, weekly, alice bob carol dave.
        ("2026-12-01T12:00+00:00", "alice-martin"),  # turn 4 (Nov 30) -> 4 % 4 = 0
        ("2026-12-07T09:30+00:00", "bob-stone"),  # turn 5 began Dec 7 09:00 GMT
        # Mon 2027-03-29 is 21 weeks on (turn 21 -> bob), the first Monday of summer time: the handoff is
        # 09:00 BST = 08:00 UTC, not 09:00 UTC as seven days of UTC would put it.
        ("2027-03-29T07:30+00:00", "alice-martin"),  # 08:30 BST: still turn 20 -> 20 % 4 = 0
        ("2027-03-29T08:30+00:00", "bob-stone"),  # 09:30 BST: turn 21 -> 1
        # The override: heidi from 2027-02-10 00:00 to 2027-02-12 00:00 UTC over the whole schedule.
        ("2027-02-11T12:00+00:00", "heidi-cohen"),
        ("2027-02-12T12:00+00:00", "carol-diaz"),  # turn 14 (Feb 8) -> 14 % 4 = 2
    ],
)
def test_the_london_weekly_rotation_is_who_opsgenie_says(imported: Imported, at: str, person: str) -> None:
    assert imported.on_call("platform-london-weekly", at) == person


@pytest.mark.parametrize(
    ("at", "days", "nights"),
    [
        # "Days": daily from Mon 2026-11-30 09:00 Paris, erin frank. "Nights": weekly from Mon 2026-11-30
        # 18:00 Paris, grace heidi (a team's turn left out), only 18:00 to 08:00 Paris time.
        ("2026-12-01T12:00+00:00", "frank-de-vries", None),  # Tue 13:00 Paris: day turn 1; outside 18-08
        ("2026-12-02T02:00+00:00", "frank-de-vries", "grace-byrne"),  # Wed 03:00: day turn 1 (before 09:00)
        ("2026-12-02T09:00+00:00", "erin-walsh", None),  # Wed 10:00: day turn 2
        ("2026-12-08T22:00+00:00", "erin-walsh", "heidi-cohen"),  # Tue 23:00: day turn 8, night turn 1
        # The override on "Days" only: frank from 2027-01-05 08:00 to 01-06 08:00 UTC; day turn 36 is erin's.
        ("2027-01-05T12:00+00:00", "frank-de-vries", None),
    ],
)
def test_both_payments_rotations_are_who_opsgenie_says(
    imported: Imported, at: str, days: str | None, nights: str | None
) -> None:
    assert imported.on_call("payments-schedule-days", at) == days
    assert imported.on_call("payments-schedule-nights", at) == nights


@pytest.mark.parametrize(
    ("at", "person"),
    [
        # Data_support "Business hours": daily from Mon 2026-11-30 09:00 New York, carol erin grace, on call
        # Monday to Friday 09:00-17:00 New York time only.
        ("2026-12-01T15:00+00:00", "erin-walsh"),  # Tue 10:00 EST: turn 1
        ("2026-12-03T20:00+00:00", "carol-diaz"),  # Thu 15:00 EST: turn 3 -> 0
        ("2026-12-01T23:00+00:00", None),  # Tue 18:00 EST: after hours
        ("2026-12-05T15:00+00:00", None),  # Saturday 10:00
        # Mon 2027-03-15, New York on summer time: 09:30 EDT = 13:30 UTC, inside the window (which UTC
        # arithmetic would put at 14:00-22:00 UTC); turn 105 -> 105 % 3 = 0.
        ("2027-03-15T13:30+00:00", "carol-diaz"),
    ],
)
def test_the_weekday_restricted_rotation_is_who_opsgenie_says(
    imported: Imported, at: str, person: str
) -> None:
    assert imported.on_call("data-support-business-hours", at) == person


def test_only_overrides_ending_after_now_are_kept_on_the_rotations_they_cover(imported: Imported) -> None:
    assert imported.plan.overrides == [
        {"rotation": "platform-london-weekly", "person": "heidi-cohen",
         "from": "2027-02-10T00:00:00+00:00", "to": "2027-02-12T00:00:00+00:00"},
        {"rotation": "payments-schedule-days", "person": "frank-de-vries",
         "from": "2027-01-05T08:00:00+00:00", "to": "2027-01-06T08:00:00+00:00"},
    ]  # fmt: skip


def test_a_rotation_ended_before_now_is_dropped(imported: Imported) -> None:
    assert not any("old" in rotation for rotation in imported.plan.rotations)


def test_rule_delays_become_levels_and_timeouts_and_the_repeat_carries_over(imported: Imported) -> None:
    policy = imported.config.catalog.policies["payments-escalation"]  # type: ignore[index]

    # Rules at 0, 5 and 15 minutes: levels wait 5 and 10 minutes; the last waits the 10-minute repeat
    # interval before the first rule's turn comes again; count 2 -> 2 more runs.
    assert [level.ack_timeout.total_seconds() / 60 for level in policy.levels] == [5, 10, 10]
    assert policy.repeat == 2
    assert [str(t) for t in policy.levels[0].targets] == [
        "rotation:payments-schedule-days", "rotation:payments-schedule-nights"
    ]  # fmt: skip


def test_rules_with_one_delay_form_one_level_and_a_team_level_is_left_out(imported: Imported) -> None:
    levels = imported.plan.escalation_policies["platform-escalation"]["levels"]

    # Rules at 0 (schedule), 0 (dave), 10 (a team: dropped) and 20 minutes (next on call of Data_support).
    assert levels == [
        {"targets": ["rotation:platform-london-weekly", "person:dave-okafor"], "ack_timeout": "20m"},
        {"targets": ["rotation:data-support-business-hours"]},
    ]
    assert "repeat" not in imported.plan.escalation_policies["platform-escalation"]


def test_services_take_their_teams_default_route(imported: Imported) -> None:
    services = imported.plan.services
    assert {sid: spec["escalation_policy"] for sid, spec in services.items()} == {
        "checkout": "payments-escalation",
        "payments-api": "payments-escalation",
        "platform-gateway": "platform-escalation",
        "data-pipeline": "data-support-policy",  # the Data team routes straight to its schedule
    }
    assert imported.plan.escalation_policies["data-support-policy"] == {
        "levels": [{"targets": ["rotation:data-support-business-hours"]}]
    }


def test_each_alerting_integration_gives_its_service_a_new_key(imported: Imported) -> None:
    keys = [key for spec in imported.plan.services.values() for key in spec["integration_keys"]]

    assert [len(spec["integration_keys"]) for spec in imported.plan.services.values()] == [1, 1, 1, 1]
    assert len(set(keys)) == 4 and all(len(key) >= 32 for key in keys)


def test_notification_rules_for_new_alerts_become_notify_steps(imported: Imported) -> None:
    people = imported.plan.people
    assert people["alice-martin"]["notify"] == [{"sms": "0m"}, {"voice": "5m"}]  # the app push left out
    assert people["bob-stone"]["notify"] == [{"email": "0m"}, {"sms": "1m"}, {"voice": "3m"}]
    assert people["dave-okafor"]["notify"] == [{"email": "0m"}, {"voice": "2m"}]  # his sms number is invalid
    assert people["heidi-cohen"]["notify"] == [{"sms": "0m"}, {"email": "5m"}]  # a disabled step skipped


def test_phone_numbers_are_written_in_e164(imported: Imported) -> None:
    people = imported.plan.people
    assert people["alice-martin"]["phone"] == "+33600000001"  # sms and voice to 33-600000001
    assert (people["bob-stone"]["sms"], people["bob-stone"]["voice"]) == ("+33600000002", "+33600000003")
    assert "sms" not in people["dave-okafor"] and people["dave-okafor"]["voice"] == "+4915112345678"


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("user alice@example.com notification rule 'New Alert'", "mobile app push"),
        ("user alice@example.com", "acknowledged-alert, schedule-start"),
        ("user bob@example.com notification rule 'Night calls'", "not carried over"),
        ("user dave@example.com", "'33-12' is not a valid phone number"),
        ("user frank@example.com", "disabled"),
        ("user grace@example.com notification rule 'New Alert'", "every 10 min"),
        ("schedule Payments_schedule rotation Nights", "participant of type team"),
        ("schedule Payments_schedule rotation Nights", "ends 2028-01-03"),
        ("escalation Payments_escalation rule 3", "until the alert is closed"),
        ("escalation Platform_escalation rule 3", "team Payments dropped"),
        ("escalation Platform_escalation rule 4", "next on-call user"),
        ("team Payments routing rule 'P1 at night'", "not carried over"),
        ("team Data", "straight to schedule Data_support"),
        ("integration Payments API (API", "new one"),
        ("integration Ops Email (Email", "by email"),
        ("integration Default API (API", "no team"),
        ("integration Old Nagios (Nagios", "disabled"),
    ],
)
def test_the_report_lists_each_approximation_of_the_fixtures(
    imported: Imported, source: str, said: str
) -> None:
    lines = report(imported.plan, opsgenie.NAME).splitlines()
    assert any(line.startswith(f"  - {source}") and said in line for line in lines)


def test_a_wrong_key_fails_with_opsgenies_message_and_without_the_key() -> None:
    wrong = "0b9a8f7e-6d5c-4b3a-2f1e-0d9c8b7a6f5e"
    with running_fake_opsgenie() as fake, pytest.raises(ImportFailed) as failure:
        opsgenie.build_plan(http_api(fake, Sleeps(), key=wrong), NOW)

    assert str(failure.value).startswith("Opsgenie refused the API token (401): Could not authenticate")
    assert wrong not in str(failure.value) and API_KEY not in str(failure.value)


def test_a_429_is_waited_out_for_the_period_opsgenie_names(imported: Imported) -> None:
    # The fake throttles the first GET /v2/escalations, naming the minute's bucket (60 s).
    assert imported.sleeps.waits == [60.0]
    assert len(imported.fake.requested("/v2/escalations")) == 2


def test_the_key_travels_only_in_the_authorization_header(imported: Imported) -> None:
    for request in imported.fake.requests:
        assert request.headers["Authorization"] == f"GenieKey {API_KEY}"
        assert API_KEY not in request.path + json.dumps(request.query)
    assert API_KEY not in render(imported.plan, opsgenie.NAME, NOW) + report(imported.plan, opsgenie.NAME)


def test_pager_import_opsgenie_writes_a_config_that_checks_and_answers_oncall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGENIE_API_KEY", API_KEY)
    config = tmp_path / "pager.yaml"
    runner = CliRunner()
    with running_fake_opsgenie(FakeOpsgenie(throttle_first=set())) as fake:
        imported = runner.invoke(app, ["import", "opsgenie", "--api-url", fake.url, "--out", str(config)])
    assert imported.exit_code == 0, imported.output

    checked = runner.invoke(app, ["check-config", str(config)])
    at = "2027-03-29T09:30+01:00"
    oncall = runner.invoke(app, ["oncall", "platform-london-weekly", "--config", str(config), "--at", at])

    assert checked.exit_code == 0, checked.output
    assert oncall.exit_code == 0, oncall.output
    row = next(line for line in oncall.output.splitlines() if "platform-london-weekly" in line)
    assert (
        row.split("│")[2].strip() == "bob-stone"
    )  # 09:30 BST on the first summer Monday: turn 21 (see above)
