"""The config's on-call parts: E.164 phone numbers, rotation overrides, fallback contact methods."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.config_oncall import unreachable_warnings
from domain.model import Channel, Contact, RotationId, TargetKind
from tests.unit.config_helpers import load, problems, reported, valid

OVERRIDE = {
    "rotation": "primary",
    "person": "bob",
    "from": "2026-12-01T09:00:00+01:00",
    "to": "2026-12-02T09:00:00+01:00",
}


def with_override(**changes: str) -> dict[str, Any]:
    data = valid()
    data["overrides"] = [{**OVERRIDE, **changes}]
    return data


def test_phone_number_written_with_spaces_is_normalised_to_e164() -> None:
    data = valid()
    data["people"]["alice"]["sms"] = "+33 6 12 34 56 78"

    assert Contact(Channel.SMS, "+33612345678") in load(data).catalog.person("alice").contacts


def test_sms_target_is_normalised_to_e164() -> None:
    data = valid()
    data["escalation_policies"]["payments-policy"]["levels"][1]["targets"][2] = "sms:+33 6 00 00 00 00"

    level = load(data).catalog.policies[next(iter(load(data).catalog.policies))].levels[1]
    assert [t.ref for t in level.targets if t.kind is TargetKind.SMS] == ["+33600000000"]


def test_phone_number_no_country_uses_is_reported_at_its_path() -> None:
    data = valid()
    data["people"]["alice"]["sms"] = "+1 000 000 0000"

    assert reported(
        problems(data), "people.alice.sms", "'+1 000 000 0000' is not an international phone number"
    )


def test_override_puts_its_person_on_call_for_its_period() -> None:
    rotation = load(with_override()).catalog.rotations[RotationId("primary")]

    assert rotation.on_call(datetime(2026, 12, 1, 12, tzinfo=UTC)) == "bob"


def test_override_for_an_unknown_rotation_is_reported_at_its_path() -> None:
    assert reported(
        problems(with_override(rotation="primry")), "overrides[0].rotation", "unknown rotation 'primry'"
    )


def test_override_for_an_unknown_person_is_reported_at_its_path() -> None:
    assert reported(problems(with_override(person="zoe")), "overrides[0].person", "unknown person 'zoe'")


def test_override_without_utc_offset_is_reported_at_its_path() -> None:
    assert reported(
        problems(with_override(to="2026-12-02T09:00:00")),
        "overrides[0].to",
        "'2026-12-02T09:00:00' needs a UTC offset",
    )


def test_override_ending_before_it_starts_is_reported() -> None:
    assert reported(
        problems(with_override(to="2026-11-30T09:00:00+01:00")),
        "overrides[0]",
        "an override must end after it starts",
    )


def test_fallback_method_is_held_back_from_the_first_page() -> None:
    data = valid()
    data["people"]["alice"]["fallback"] = ["email"]

    alice = load(data).catalog.person("alice")
    assert (Contact(Channel.EMAIL, "alice@example.com") not in alice.contacts, alice.fallbacks) == (
        True,
        (Contact(Channel.EMAIL, "alice@example.com"),),
    )


def test_check_warns_about_a_rotation_with_nobody_on_call_yet() -> None:
    catalog = load(valid()).catalog

    warnings = unreachable_warnings(catalog.rotations, catalog.people, datetime(2026, 11, 1, tzinfo=UTC))
    assert [w.split(":")[0] for w in warnings] == ["rotations.primary", "people.bob"]  # bob has no phone


def test_check_warns_about_a_person_with_no_contact_method() -> None:
    data = valid()
    data["people"]["carol"] = {"name": "Carol"}
    catalog = load(data).catalog

    warnings = unreachable_warnings(catalog.rotations, catalog.people, datetime(2026, 12, 1, tzinfo=UTC))
    assert warnings[0] == "people.carol: has no contact method: pages to them reach nobody"
