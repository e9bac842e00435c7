"""The YAML config: environment variables, secrets kept out of problems, and reading the text and file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_config
from domain.model import Channel, Contact
from tests.unit.config_helpers import load, problems, problems_in_text, valid

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


# Reading the text and the file


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
