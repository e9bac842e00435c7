"""`pager import pagerduty` against a fake PagerDuty (tests/fake_pagerduty.py) and its fixture files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PagerConfig
from bot.importers import pagerduty
from bot.importers.api import DirApi, HttpApi, ImportFailed, SavingApi
from bot.importers.plan import Plan, check, render, report
from domain.model import Channel, PersonId, PolicyId
from domain.oncall import on_call
from tests.fake_pagerduty import FIXTURES, TOKEN, FakePagerDuty, running

# A Monday; the fixtures are what PagerDuty would answer then.
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
# The Events API v2 keys of the fixtures' integrations PINDD01 and PINCK02.
KEPT_KEYS = {"a1b2c3d4e5f6478899aabbccddeeff01", "0f1e2d3c4b5a49788796a5b4c3d2e1f0"}


@pytest.fixture
def fake() -> Iterator[FakePagerDuty]:
    with running(FakePagerDuty()) as served:
        yield served


@pytest.fixture(scope="module")
def plan() -> Plan:
    return pagerduty.build_plan(DirApi(FIXTURES), NOW)


@pytest.fixture(scope="module")
def config(plan: Plan) -> PagerConfig:
    return check(render(plan, pagerduty.NAME, NOW))


def _http(fake: FakePagerDuty, token: str = TOKEN, waits: list[float] | None = None) -> HttpApi:
    """The API as `pager import` reads it, three items a page so that every list takes several pages."""
    return HttpApi(
        pagerduty.NAME,
        fake.url,
        pagerduty.headers(token),
        pagerduty.paging(3),
        describe_error=pagerduty.describe_error,
        retry_after=pagerduty.retry_after,
        sleep=(waits if waits is not None else []).append,
    )


def _comparable(plan: Plan) -> str:
    """The config text with the keys made afresh for integrations Pager has no equivalent of written alike."""
    copied = deepcopy(plan)
    for service in copied.services.values():
        service["integration_keys"] = [
            key if key in KEPT_KEYS else "<new>" for key in service.get("integration_keys", [])
        ]
    return render(copied, pagerduty.NAME, NOW)


def _on_call(config: PagerConfig, rotation: str, at: str) -> str | None:
    (view,) = on_call(config.catalog, datetime.fromisoformat(at), rotation)
    return view.person


def test_import_over_http_matches_import_from_fixture_files(fake: FakePagerDuty, plan: Plan) -> None:
    over_http = pagerduty.build_plan(_http(fake), NOW)

    assert _comparable(over_http) == _comparable(plan)


def test_users_are_read_in_pages_of_the_asked_size_with_their_contact_methods(fake: FakePagerDuty) -> None:
    pagerduty.build_plan(_http(fake), NOW)

    pages = fake.requested("/users")
    assert [(r.query["offset"], r.query["limit"]) for r in pages] == [
        (["0"], ["3"]),
        (["3"], ["3"]),
        (["6"], ["3"]),
    ]
    assert all(r.query["include[]"] == ["contact_methods", "notification_rules"] for r in pages)


def test_the_api_key_goes_in_the_authorization_header_only(fake: FakePagerDuty, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    plan = pagerduty.build_plan(SavingApi(_http(fake), saved), NOW)

    assert {r.headers["authorization"] for r in fake.requests} == {f"Token token={TOKEN}"}
    assert {r.headers["accept"] for r in fake.requests} == {"application/vnd.pagerduty+json;version=2"}
    assert not [r for r in fake.requests if TOKEN in r.path + json.dumps(r.query)]
    assert not [f for f in saved.rglob("*.json") if TOKEN in f.read_text(encoding="utf-8")]
    assert TOKEN not in render(plan, pagerduty.NAME, NOW) + report(plan, pagerduty.NAME)


def test_a_wrong_api_key_fails_with_pagerduty_s_message_and_without_the_key(fake: FakePagerDuty) -> None:
    wrong = "u+not-the-right-token-987"

    with pytest.raises(ImportFailed) as failed:
        pagerduty.build_plan(_http(fake, token=wrong), NOW)

    assert str(failed.value) == "PagerDuty refused the API token (401): Authentication failed (code 2006)"
    assert wrong not in str(failed.value)


def test_a_rate_limited_request_is_retried_after_the_ratelimit_reset_wait(fake: FakePagerDuty) -> None:
    fake.rate_limit_next("/escalation_policies", reset_seconds=7)
    waits: list[float] = []

    plan = pagerduty.build_plan(_http(fake, waits=waits), NOW)

    assert waits == [7.0]
    assert len(fake.requested("/escalation_policies")) == 2
    assert sorted(plan.escalation_policies) == ["payments-escalation", "platform-night-escalation"]


def test_saved_documents_reproduce_the_import_offline(fake: FakePagerDuty, tmp_path: Path) -> None:
    online = pagerduty.build_plan(SavingApi(_http(fake), tmp_path), NOW)

    offline = pagerduty.build_plan(DirApi(tmp_path), NOW)

    assert _comparable(offline) == _comparable(online)


def test_the_imported_config_loads_with_everything_in_it(config: PagerConfig) -> None:
    catalog = config.catalog

    counts = [len(catalog.people), len(catalog.rotations), len(catalog.policies), len(catalog.services)]
    assert counts == [8, 3, 2, 4]


def test_people_are_named_by_their_email_s_local_part_made_unique(plan: Plan) -> None:
    names = {person_id: person["name"] for person_id, person in plan.people.items()}

    assert names == {
        "alice": "Alice Martin",
        "bob-stone": "Bob Stone",
        "carol": "Carol Diaz",
        "david": "David Okafor",
        "eve": "Eve Laurent",
        "frank": "Frank Moreau",
        "henry": "Henry Kim",  # henry@example.com
        "henry-2": "Henry Park",  # henry@partner.example
    }


def test_phone_numbers_are_e164_and_one_number_for_sms_and_calls_is_a_phone(plan: Plan) -> None:
    numbers = {
        person_id: {k: v for k, v in person.items() if k in ("sms", "voice", "phone")}
        for person_id, person in plan.people.items()
    }

    assert numbers["alice"] == {"phone": "+12015550123"}  # the same number for sms and phone methods
    assert numbers["bob-stone"] == {"sms": "+12125550142", "voice": "+16175550199"}
    assert numbers["eve"] == {"phone": "+33612345678"}  # country_code 33, address 612345678
    assert numbers["david"] == {}  # +1 5551234 is no number in use


def test_an_invalid_phone_number_is_left_out_with_a_note(plan: Plan) -> None:
    notes = [
        n.message for n in plan.notes if n.source == "user PDAV1D4 (David Okafor) contact method PCMDA02"
    ]

    assert notes == ["+15551234 is not a valid phone number: left out"]


def test_high_urgency_rules_become_notify_steps_in_time_order(config: PagerConfig) -> None:
    def steps(person: str) -> list[tuple[Channel, timedelta]]:
        return [(s.contact.channel, s.delay) for s in config.catalog.people[PersonId(person)].notify]

    minutes = timedelta(minutes=1)
    assert steps("alice") == [
        (Channel.SMS, 0 * minutes),
        (Channel.VOICE, 2 * minutes),
        (Channel.EMAIL, 5 * minutes),
    ]
    # Bob's push rule and his low-urgency email rule are not carried.
    assert steps("bob-stone") == [(Channel.SMS, 0 * minutes), (Channel.VOICE, 3 * minutes)]
    assert steps("carol") == [(Channel.VOICE, 0 * minutes), (Channel.EMAIL, 10 * minutes)]
    # David's sms rule goes with his invalid number.
    assert steps("david") == [(Channel.EMAIL, 1 * minutes)]


# Who PagerDuty puts on call, worked out by hand from the fixtures. Turn n starts at rotation_virtual_start
# plus n turns of local wall-clock time and goes to users[n % len(users)], inside restrictions only; the layer
# listed first by GET /schedules/{id} wins where several have someone; overrides win over every layer.
ON_CALL = [
    # Primary On-Call, America/New_York: weekly turns from Mon 2026-01-05 09:00 EST for [alice, bob-stone,
    # carol, david]. 2026-03-02 is 56 days = 8 turns later: turn 8, alice.
    ("primary-on-call", "2026-03-02T14:30:00+00:00", "alice"),  # Mon 09:30 EST
    # Daylight saving starts Sun 2026-03-08: turn 9 starts Mon 2026-03-09 09:00 EDT = 13:00 UTC (not at
    # 14:00 UTC, 9 x 604800 s after the virtual start).
    ("primary-on-call", "2026-03-09T12:30:00+00:00", "alice"),  # 08:30 EDT: still turn 8
    ("primary-on-call", "2026-03-09T13:30:00+00:00", "bob-stone"),  # 09:30 EDT: turn 9
    ("primary-on-call", "2026-03-20T18:00:00+00:00", "henry"),  # override POVPR02, Mar 20 to 21, 09:00 EDT
    ("primary-on-call", "2026-03-21T18:00:00+00:00", "carol"),  # turn 10 (Mar 16 to 23) again
    # Secondary, Europe/Paris. Layer 1: daily turns from 2026-01-01 08:00 for [henry, henry-2, bob-stone];
    # Layer 2 (wins): weekly turns from Mon 2026-01-05 09:00 for [eve, frank], Monday to Friday 09:00-17:00.
    ("secondary", "2026-03-02T12:00:00+00:00", "eve"),  # Mon 13:00: layer 2, week 8, 8 % 2 = 0
    ("secondary", "2026-03-02T17:30:00+00:00", "henry"),  # Mon 18:30, outside: layer 1, day 60, 60 % 3 = 0
    ("secondary", "2026-03-03T07:30:00+00:00", "henry-2"),  # Tue 08:30, before 09:00: day 61, 61 % 3 = 1
    ("secondary", "2026-03-07T12:00:00+00:00", "bob-stone"),  # Sat 13:00, no weekend: day 65, 65 % 3 = 2
    ("secondary", "2026-03-10T08:30:00+00:00", "frank"),  # Tue 09:30: layer 2, week 9, 9 % 2 = 1
    # Nights, Europe/London, 18:00-08:00 every day. Layer 1 until Mon 2026-04-06 18:00 BST: weekly turns from
    # Mon 2026-01-05 18:00 GMT for [carol, david]; layer 2 from then: weekly turns for [carol, david, eve].
    ("nights", "2026-03-02T12:00:00+00:00", None),  # noon: outside the restriction
    ("nights", "2026-03-02T22:00:00+00:00", "carol"),  # turn 8 (8 % 2 = 0) began 18:00
    ("nights", "2026-03-09T07:30:00+00:00", "carol"),  # Mon 07:30: turn 9 begins at 18:00
    ("nights", "2026-03-09T19:00:00+00:00", "david"),  # turn 9
    # British summer time starts Sun 2026-03-29: turn 12 (12 weeks after Jan 5) starts 18:00 BST = 17:00 UTC.
    ("nights", "2026-03-30T17:30:00+00:00", "carol"),  # 18:30 BST: turn 12, 12 % 2 = 0
    ("nights", "2026-04-07T21:00:00+00:00", "carol"),  # layer 2, turn 0
    ("nights", "2026-04-14T21:00:00+00:00", "david"),  # layer 2, turn 1
    ("nights", "2026-04-21T21:00:00+00:00", "eve"),  # layer 2, turn 2
]


@pytest.mark.parametrize(("rotation", "at", "expected"), ON_CALL)
def test_who_is_on_call_is_who_pagerduty_puts_on_call(
    config: PagerConfig, rotation: str, at: str, expected: str | None
) -> None:
    assert _on_call(config, rotation, at) == expected


def test_only_overrides_not_yet_over_are_carried(plan: Plan) -> None:
    # POVPR01 (2026-02-16 to 17) was over at NOW.
    assert plan.overrides == [
        {
            "rotation": "primary-on-call",
            "person": "henry",
            "from": "2026-03-20T09:00:00-04:00",
            "to": "2026-03-21T09:00:00-04:00",
        }
    ]


def test_a_layer_ended_before_now_is_dropped_without_a_note(plan: Plan) -> None:
    # PLSEC00 ended 2026-01-01.
    assert len(plan.rotations["secondary"]["layers"]) == 2
    assert not [n for n in plan.notes if "PLSEC00" in n.source]


def test_escalation_rules_become_levels_with_their_delays_and_loops(config: PagerConfig) -> None:
    def levels(policy: str) -> list[tuple[list[str], timedelta]]:
        found = config.catalog.policies[PolicyId(policy)].levels
        return [([f"{t.kind}:{t.ref}" for t in level.targets], level.ack_timeout) for level in found]

    minutes = timedelta(minutes=1)
    assert levels("payments-escalation") == [
        (["rotation:primary-on-call"], 10 * minutes),
        (["rotation:secondary", "person:alice"], 15 * minutes),
        (["person:carol", "person:bob-stone"], 30 * minutes),
    ]
    assert config.catalog.policies[PolicyId("payments-escalation")].repeat == 2
    assert levels("platform-night-escalation") == [
        (["rotation:nights"], 5 * minutes),
        (["person:frank", "person:eve"], 20 * minutes),
    ]
    assert config.catalog.policies[PolicyId("platform-night-escalation")].repeat == 0


def test_events_v2_keys_are_kept_and_other_integrations_get_new_keys(plan: Plan) -> None:
    keys = {service_id: service.get("integration_keys", []) for service_id, service in plan.services.items()}

    assert keys["payments-api"] == ["a1b2c3d4e5f6478899aabbccddeeff01"]
    kept, made = keys["checkout-web"]  # an Events API v2 integration, then an email one
    assert kept == "0f1e2d3c4b5a49788796a5b4c3d2e1f0"
    assert len(made) >= 32 and made not in KEPT_KEYS
    (platform,) = keys["platform"]  # an Events API v1 integration: its key is not Pager's kind
    assert platform != "77e4c1d2a9b84f0c8e6d5b4a3c2b1a09" and len(platform) >= 32
    assert keys["batch-jobs"] == []


def test_the_report_lists_every_approximation_the_fixtures_hold(plan: Plan) -> None:
    expected = [
        ("user PB0BST2 (Bob Stone)", "low-urgency"),
        ("user PB0BST2 (Bob Stone) notification rule PNRBO02", "push notification"),
        ("user PDAV1D4 (David Okafor) contact method PCMDA02", "not a valid phone number"),
        ("user PDAV1D4 (David Okafor) notification rule PNRDA01", "sms"),
        ("user PEVE5L5 (Eve Laurent)", "low-urgency"),
        ("users", "Slack member ids"),
        ("schedule PSNGHT3 (Nights) layer PLNIT01", "ends 2026-04-06T18:00:00+01:00"),
        ("escalation policy PEPPLT2 (Platform Night Escalation) rule 2", "round robin"),
        ("service PSVCHK2 (Checkout Web) integration PINEM03 (Support mailbox)", "new key"),
        ("service PSVPLT3 (Platform) integration PINV104 (Legacy cron monitor)", "new key"),
        ("services", "/v2/enqueue"),
    ]

    found = [(note.source, note.message) for note in plan.notes]

    assert [source for source, _ in found] == [source for source, _ in expected]
    assert all(word in message for (_, message), (_, word) in zip(found, expected, strict=True))
    assert all(f"{source}: {message}" in report(plan, pagerduty.NAME) for source, message in found)


def _fixtures_with_primary_layer_start(tmp_path: Path, start: str) -> DirApi:
    """The fixtures, but for the Primary On-Call layer starting at `start`."""
    shutil.copytree(FIXTURES, tmp_path / "account")
    file = tmp_path / "account" / "schedules" / "PSPRIM1.json"
    document = json.loads(file.read_text(encoding="utf-8"))
    document["schedule"]["schedule_layers"][0]["start"] = start
    file.write_text(json.dumps(document), encoding="utf-8")
    return DirApi(tmp_path / "account")


def test_a_layer_starting_later_on_a_handoff_starts_there_with_the_same_people(tmp_path: Path) -> None:
    # Mon 2026-03-16 09:00 EDT begins turn 10 (10 % 4 = 2: carol), as in PagerDuty.
    api = _fixtures_with_primary_layer_start(tmp_path, "2026-03-16T09:00:00-04:00")

    plan = pagerduty.build_plan(api, NOW)

    config = check(render(plan, pagerduty.NAME, NOW))
    assert plan.rotations["primary-on-call"]["start"] == "2026-03-16T09:00:00-04:00"
    assert _on_call(config, "primary-on-call", "2026-03-16T12:30:00+00:00") is None  # before the layer
    assert _on_call(config, "primary-on-call", "2026-03-16T13:30:00+00:00") == "carol"
    assert _on_call(config, "primary-on-call", "2026-03-23T13:30:00+00:00") == "david"
    assert not [n for n in plan.notes if "PLPRI01" in n.source]


def test_a_layer_starting_later_between_handoffs_starts_at_the_next_one_with_a_note(tmp_path: Path) -> None:
    # Wed 2026-03-11 12:00 EDT falls in turn 9 (bob-stone's); Pager's copy starts with turn 10 (carol's).
    api = _fixtures_with_primary_layer_start(tmp_path, "2026-03-11T12:00:00-04:00")

    plan = pagerduty.build_plan(api, NOW)

    config = check(render(plan, pagerduty.NAME, NOW))
    assert _on_call(config, "primary-on-call", "2026-03-12T13:30:00+00:00") is None  # bob-stone in PagerDuty
    assert _on_call(config, "primary-on-call", "2026-03-16T13:30:00+00:00") == "carol"
    assert _on_call(config, "primary-on-call", "2026-03-23T13:30:00+00:00") == "david"
    (note,) = [n for n in plan.notes if n.source == "schedule PSPRIM1 (Primary On-Call) layer PLPRI01"]
    assert "next handoff, 2026-03-16T09:00:00-04:00" in note.message


def test_pager_import_writes_a_config_that_check_config_and_oncall_read(
    fake: FakePagerDuty, tmp_path: Path
) -> None:
    runner = CliRunner()
    written = tmp_path / "pager.yaml"
    env = {"PAGERDUTY_API_TOKEN": TOKEN}

    imported = runner.invoke(
        app, ["import", "pagerduty", "--api-url", fake.url, "--out", str(written)], env=env
    )
    checked = runner.invoke(app, ["check-config", str(written)])
    # The real clock decides what is over by now; these instants come after every change in the fixtures.
    # Weekly turns from Mon 2026-01-05 09:00 EST: Mon 2027-03-15 is 434 days = 62 turns later, a day after
    # daylight saving starts: turn 62 (62 % 4 = 2: carol) begins 09:00 EDT = 13:00 UTC.
    before = runner.invoke(
        app, ["oncall", "primary-on-call", "-c", str(written), "--at", "2027-03-15T12:30:00Z"]
    )
    after = runner.invoke(
        app, ["oncall", "primary-on-call", "-c", str(written), "--at", "2027-03-15T13:30:00Z"]
    )

    assert imported.exit_code == 0, imported.output
    assert checked.exit_code == 0 and ": OK — 8 people, 3 rotations" in checked.output, checked.output
    assert "bob-stone" in before.output.split("│")[2]  # turn 61
    assert "carol" in after.output.split("│")[2]
