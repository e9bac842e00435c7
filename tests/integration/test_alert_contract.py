"""The alert repository contract, run against the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.alerts import Alert, AlertEpisode
from domain.model import Incident, IncidentId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0

NewUow = Callable[[], UnitOfWork]


def add_incident(new_uow: NewUow, service: str = "payments") -> IncidentId:
    incident = Incident(IncidentId(0), ServiceId(service), f"{service} is down", opened_at=T0)
    with new_uow() as uow:
        uow.incidents.add(incident)
        uow.commit()
    return incident.id


def record(new_uow: NewUow, incident_id: IncidentId, *keys: str | None) -> None:
    with new_uow() as uow:
        for key in keys:
            uow.alerts.record(incident_id, Alert("down", dedup_key=key), T0)
        uow.commit()


def firing(new_uow: NewUow, incident_id: IncidentId) -> int:
    with new_uow() as uow:
        return uow.alerts.firing_count(incident_id)


def test_an_alert_seen_again_is_counted_not_duplicated(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)

    record(new_uow, incident_id, "disk", "disk", "cpu", "disk")

    assert firing(new_uow, incident_id) == 2


def test_alerts_without_a_dedup_key_are_one_alert(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)

    record(new_uow, incident_id, None, None, "disk")

    assert firing(new_uow, incident_id) == 2


def test_resolving_a_key_stops_only_that_alert(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    record(new_uow, incident_id, "disk", "cpu", None)

    with new_uow() as uow:
        uow.alerts.resolve(incident_id, "disk", T0 + timedelta(seconds=5))
        uow.commit()

    assert firing(new_uow, incident_id) == 2


def test_resolving_without_a_key_stops_every_alert_of_the_incident(new_uow: NewUow) -> None:
    incident_id, other = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    record(new_uow, incident_id, "disk", "cpu")
    record(new_uow, other, "disk")

    with new_uow() as uow:
        uow.alerts.resolve(incident_id, None, T0 + timedelta(seconds=5))
        uow.commit()

    assert (firing(new_uow, incident_id), firing(new_uow, other)) == (0, 1)


def test_a_resolved_alert_firing_again_counts_again(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    record(new_uow, incident_id, "disk")
    with new_uow() as uow:
        uow.alerts.resolve(incident_id, "disk", T0 + timedelta(seconds=5))
        uow.commit()

    record(new_uow, incident_id, "disk")

    assert firing(new_uow, incident_id) == 1


def test_a_key_is_firing_until_resolved(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    record(new_uow, incident_id, "disk", "cpu")
    with new_uow() as uow:
        uow.alerts.resolve(incident_id, "disk", T0 + timedelta(seconds=5))
        uow.commit()

    with new_uow() as uow:
        found = [uow.alerts.is_firing(incident_id, key) for key in ("disk", "cpu", "mem")]

    assert found == [False, True, False]


def test_a_key_firing_on_another_incident_is_not_firing_on_this_one(new_uow: NewUow) -> None:
    incident_id, other = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    record(new_uow, other, "disk")

    with new_uow() as uow:
        assert uow.alerts.is_firing(incident_id, "disk") is False


def test_alerts_seen_again_in_a_later_unit_of_work_are_counted_not_duplicated(new_uow: NewUow) -> None:
    incident_id, other = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    record(new_uow, incident_id, "disk", None)
    record(new_uow, other, "cpu")

    record(new_uow, incident_id, "disk", None, "cpu", "disk")

    assert (firing(new_uow, incident_id), firing(new_uow, other)) == (3, 1)


def test_in_one_unit_an_alert_recorded_resolved_and_recorded_again_is_firing(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)

    with new_uow() as uow:
        uow.alerts.record(incident_id, Alert("down", dedup_key="disk"), T0)
        uow.alerts.resolve(incident_id, "disk", T0)
        middle = uow.alerts.firing_count(incident_id)
        uow.alerts.resolve(incident_id, None, T0)
        uow.alerts.record(incident_id, Alert("down", dedup_key="disk"), T0)
        uow.commit()

    assert (middle, firing(new_uow, incident_id)) == (0, 1)


def test_in_one_unit_resolutions_of_many_incidents_are_kept_apart(new_uow: NewUow) -> None:
    first, second, third = (add_incident(new_uow, s) for s in ("payments", "search", "mail"))
    for incident_id in (first, second, third):
        record(new_uow, incident_id, "disk", "cpu")

    with new_uow() as uow:
        uow.alerts.resolve(first, None, T0)
        uow.alerts.resolve(second, "cpu", T0)
        uow.commit()

    assert [firing(new_uow, i) for i in (first, second, third)] == [0, 1, 2]


def episode(new_uow: NewUow, incident_id: IncidentId, key: str, starts: int, ends: int | None = None) -> None:
    """The alert `key` fired on the incident from minute `starts` (and ended at minute `ends`)."""
    with new_uow() as uow:
        uow.alerts.record(incident_id, Alert("down", dedup_key=key, starts_at=minute(starts)), T0)
        if ends is not None:
            uow.alerts.resolve(incident_id, key, T0, ends_at=minute(ends))
        uow.commit()


def close(new_uow: NewUow, incident_id: IncidentId) -> None:
    with new_uow() as uow:
        incident = uow.incidents.get(incident_id)
        assert incident is not None
        incident.resolve("alertmanager", T0, "every alert resolved")
        uow.incidents.save(incident)
        uow.alerts.resolve(incident_id, None, T0)
        uow.commit()


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def latest(new_uow: NewUow, *keys: tuple[str, str]) -> dict[tuple[ServiceId, str], AlertEpisode]:
    with new_uow() as uow:
        return uow.alerts.latest([(ServiceId(s), k) for s, k in keys])


def test_the_latest_episode_of_a_key_is_found_in_a_resolved_incident(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    episode(new_uow, incident_id, "disk", starts=0, ends=10)
    close(new_uow, incident_id)

    found = latest(new_uow, ("payments", "disk"))

    resolved = AlertEpisode(incident_id, False, minute(0), minute(10), resolved_at=T0)
    assert found == {(ServiceId("payments"), "disk"): resolved}


def test_the_latest_episode_is_the_one_recorded_last(new_uow: NewUow) -> None:
    first = add_incident(new_uow)
    episode(new_uow, first, "disk", starts=0, ends=10)
    close(new_uow, first)
    second = add_incident(new_uow)
    episode(new_uow, second, "disk", starts=20)

    found = latest(new_uow, ("payments", "disk"))

    assert found[(ServiceId("payments"), "disk")] == AlertEpisode(second, True, minute(20), None)


def test_keys_never_seen_on_the_service_are_left_out(new_uow: NewUow) -> None:
    payments, search = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    episode(new_uow, payments, "disk", starts=0)
    episode(new_uow, search, "cpu", starts=5)

    found = latest(new_uow, ("payments", "disk"), ("payments", "cpu"), ("search", "disk"), ("mail", "x"))

    assert list(found) == [(ServiceId("payments"), "disk")]


def test_many_keys_of_many_services_are_looked_up_at_once(new_uow: NewUow) -> None:
    payments, search = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    for n in range(30):
        episode(new_uow, payments if n % 2 else search, f"fp{n}", starts=n)

    found = latest(new_uow, *((("payments" if n % 2 else "search"), f"fp{n}") for n in range(30)))

    assert len(found) == 30
    assert {e.starts_at for e in found.values()} == {minute(n) for n in range(30)}


def test_a_repeat_with_a_later_start_moves_the_episode_start_and_an_earlier_one_does_not(
    new_uow: NewUow,
) -> None:
    incident_id = add_incident(new_uow)
    episode(new_uow, incident_id, "disk", starts=5)

    episode(new_uow, incident_id, "disk", starts=30)
    episode(new_uow, incident_id, "disk", starts=10)

    found = latest(new_uow, ("payments", "disk"))
    assert found[(ServiceId("payments"), "disk")].starts_at == minute(30)
    assert firing(new_uow, incident_id) == 1


def test_resolving_every_alert_of_an_incident_ends_no_episode_at_a_monitor_time(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    episode(new_uow, incident_id, "disk", starts=0)

    close(new_uow, incident_id)

    found = latest(new_uow, ("payments", "disk"))
    assert found[(ServiceId("payments"), "disk")] == AlertEpisode(incident_id, False, minute(0), None, T0)


def test_alerts_of_an_incident_opened_in_the_same_unit_are_counted_across_its_writes(new_uow: NewUow) -> None:
    incident = Incident(IncidentId(0), ServiceId("payments"), "payments is down", opened_at=T0)
    with new_uow() as uow:
        uow.incidents.reserve(1)
        uow.incidents.add(incident)
        uow.alerts.record(incident.id, Alert("down", dedup_key="disk"), T0)
        assert uow.alerts.firing_count(incident.id) == 1  # a read: what was recorded is written first
        uow.alerts.record(incident.id, Alert("down", dedup_key="disk"), T0)
        uow.alerts.record(incident.id, Alert("down", dedup_key="cpu"), T0)
        uow.commit()

    assert firing(new_uow, incident.id) == 2
    with new_uow() as uow:
        latest = uow.alerts.latest([(ServiceId("payments"), "disk"), (ServiceId("payments"), "cpu")])
    assert {key: episode.firing for (_, key), episode in latest.items()} == {"disk": True, "cpu": True}
