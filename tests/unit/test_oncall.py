"""Who is on call now and next, per rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.oncall import Handoff, UnknownRotation, on_call
from tests.fakes import T0
from tests.unit.conftest import make_catalog


def test_on_call_names_the_member_holding_each_rotation() -> None:
    views = on_call(make_catalog(), T0 + timedelta(hours=1))

    assert [(v.rotation, v.person) for v in views] == [("primary", "carol")]


def test_on_call_lists_the_next_handoffs() -> None:
    (view,) = on_call(make_catalog(), T0 + timedelta(hours=1), handoffs=2)

    assert view.next_handoffs == (
        Handoff(T0 + timedelta(days=7), "bob"),
        Handoff(T0 + timedelta(days=14), "carol"),
    )


def test_on_call_for_an_unknown_rotation_is_refused() -> None:
    with pytest.raises(UnknownRotation):
        on_call(make_catalog(), T0, rotation="secondary")
