"""Acknowledgement deadlines as APScheduler jobs kept in the pager's own database.

The jobs are only wake-ups: the deadline lives on the incident row, and a periodic sweep
re-drives any incident whose wake-up was lost (APScheduler deletes a one-off job's row when it
hands the job to a thread, so a crash at that moment would otherwise lose it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, event

from domain.model import IncidentId, Step

TimeoutHandler = Callable[[IncidentId, Step], None]

_log = structlog.get_logger("pager.timer")

# Stored jobs name this module's function, so it must stay importable under this name; the
# handler it forwards to is set when the timer starts (one timer per process).
_handler: TimeoutHandler | None = None


def fire_ack_timeout(incident_id: int, level: int, round: int) -> None:
    """The job every stored wake-up runs."""
    if _handler is None:
        raise RuntimeError("acknowledgement timer fired before it was started")
    _handler(IncidentId(incident_id), Step(level, round))


class ApschedulerAckTimer:
    """Implements the AckTimer port with a BackgroundScheduler and a SQLAlchemyJobStore."""

    def __init__(self, engine: Engine, sweep_interval: timedelta = timedelta(seconds=2)) -> None:
        self._sweep_interval = sweep_interval
        self._scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=_wakeup_engine(engine)),
                "memory": MemoryJobStore(),
            },
            # misfire_grace_time=None: a deadline that passed while we were down still fires.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def start(self, on_timeout: TimeoutHandler, sweep: Callable[[], object]) -> None:
        global _handler
        _handler = on_timeout
        self._scheduler.add_job(
            _guarded(sweep),
            "interval",
            seconds=self._sweep_interval.total_seconds(),
            id="sweep-overdue",
            jobstore="memory",
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def schedule(self, incident_id: IncidentId, step: Step, at: datetime) -> None:
        # Called after the incident committed: failing here must not fail the caller's request,
        # and loses nothing, since the sweep finds the overdue incident on the database.
        try:
            self._scheduler.add_job(
                fire_ack_timeout,
                "date",
                run_date=at,
                args=[int(incident_id), step.level, step.round],
                id=_job_id(incident_id),
                replace_existing=True,
            )
        except Exception:
            _log.exception("could not schedule a wake-up; the sweep will catch it", incident=int(incident_id))

    def pending(self, incident_id: IncidentId) -> datetime | None:
        """When the incident's wake-up is due, or None when it has none (fired, cancelled, never set)."""
        job = self._scheduler.get_job(_job_id(incident_id), jobstore="default")
        return None if job is None else job.next_run_time

    def cancel(self, incident_id: IncidentId) -> None:
        try:
            self._scheduler.remove_job(_job_id(incident_id), jobstore="default")
        except JobLookupError:
            pass
        except Exception:  # a stale wake-up is harmless: a timeout for a settled incident changes nothing
            _log.exception("could not cancel a wake-up", incident=int(incident_id))


def _wakeup_engine(engine: Engine) -> Engine:
    """`engine`, with PostgreSQL's wait for the disk skipped on the job store's commits.

    A wake-up row is only a hint (the deadline is on the incident row, and the sweep re-drives a lost
    one), so a crash losing the last few is harmless, while waiting for each flush cost two commits per
    incident on the alert path (schedule on open, remove on resolve). `SET LOCAL` keeps the setting to
    the transaction: the pooled connection goes back as it came.
    """
    if engine.dialect.name != "postgresql":
        return engine
    wakeups = engine.execution_options()
    event.listen(wakeups, "begin", _commit_without_flush)
    return wakeups


def _commit_without_flush(connection: Connection) -> None:
    connection.exec_driver_sql("SET LOCAL synchronous_commit TO off")


def _job_id(incident_id: IncidentId) -> str:
    return f"ack-timeout-{incident_id}"


def _guarded(sweep: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            sweep()
        except Exception:  # the next sweep tries again; the scheduler thread must survive
            _log.exception("sweep of overdue incidents failed")

    return run
