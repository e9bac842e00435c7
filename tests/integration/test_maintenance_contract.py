"""One contract for the maintenance repositories, on the in-memory fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from domain.alerts import Alert
from domain.maintenance import MaintenanceWindow, WindowId
from domain.model import IncidentId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0

NewUow = Callable[[], UnitOfWork]
PAYMENTS, SEARCH = ServiceId("payments"), ServiceId("search")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def window(start: float, end: float, *services: ServiceId) -> MaintenanceWindow:
    return MaintenanceWindow(WindowId(0), services or (PAYMENTS,), at(start), at(end), "deploy", "alice")


def add(new_uow: NewUow, *windows: MaintenanceWindow) -> list[MaintenanceWindow]:
    with new_uow() as uow:
        stored = [uow.windows.add(w) for w in windows]
        uow.commit()
    return stored


def suppress(new_uow: NewUow, service: ServiceId, *alerts: tuple[Alert, float]) -> None:
    with new_uow() as uow:
        for alert, minute in alerts:
            uow.suppressed.record(service, alert, at(minute))
        uow.commit()


# Windows


def test_an_added_window_gets_an_id_and_reads_back_whole(new_uow: NewUow) -> None:
    [stored] = add(new_uow, window(0, 60, PAYMENTS, SEARCH))

    with new_uow() as uow:
        found = uow.windows.get(stored.id)

    assert stored.id > 0
    assert found == replace(window(0, 60, PAYMENTS, SEARCH), id=stored.id)


def test_an_unknown_window_is_none(new_uow: NewUow) -> None:
    with new_uow() as uow:
        assert uow.windows.get(WindowId(999)) is None
        assert uow.windows.get(WindowId(2**40)) is None


def test_a_window_is_active_from_its_start_until_just_before_its_end(new_uow: NewUow) -> None:
    [stored] = add(new_uow, window(10, 20))

    with new_uow() as uow:
        active = [bool(uow.windows.active(at(m))) for m in (9.99, 10, 19.99, 20)]

    assert active == [False, True, True, False]
    assert stored.is_active(at(10))


def test_a_declared_window_is_stored_once_per_key(new_uow: NewUow) -> None:
    with new_uow() as uow:
        first = uow.windows.declare(window(0, 60), "config:a")
        again = uow.windows.declare(window(0, 60), "config:a")
        other = uow.windows.declare(window(0, 60), "config:b")
        uow.commit()

    with new_uow() as uow:
        assert (first, again, other) == (True, False, True)
        assert len(uow.windows.active(at(1))) == 2


def test_windows_not_ended_come_soonest_start_first(new_uow: NewUow) -> None:
    later, sooner, _ = add(new_uow, window(30, 90), window(10, 40), window(0, 5))

    with new_uow() as uow:
        found = uow.windows.not_ended(at(20), 10)

    assert [w.id for w in found] == [sooner.id, later.id]


def test_an_ended_window_is_due_until_saved_as_handled(new_uow: NewUow) -> None:
    first, second, _ = add(new_uow, window(0, 10), window(0, 20), window(0, 60))

    with new_uow() as uow:
        due = uow.windows.ended_unhandled(at(30), 10)
        uow.windows.save(replace(first, handled=True))
        uow.commit()
    with new_uow() as uow:
        still_due = uow.windows.ended_unhandled(at(30), 10)
        ends = sorted(uow.windows.pending_ends())

    assert [w.id for w in due] == [first.id, second.id]
    assert [w.id for w in still_due] == [second.id]
    assert ends == [at(20), at(60)]


def test_a_saved_window_reads_back_with_its_new_times(new_uow: NewUow) -> None:
    [stored] = add(new_uow, window(0, 60))
    ended = stored.ended_early(at(15))

    with new_uow() as uow:
        uow.windows.save(ended)
        uow.commit()
    with new_uow() as uow:
        assert uow.windows.get(stored.id) == ended


def test_an_uncommitted_window_is_not_stored(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.windows.add(window(0, 60))

    with new_uow() as uow:
        assert uow.windows.not_ended(at(0), 10) == []


# Suppressed alerts


def test_a_suppressed_alert_is_pending_with_what_it_said(new_uow: NewUow) -> None:
    alert = Alert("disk full", dedup_key="disk", severity="critical", source="alertmanager", starts_at=at(-5))
    suppress(new_uow, PAYMENTS, (alert, 1))

    with new_uow() as uow:
        [kept] = uow.suppressed.pending([PAYMENTS])

    assert (kept.dedup_key, kept.summary, kept.severity, kept.source) == (
        "disk", "disk full", "critical", "alertmanager",
    )  # fmt: skip
    assert (kept.count, kept.first_at, kept.last_at, kept.starts_at) == (1, at(1), at(1), at(-5))


def test_a_key_suppressed_again_is_counted_not_duplicated(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="disk"), 1), (Alert("b", dedup_key="disk"), 2))
    suppress(new_uow, PAYMENTS, (Alert("c", dedup_key="disk", starts_at=at(1)), 3))

    with new_uow() as uow:
        [kept] = uow.suppressed.pending()

    assert (kept.summary, kept.count, kept.first_at, kept.last_at, kept.starts_at) == (
        "a", 3, at(1), at(3), at(1),
    )  # fmt: skip


def test_alerts_without_a_key_share_one_pending_row(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a"), 1), (Alert("b"), 2), (Alert("c", dedup_key="disk"), 3))

    with new_uow() as uow:
        found = [(a.dedup_key, a.count) for a in uow.suppressed.pending()]

    assert found == [(None, 2), ("disk", 1)]


def test_pending_alerts_are_read_per_service_or_all(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1))
    suppress(new_uow, SEARCH, (Alert("b", dedup_key="x"), 2))

    with new_uow() as uow:
        payments = [a.service_id for a in uow.suppressed.pending([PAYMENTS])]
        every = [a.service_id for a in uow.suppressed.pending()]

    assert (payments, every) == (["payments"], ["payments", "search"])


def test_resolving_a_key_ends_only_that_alert(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1), (Alert("b", dedup_key="y"), 1))

    with new_uow() as uow:
        counts = [uow.suppressed.resolve(PAYMENTS, "x", at(2)), uow.suppressed.resolve(PAYMENTS, "x", at(3))]
        uow.commit()
    with new_uow() as uow:
        assert [a.dedup_key for a in uow.suppressed.pending()] == ["y"]
    assert counts == [1, 0]


def test_resolving_without_a_key_ends_every_alert_of_the_service(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1), (Alert("b", dedup_key="y"), 1))
    suppress(new_uow, SEARCH, (Alert("c", dedup_key="x"), 1))

    with new_uow() as uow:
        count = uow.suppressed.resolve(PAYMENTS, None, at(2))
        uow.commit()
    with new_uow() as uow:
        assert [a.service_id for a in uow.suppressed.pending()] == ["search"]
    assert count == 2


def test_a_key_firing_again_after_it_resolved_is_pending_anew(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1))
    with new_uow() as uow:
        uow.suppressed.resolve(PAYMENTS, "x", at(2))
        uow.commit()

    suppress(new_uow, PAYMENTS, (Alert("again", dedup_key="x"), 3))

    with new_uow() as uow:
        [kept] = uow.suppressed.pending()
    assert (kept.summary, kept.count, kept.first_at) == ("again", 1, at(3))


def test_released_alerts_are_no_longer_pending(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1))
    suppress(new_uow, SEARCH, (Alert("b", dedup_key="x"), 1))

    with new_uow() as uow:
        uow.suppressed.release(PAYMENTS, IncidentId(1), at(60))
        uow.commit()

    with new_uow() as uow:
        assert [a.service_id for a in uow.suppressed.pending()] == ["search"]
        assert uow.suppressed.resolve(PAYMENTS, "x", at(61)) == 0


def test_pending_alerts_are_counted_per_service(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, (Alert("a", dedup_key="x"), 1), (Alert("b", dedup_key="y"), 1))
    suppress(new_uow, SEARCH, (Alert("c", dedup_key="x"), 1))
    with new_uow() as uow:
        uow.suppressed.resolve(SEARCH, "x", at(2))
        uow.commit()

    with new_uow() as uow:
        assert uow.suppressed.pending_counts() == {PAYMENTS: 2}


def test_pending_alerts_are_read_up_to_a_limit_oldest_first(new_uow: NewUow) -> None:
    suppress(new_uow, PAYMENTS, *((Alert(str(n), dedup_key=str(n)), n) for n in range(5)))

    with new_uow() as uow:
        assert [a.dedup_key for a in uow.suppressed.pending(limit=2)] == ["0", "1"]
