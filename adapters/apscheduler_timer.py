"""Acknowledgement deadlines as APScheduler jobs kept in the pager's own database.

The jobs are only wake-ups: the deadline lives on the incident row, and a periodic sweep
re-drives any incident whose wake-up was lost (APScheduler deletes a one-off job's row when it
hands the job to a thread, so a crash at that moment would otherwise lose it).

Every replica writes wake-ups to the job store, but only the leader (see adapters/db/leadership.py)
runs jobs: the others keep their scheduler paused, which stores jobs without processing any.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, BaseScheduler
from sqlalchemy import Connection, Engine, event

from adapters.db.leadership import Leadership, SoleLeader
from adapters.db.migrate import hold_schema_lock
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


class SharedJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """A SQLAlchemyJobStore that other replicas write to as well: a due job that another replica
    cancelled before the leader removed it is simply gone (APScheduler would abandon its pass
    over the store on the JobLookupError)."""

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        # APScheduler creates its table at start: replicas starting together take turns.
        with self.engine.begin() as conn:
            hold_schema_lock(conn)
            self.jobs_t.create(conn, checkfirst=True)
        super().start(scheduler, alias)

    def remove_job(self, job_id: str) -> None:
        with suppress(JobLookupError):
            super().remove_job(job_id)


class _LeaderScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A BackgroundScheduler whose thread survives its store's errors and that processes jobs only
    while running.

    APScheduler's thread dies silently on an error it does not expect (the database away for a
    moment), and with it every wake-up of the process. And a paused scheduler still makes one
    last pass over its store when shut down, handing due jobs to executors already stopped: a
    follower replica's scheduler would take wake-ups that belong to the leader.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        try:
            wait: float | None = super()._process_jobs()
        except Exception:
            _log.exception("scheduler pass failed; trying again in a second")
            return 1.0
        return wait


class ApschedulerAckTimer:
    """Implements the AckTimer port with a BackgroundScheduler and a SQLAlchemyJobStore.

    `poll_interval`: how often the leader looks for wake-ups other replicas stored (a scheduler
    only reads its store when it wakes up, and it is not woken by another process's writes).
    """

    def __init__(
        self,
        engine: Engine,
        sweep_interval: timedelta = timedelta(seconds=2),
        leadership: Leadership | None = None,
        poll_interval: timedelta = timedelta(seconds=1),
    ) -> None:
        self._sweep_interval = sweep_interval
        self._poll_interval = poll_interval
        self.leadership = leadership or SoleLeader()
        self._scheduler = _LeaderScheduler(
            jobstores={"default": SharedJobStore(engine=_wakeup_engine(engine)), "memory": MemoryJobStore()},
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
        self._scheduler.add_job(
            _look_for_new_jobs,
            "interval",
            seconds=self._poll_interval.total_seconds(),
            id="poll-job-store",
            jobstore="memory",
        )
        self._scheduler.start(paused=True)
        self.leadership.start(on_elected=self._lead, on_deposed=self._follow)

    def shutdown(self) -> None:
        """Run no more wake-ups, wait for those running, then hand leadership on."""
        self._follow()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self.leadership.stop()

    def _lead(self) -> None:
        if self._scheduler.state == STATE_PAUSED:
            self._scheduler.resume()

    def _follow(self) -> None:
        if self._scheduler.state == STATE_RUNNING:
            self._scheduler.pause()

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


def _look_for_new_jobs() -> None:
    """Nothing to do: running at all makes the scheduler read its store again."""


def _guarded(sweep: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            sweep()
        except Exception:  # the next sweep tries again; the scheduler thread must survive
            _log.exception("sweep of overdue incidents failed")

    return run
