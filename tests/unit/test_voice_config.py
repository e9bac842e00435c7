"""Phone numbers for calls in the config: `voice`, the `phone` shorthand, `voice:` targets, check-config."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import ConfigError, parse_config
from bot.config_oncall import unreachable_warnings
from domain.model import Channel, Contact, Target, TargetKind

POLICIES = """
escalation_policies:
  default: {levels: [{targets: [person:alice, "voice:+33 6 12 34 56 79"]}]}
services:
  payments: {escalation_policy: default}
"""


def people(text: str) -> str:
    return f"people:\n{text}\n{POLICIES}"


def test_phone_sets_both_sms_and_voice() -> None:
    config = parse_config(people('  alice: {name: Alice, phone: "+33612345678"}'), "t.yaml", {})

    assert config.catalog.person("alice").contacts == (
        Contact(Channel.SMS, "+33612345678"),
        Contact(Channel.VOICE, "+33612345678"),
    )


def test_voice_alone_is_a_contact_method() -> None:
    config = parse_config(
        people('  alice: {name: Alice, voice: "+33612345678", email: a@example.com}'), "t", {}
    )

    assert config.catalog.person("alice").contacts == (
        Contact(Channel.VOICE, "+33612345678"),
        Contact(Channel.EMAIL, "a@example.com"),
    )


def test_voice_can_be_a_fallback() -> None:
    text = people('  alice: {name: Alice, sms: "+33612345678", voice: "+33612345678", fallback: [voice]}')

    alice = parse_config(text, "t.yaml", {}).catalog.person("alice")

    assert (alice.contacts, alice.fallbacks) == (
        (Contact(Channel.SMS, "+33612345678"),),
        (Contact(Channel.VOICE, "+33612345678"),),
    )


def test_phone_with_sms_is_refused_as_ambiguous() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(people('  alice: {phone: "+33612345678", sms: "+33612345679"}'), "t.yaml", {})

    assert "phone sets both sms and voice" in str(refused.value)


def test_a_voice_target_is_written_in_e164() -> None:
    config = parse_config(people('  alice: {phone: "+33612345678"}'), "t.yaml", {})

    targets = config.catalog.policies["default"].levels[0].targets  # type: ignore[index]
    assert targets[1] == Target(TargetKind.VOICE, "+33612345679")


def test_an_invalid_voice_number_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(people('  alice: {voice: "0612345678"}'), "t.yaml", {})

    assert "people.alice.voice" in str(refused.value)


def test_check_config_warns_about_a_person_without_any_phone_number() -> None:
    text = people('  alice: {phone: "+33612345678"}\n  bob: {email: bob@example.com}')
    catalog = parse_config(text, "t.yaml", {}).catalog

    warnings = unreachable_warnings(catalog.rotations, catalog.people, datetime(2026, 12, 1, tzinfo=UTC))

    assert [w.split(":")[0] for w in warnings] == ["people.bob"]
