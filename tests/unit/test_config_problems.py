"""The YAML config: every problem of shape, value or reference, reported at its path."""

from __future__ import annotations

import pytest
import yaml

from bot.config import ConfigError
from tests.unit.config_helpers import load, problems, problems_in_text, reported, valid


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
        "target 'pager:#ops' has unknown kind 'pager' "
        "(expected one of person, rotation, sms, email, slack, voice)",
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
