"""The YAML config: what a valid one builds."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import load_config, parse_config
from domain.model import Channel, Contact, PolicyId, RotationId, ServiceId, Target, TargetKind
from tests.unit.config_helpers import load, valid

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "example-config.yaml"


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
    assert rotation.layers[0].shift == timedelta(days=7)
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
