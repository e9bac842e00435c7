"""Integration keys: found by digest whatever the number of services, compared in constant time."""

from __future__ import annotations

import hmac

import pytest

from bot.config import KeyRing
from domain.model import ServiceId

RING = KeyRing({f"key-{n}": ServiceId(f"service-{n}") for n in range(10_000)})


def test_a_known_key_names_its_service() -> None:
    assert RING.service_for("key-9999") == "service-9999"


@pytest.mark.parametrize("presented", ["key-10000", "key-0999", "KEY-1", "", "key-1 "])
def test_any_other_key_names_no_service(presented: str) -> None:
    assert RING.service_for(presented) is None


def test_one_comparison_in_constant_time_per_lookup_found_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    RING.service_for("key-42")
    RING.service_for("not-a-key")

    assert compared == [(b"key-42", b"key-42"), (b"", b"not-a-key")]


def test_the_ring_reads_as_the_mapping_it_was_built_from_and_hides_its_keys() -> None:
    ring = KeyRing({"s3cret": ServiceId("payments")})

    assert dict(ring) == {"s3cret": "payments"}
    assert "s3cret" not in repr(ring)
