"""Errors the pager reports to whoever drives it; each says what was wrong in words a user can act on."""

from __future__ import annotations

from collections.abc import Sequence


class PagerError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(PagerError):
    pass


class UnknownService(NotFound):
    def __init__(self, service_id: str) -> None:
        super().__init__(f"unknown service {service_id!r}")
        self.service_id = service_id


class UnknownPerson(NotFound):
    def __init__(self, person_id: str) -> None:
        super().__init__(f"unknown person {person_id!r}: only people in the config can act on incidents")
        self.person_id = person_id


class IncidentNotFound(NotFound):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"incident {incident_id} does not exist")
        self.incident_id = incident_id


class HeartbeatNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown heartbeat {name!r}")
        self.name = name


class Conflict(PagerError):
    pass


class IncidentAlreadyResolved(Conflict):
    def __init__(self, incident_id: int) -> None:
        super().__init__(f"incident {incident_id} is already resolved")
        self.incident_id = incident_id


class SweepFailed(PagerError):
    """Some overdue incidents could not be re-driven; the others were."""

    def __init__(self, failures: Sequence[tuple[int, Exception]]) -> None:
        listed = ", ".join(f"#{incident_id}: {type(exc).__name__}: {exc}" for incident_id, exc in failures)
        super().__init__(f"{len(failures)} overdue incident(s) could not be re-driven ({listed})")
        self.failures = list(failures)


class EngineFailed(PagerError):
    """Some of the engine's jobs failed in a pass; the others ran."""

    def __init__(self, failures: Sequence[tuple[str, Exception]]) -> None:
        listed = "; ".join(f"{name}: {type(exc).__name__}: {exc}" for name, exc in failures)
        super().__init__(f"{len(failures)} engine job(s) failed ({listed})")
        self.failures = list(failures)


class InvalidPolicy(PagerError, ValueError):
    """An escalation policy that could not page anyone."""


class SendFailed(Exception):
    """Raised by a notifier when a message could not be delivered.

    `permanent` says whether retrying can help: an invalid number is permanent, a 503 is not.
    The dispatcher retries a failure that is not permanent, with backoff, while the incident waits
    (past the page's delivery deadline the person's next contact method is paged as well); a permanent
    one is not retried: the person's next contact method is paged instead.
    `retry_after` is how many seconds the provider asked us to wait (a 429's Retry-After), if it said.
    The timeline records either as the event `events.NotificationFailed`.
    """

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
