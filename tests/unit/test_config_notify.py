"""People's notification rules in the config: `notify: [{sms: 0m}, {email: 10m}]`, checked at their path."""

from __future__ import annotations

from datetime import timedelta

import yaml

from bot.config import parse_config
from bot.config_notify import notify_warnings
from domain.model import Channel, PersonId
from tests.unit.config_helpers import load, problems, valid


def with_rules(rules: object) -> dict[str, object]:
    data = valid()
    data["people"]["alice"]["notify"] = rules
    return data


def test_rules_become_the_persons_steps_in_time_order() -> None:
    config = load(with_rules([{"email": "10m"}, {"slack": "0m"}, {"sms": "2m"}]))

    steps = config.catalog.people[PersonId("alice")].notify
    assert [(s.contact.channel, s.delay) for s in steps] == [
        (Channel.SLACK, timedelta(0)),
        (Channel.SMS, timedelta(minutes=2)),
        (Channel.EMAIL, timedelta(minutes=10)),
    ]


def test_a_step_on_a_method_the_person_lacks_is_refused_at_its_path() -> None:
    data = with_rules([{"sms": "0m"}, {"voice": "2m"}])

    assert problems(data) == ["people.alice.notify[1]: alice has no voice method to page"]


def test_a_step_of_an_unknown_method_is_refused_at_its_path() -> None:
    data = with_rules([{"pager": "0m"}])

    assert problems(data) == [
        "people.alice.notify[0]: unknown method 'pager' (expected one of sms, email, slack, voice)"
    ]


def test_a_step_with_two_methods_is_refused_at_its_path() -> None:
    data = with_rules([{"sms": "0m", "email": "2m"}])

    assert [p.split(":")[0] for p in problems(data)] == ["people.alice.notify[0]"]


def test_a_step_with_a_delay_without_unit_is_refused_at_its_path() -> None:
    data = with_rules([{"sms": 5}])

    assert [p.split(":")[0] for p in problems(data)] == ["people.alice.notify[0]"]


def test_a_zero_delay_may_be_written_0() -> None:
    config = load(with_rules([{"sms": 0}]))

    assert config.catalog.people[PersonId("alice")].notify[0].delay == timedelta(0)


def test_rules_written_as_a_flow_list_load() -> None:
    text = yaml.safe_dump(valid(), sort_keys=False)
    text = text.replace("slack: U0ALICE", "slack: U0ALICE\n    notify: [{slack: 0m}, {sms: 2m}]")

    config = parse_config(text, "pager.yaml", {})

    assert len(config.catalog.people[PersonId("alice")].notify) == 2


def test_check_warns_about_rules_that_never_call() -> None:
    people = load(with_rules([{"sms": "0m"}])).catalog.people

    assert "people.alice.notify: no voice step: these rules never call" in notify_warnings(people)


def test_check_warns_about_rules_that_never_text() -> None:
    people = load(with_rules([{"email": "0m"}])).catalog.people

    assert "people.alice.notify: no sms step: these rules never text" in notify_warnings(people)


def test_check_does_not_warn_about_people_without_rules() -> None:
    people = load(valid()).catalog.people

    assert notify_warnings(people) == []


def test_check_warns_that_a_fallback_list_is_unused_with_rules() -> None:
    data = with_rules([{"sms": "0m"}])
    data["people"]["alice"]["fallback"] = ["email"]

    warnings = notify_warnings(load(data).catalog.people)

    assert "people.alice.fallback: unused: the notify steps decide what is paged" in warnings
