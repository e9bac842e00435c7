"""The YAML config: what it builds, and every problem it reports at its path."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import ConfigError, PagerConfig, load_config, parse_config
from domain.model import Channel, Contact, PolicyId, RotationId, ServiceId, Target, TargetKind

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "example-config.yaml"

VALID: dict[str, Any] = {
    "people": {
        "alice": {
            "name": "Alice Martin",
            "sms": "+33612345678",
            "email": "alice@example.com",
            "slack": "U0ALICE",
        },
        "bob": {"name": "Bob Stone", "email": "bob@example.com"},
    },
    "rotations": {
        "primary": {
            "members": ["alice", "bob"],
            "start": "2026-11-30T09:00:00+01:00",
            "shift": "7d",
            "timezone": "Europe/Paris",
        }
    },
    "escalation_policies": {
        "payments-policy": {
            "levels": [
                {"targets": ["person:alice", "slack:#payments-oncall"]},
                {
                    "targets": ["rotation:primary", "email:cto@example.com", "sms:+33600000000"],
                    "ack_timeout": "10m",
                },
            ]
        }
    },
    "services": {
        "payments": {
            "name": "Payments API",
            "escalation_policy": "payments-policy",
            "integration_keys": ["payments-key"],
        }
    },
}


def valid() -> dict[str, Any]:
    return copy.deepcopy(VALID)


def load(data: dict[str, Any], env: dict[str, str] | None = None) -> PagerConfig:
    return parse_config(yaml.safe_dump(data), "pager.yaml", env or {})


def problems_in_text(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", env or {})
    return raised.value.problems


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    return problems_in_text(yaml.safe_dump(data), env)


def reported(found: list[str], path: str, message: str) -> bool:
    return any(problem.startswith(f"{path}: {message}") for problem in found)


# What a valid config builds


def test_the_example_config_loads_with_no_environment_variable() -> None:
    config = load_config(EXAMPLE, env={})

    assert set(config.catalog.services) == {"payments", "search"}


def test_the_example_config_accepts_its_documented_example_key() -> None:
    config = load_config(EXAMPLE, env={})

    assert config.integration_keys["payments-example-key"] == ServiceId("payments")


def test_the_example_config_takes_keys_from_the_environment_when_set() -> None:
    config = load_config(EXAMPLE, env={"PAYMENTS_KEY": "a-long-random-secret"})

    assert dict(config.integration_keys)["a-long-random-secret"] == ServiceId("payments")
    assert "payments-example-key" not in config.integration_keys


def test_load_config_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_KEY", "from-the-process-environment")

    config = load_config(EXAMPLE)

    assert config.integration_keys["from-the-process-environment"] == ServiceId("payments")


def test_the_config_remembers_where_it_was_loaded_from() -> None:
    assert load_config(str(EXAMPLE), env={}).source == str(EXAMPLE)


def test_a_persons_contacts_come_in_order_sms_email_slack() -> None:
    alice = load(valid()).catalog.person("alice")

    assert alice.contacts == (
        Contact(Channel.SMS, "+33612345678"),
        Contact(Channel.EMAIL, "alice@example.com"),
        Contact(Channel.SLACK, "U0ALICE"),
    )


def test_a_person_without_a_name_is_named_by_their_id() -> None:
    data = valid()
    del data["people"]["bob"]["name"]

    assert load(data).catalog.person("bob").name == "bob"


def test_a_rotation_is_built_with_its_members_start_shift_and_time_zone() -> None:
    rotation = load(valid()).catalog.rotations[RotationId("primary")]

    assert rotation.timezone == ZoneInfo("Europe/Paris")
    assert rotation.start == datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert rotation.shift == timedelta(days=7)
    assert rotation.members == ("alice", "bob")


def test_a_rotation_start_written_unquoted_is_read_as_well() -> None:
    text = yaml.safe_dump(valid()).replace("'2026-11-30T09:00:00+01:00'", "2026-11-30T09:00:00+01:00")

    rotation = parse_config(text, "pager.yaml", {}).catalog.rotations[RotationId("primary")]

    assert rotation.start == datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("UTC"))


def test_targets_are_parsed_into_kinds_and_refs() -> None:
    policy = load(valid()).catalog.policies[PolicyId("payments-policy")]

    assert policy.levels[0].targets == (
        Target(TargetKind.PERSON, "alice"),
        Target(TargetKind.SLACK, "#payments-oncall"),
    )


def test_a_quoted_sms_number_in_a_target_list_loses_its_quotes() -> None:
    text = yaml.safe_dump(valid()).replace("- sms:+33600000000", '- sms:"+33600000000"')

    policy = parse_config(text, "pager.yaml", {}).catalog.policies[PolicyId("payments-policy")]

    assert Target(TargetKind.SMS, "+33600000000") in policy.levels[1].targets


def test_the_ack_timeout_defaults_to_15_minutes() -> None:
    policy = load(valid()).catalog.policies[PolicyId("payments-policy")]

    assert policy.levels[0].ack_timeout == timedelta(minutes=15)


def test_a_level_ack_timeout_overrides_the_policys() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["ack_timeout"] = "5m"

    policy = load(data).catalog.policies[PolicyId("payments-policy")]

    assert [level.ack_timeout for level in policy.levels] == [timedelta(minutes=5), timedelta(minutes=10)]


def test_repeat_defaults_to_no_extra_round() -> None:
    assert load(valid()).catalog.policies[PolicyId("payments-policy")].repeat == 0


def test_repeat_sets_the_extra_rounds() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["repeat"] = 2

    assert load(data).catalog.policies[PolicyId("payments-policy")].repeat == 2


def test_a_service_pages_through_its_policy_and_keeps_its_name() -> None:
    service = load(valid()).catalog.service("payments")

    assert (service.name, service.policy) == ("Payments API", PolicyId("payments-policy"))


def test_a_service_without_a_name_is_named_by_its_id() -> None:
    data = valid()
    del data["services"]["payments"]["name"]

    assert load(data).catalog.service("payments").name == "payments"


def test_each_integration_key_leads_to_its_service() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["key-one", "key-two"]

    assert dict(load(data).integration_keys) == {"key-one": "payments", "key-two": "payments"}


def test_a_service_without_an_integration_key_is_allowed() -> None:
    data = valid()
    del data["services"]["payments"]["integration_keys"]

    config = load(data)

    assert "payments" in config.catalog.services
    assert dict(config.integration_keys) == {}


def test_the_config_repr_does_not_show_integration_keys() -> None:
    assert "payments-key" not in repr(load(valid()))


def test_people_and_rotations_may_be_left_out_when_no_target_needs_them() -> None:
    policy = {"levels": [{"targets": ["email:ops@example.com"]}]}
    data = {"escalation_policies": {"ops": policy}, "services": {"db": {"escalation_policy": "ops"}}}

    assert load(data).catalog.people == {}


def test_a_section_with_every_entry_commented_out_is_empty() -> None:
    data = valid()
    del data["rotations"]
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"].remove("rotation:primary")
    text = yaml.safe_dump(data) + "rotations:\n  # primary: ...\n"

    assert parse_config(text, "pager.yaml", {}).catalog.rotations == {}


# Environment variables


def test_a_variable_is_replaced_by_its_value() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY}"]

    assert dict(load(data, env={"PAYMENTS_KEY": "s3cret-key"}).integration_keys) == {"s3cret-key": "payments"}


def test_a_variable_can_be_part_of_a_longer_value() -> None:
    data = valid()
    data["people"]["bob"]["email"] = "${USER_NAME}@example.com"

    bob = load(data, env={"USER_NAME": "bob.stone"}).catalog.person("bob")

    assert bob.contacts == (Contact(Channel.EMAIL, "bob.stone@example.com"),)


def test_an_unset_variable_takes_its_default() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY:-fallback-key}"]

    assert dict(load(data, env={}).integration_keys) == {"fallback-key": "payments"}


def test_an_empty_variable_takes_its_default_as_in_the_shell() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY:-fallback-key}"]

    assert dict(load(data, env={"PAYMENTS_KEY": ""}).integration_keys) == {"fallback-key": "payments"}


def test_a_variable_set_overrides_its_default() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY:-fallback-key}"]

    assert dict(load(data, env={"PAYMENTS_KEY": "real-key"}).integration_keys) == {"real-key": "payments"}


def test_an_unset_variable_without_default_is_reported_at_its_path_by_name() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY}"]

    assert problems(data) == [
        "services.payments.integration_keys[0]: environment variable PAYMENTS_KEY is not set"
        " (${PAYMENTS_KEY:-default} gives a default)"
    ]


def test_an_unset_variable_is_the_only_problem_reported_for_its_value() -> None:
    data = valid()
    data["people"]["alice"]["sms"] = "${ALICE_PHONE}"

    assert len(problems(data)) == 1


def test_a_secret_from_the_environment_never_appears_in_problems() -> None:
    data = valid()
    data["services"]["search"] = {
        "escalation_policy": "payments-policy",
        "integration_keys": ["${SEARCH_KEY}"],
    }
    data["services"]["payments"]["integration_keys"] = ["${SEARCH_KEY}"]
    data["people"]["bob"]["email"] = "${SEARCH_KEY}"
    env = {"SEARCH_KEY": "hunter2-very-secret"}

    with pytest.raises(ConfigError) as raised:
        load(data, env)

    assert len(raised.value.problems) == 2
    assert "hunter2-very-secret" not in str(raised.value)


# Problems, each at its path


def test_a_typo_in_a_key_is_reported_naming_the_key() -> None:
    data = valid()
    data["people"]["bob"]["emial"] = data["people"]["bob"].pop("email")

    assert problems(data) == ["people.bob.emial: unknown key"]


def test_a_missing_section_is_reported() -> None:
    data = valid()
    del data["services"]

    assert problems(data) == ["services: required key is missing"]


def test_a_missing_required_key_is_reported_at_its_path() -> None:
    data = valid()
    del data["rotations"]["primary"]["shift"]

    assert problems(data) == ["rotations.primary.shift: required key is missing"]


def test_an_unknown_person_in_a_target_is_reported_at_its_path() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"][0] = "person:bobb"

    assert problems(data) == [
        "escalation_policies.payments-policy.levels[1].targets[0]: unknown person 'bobb'"
        " (did you mean 'bob'?)"
    ]


def test_an_unknown_rotation_in_a_target_is_reported_at_its_path() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"][0] = "rotation:secondary"

    assert problems(data) == [
        "escalation_policies.payments-policy.levels[1].targets[0]: unknown rotation 'secondary'"
    ]


def test_an_unknown_rotation_member_is_reported_at_its_path() -> None:
    data = valid()
    data["rotations"]["primary"]["members"] = ["alice", "carol"]

    assert problems(data) == ["rotations.primary.members[1]: unknown person 'carol'"]


def test_an_unknown_policy_of_a_service_is_reported_at_its_path() -> None:
    data = valid()
    data["services"]["payments"]["escalation_policy"] = "payment-policy"

    assert reported(
        problems(data), "services.payments.escalation_policy", "unknown escalation policy 'payment-policy'"
    )


def test_a_policy_with_no_level_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"] = []

    assert problems(data) == ["escalation_policies.payments-policy.levels: must not be empty"]


def test_a_level_with_no_target_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][0]["targets"] = []

    assert problems(data) == ["escalation_policies.payments-policy.levels[0].targets: must not be empty"]


def test_a_rotation_with_no_member_is_reported() -> None:
    data = valid()
    data["rotations"]["primary"]["members"] = []

    assert problems(data) == ["rotations.primary.members: must not be empty"]


def test_a_target_of_unknown_kind_is_reported_with_the_valid_kinds() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][0]["targets"][1] = "pager:#ops"

    assert reported(
        problems(data),
        "escalation_policies.payments-policy.levels[0].targets[1]",
        "target 'pager:#ops' has unknown kind 'pager' (expected one of person, rotation, sms, email, slack)",
    )


def test_a_target_without_a_kind_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][0]["targets"][0] = "alice"

    assert problems(data) == [
        "escalation_policies.payments-policy.levels[0].targets[0]: target 'alice' is not of the form kind:ref"
    ]


def test_a_malformed_email_address_is_reported() -> None:
    data = valid()
    data["people"]["bob"]["email"] = "bob.example.com"

    assert problems(data) == ["people.bob.email: 'bob.example.com' is not an email address"]


def test_a_malformed_email_target_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"][1] = "email:cto"

    assert problems(data) == [
        "escalation_policies.payments-policy.levels[1].targets[1]: 'cto' is not an email address"
    ]


@pytest.mark.parametrize("number", ["0612345678", "+3361", "+3361234567890123"])
def test_an_sms_number_not_in_international_form_is_reported(number: str) -> None:
    data = valid()
    data["people"]["alice"]["sms"] = number

    assert reported(problems(data), "people.alice.sms", f"{number!r} is not an international phone number")


def test_an_sms_target_not_in_international_form_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"][2] = "sms:0600000000"

    assert reported(
        problems(data),
        "escalation_policies.payments-policy.levels[1].targets[2]",
        "'0600000000' is not an international phone number",
    )


def test_an_unquoted_sms_number_is_reported_with_the_fix() -> None:
    text = yaml.safe_dump(valid()).replace("'+33612345678'", "+33612345678")

    assert reported(problems_in_text(text), "people.alice.sms", 'quote the number ("+336...")')


def test_a_slack_contact_that_is_not_a_member_id_is_reported() -> None:
    data = valid()
    data["people"]["alice"]["slack"] = "@alice"

    assert reported(problems(data), "people.alice.slack", "'@alice' is not a Slack member id")


def test_an_unknown_time_zone_is_reported() -> None:
    data = valid()
    data["rotations"]["primary"]["timezone"] = "Europe/Pariss"

    assert reported(problems(data), "rotations.primary.timezone", "'Europe/Pariss' is not an IANA time zone")


def test_a_rotation_start_without_utc_offset_is_reported() -> None:
    data = valid()
    data["rotations"]["primary"]["start"] = "2026-11-30T09:00:00"

    assert reported(problems(data), "rotations.primary.start", "'2026-11-30T09:00:00' needs a UTC offset")


def test_a_duration_without_unit_is_reported_at_its_path() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["ack_timeout"] = 90

    assert reported(
        problems(data),
        "escalation_policies.payments-policy.levels[1].ack_timeout",
        "duration '90' has no unit",
    )


def test_a_negative_repeat_is_reported() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["repeat"] = -1

    assert problems(data) == ["escalation_policies.payments-policy.repeat: must be 0 or more"]


def test_an_integration_key_used_by_two_services_is_reported_at_the_second() -> None:
    data = valid()
    data["services"]["search"] = {
        "escalation_policy": "payments-policy",
        "integration_keys": ["payments-key"],
    }

    assert problems(data) == [
        "services.search.integration_keys[0]: integration key already used at"
        " services.payments.integration_keys[0]"
    ]


def test_an_empty_integration_key_is_reported() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = [""]

    assert problems(data) == ["services.payments.integration_keys[0]: must not be empty"]


def test_an_integration_key_from_an_empty_variable_is_reported() -> None:
    data = valid()
    data["services"]["payments"]["integration_keys"] = ["${PAYMENTS_KEY}"]

    assert problems(data, env={"PAYMENTS_KEY": ""}) == [
        "services.payments.integration_keys[0]: must not be empty"
    ]


def test_a_yaml_syntax_error_is_reported_with_its_line() -> None:
    found = problems_in_text("people:\n  alice: {name: Alice\nservices: {}\n")

    assert len(found) == 1
    assert found[0].startswith("line 3, column 9: ")


def test_a_key_written_twice_is_reported_with_its_line() -> None:
    text = yaml.safe_dump(valid()) + "services:\n  search: {escalation_policy: payments-policy}\n"

    assert problems_in_text(text) == [
        f"line {len(yaml.safe_dump(valid()).splitlines()) + 1}, column 1: duplicate key 'services'"
    ]


def test_an_empty_file_is_reported() -> None:
    assert problems_in_text("# nothing yet\n") == ["the file is empty"]


def test_a_file_that_is_not_a_mapping_is_reported() -> None:
    assert problems_in_text("- people\n- services\n") == [
        "expected a mapping with people, rotations, escalation_policies and services"
    ]


def test_a_missing_file_is_reported_with_its_name(tmp_path: Path) -> None:
    missing = tmp_path / "pager.yaml"

    with pytest.raises(ConfigError) as raised:
        load_config(missing, env={})

    assert str(raised.value) == f"{missing}: no such file"


def test_every_problem_is_reported_at_once() -> None:
    data = valid()
    data["people"]["bob"]["email"] = "bob"
    data["rotations"]["primary"]["timezone"] = "Mars/Olympus"
    data["rotations"]["primary"]["members"] = ["alice", "carol"]
    data["services"]["payments"]["escalation_policy"] = "nope"

    assert len(problems(data)) == 4


def test_the_references_of_an_entry_with_another_problem_are_checked_too() -> None:
    data = valid()
    policy = data["escalation_policies"]["payments-policy"]
    policy["ack_timeout"] = "soon"
    policy["levels"][0]["targets"][0] = "person:zoe"

    found = problems(data)

    assert reported(found, "escalation_policies.payments-policy.ack_timeout", "duration 'soon'")
    assert reported(found, "escalation_policies.payments-policy.levels[0].targets[0]", "unknown person 'zoe'")


def test_the_error_message_lists_each_problem_on_its_own_line_after_the_file_name() -> None:
    data = valid()
    data["people"]["bob"]["email"] = "bob"
    data["services"]["payments"]["escalation_policy"] = "nope"

    with pytest.raises(ConfigError) as raised:
        load(data)

    assert str(raised.value).splitlines() == [
        "pager.yaml: people.bob.email: 'bob' is not an email address",
        "pager.yaml: services.payments.escalation_policy: unknown escalation policy 'nope'",
    ]
