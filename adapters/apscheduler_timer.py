"""Acknowledgement deadlines as APScheduler jobs kept in the pager's own database, waking the escalation
engine (`Pager.sweep_overdue`), which escalates whatever is due in batches.

The jobs are only wake-ups: the deadline lives on the incident row, and the engine also runs every
`sweep_interval`, so a wake-up lost in a crash (APScheduler deletes a one-off job's row when it hands the
job to a thread) costs at most that long. One stored wake-up serves every deadline within `resolution` of
it: an alert storm's 10,000 deadlines are 600 rows a minute, not 10,000, and cancelling is needless (a
wake-up with nothing due costs the engine one query).

Every replica writes wake-ups to the job store, but only the leader (see adapters/db/leadership.py)
runs jobs: the others keep their scheduler paused, which stores jobs without processing any.
"""

from __future__ import annotations

import threading
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

_log = structlog.get_logger("pager.timer")

# Stored jobs name this module's functions, so they must stay importable under these names; the engine
# they wake is set when the timer starts (one timer per process).
_engine: _EscalationThread | None = None


def wake_escalation() -> None:
    """The job every stored wake-up runs: let the engine look for due deadlines now."""
    if _engine is None:
        raise RuntimeError("acknowledgement timer fired before it was started")
    _engine.wake()


def fire_ack_timeout(*_: int) -> None:
    """The wake-up of earlier versions, one per incident: now the same as `wake_escalation`."""
    wake_escalation()


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
    `resolution`: deadlines are rounded up to it, and share a wake-up within it.
    """

    def __init__(
        self,
        engine: Engine,
        sweep_interval: timedelta = timedelta(seconds=2),
        leadership: Leadership | None = None,
        poll_interval: timedelta = timedelta(seconds=1),
        resolution: timedelta = timedelta(milliseconds=100),
    ) -> None:
        self._sweep_interval = sweep_interval
        self._poll_interval = poll_interval
        self._resolution_us = resolution // timedelta(microseconds=1)
        self.leadership = leadership or SoleLeader()
        self._scheduler = _LeaderScheduler(
            jobstores={"default": SharedJobStore(engine=_wakeup_engine(engine)), "memory": MemoryJobStore()},
            # misfire_grace_time=None: a deadline that passed while we were down still fires.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self._stored: set[datetime] = set()  # wake-ups this process stored (some may have run since)
        self._prune_at = _PRUNE_AT
        self._stored_lock = threading.Lock()
        self._escalation: _EscalationThread | None = None

    def start(self, escalate: Callable[[], object]) -> None:
        """Run `escalate` (the escalation engine) on the leader, on a thread of its own: when a
        wake-up fires, and every `sweep_interval` (at start included)."""
        global _engine
        self._escalation = _engine = _EscalationThread(escalate)
        self._escalation.start()
        self._scheduler.add_job(
            wake_escalation,
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
        """Run no more wake-ups, let the engine finish its pass, then hand leadership on."""
        self._follow()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self._escalation is not None:
            self._escalation.stop()
        self.leadership.stop()

    def _lead(self) -> None:
        if self._scheduler.state == STATE_PAUSED:
            self._scheduler.resume()

    def _follow(self) -> None:
        if self._scheduler.state == STATE_RUNNING:
            self._scheduler.pause()

    def schedule(self, incident_id: IncidentId, step: Step, at: datetime) -> None:
        """Store a wake-up at `at`, rounded up to the resolution, unless this process stored that one
        already and it is more than a second ahead (so it cannot have run yet, whatever the clocks)."""
        wake_at = self._rounded_up(at)
        now = datetime.now(UTC)
        with self._stored_lock:
            if wake_at in self._stored and wake_at - now > timedelta(seconds=1):
                return
            if len(self._stored) >= self._prune_at:  # forget the past ones now and then, not on every call
                self._stored = {stored for stored in self._stored if stored > now}
                self._prune_at = max(2 * len(self._stored), _PRUNE_AT)
        # Called after the incident committed: failing here must not fail the caller's request,
        # and loses nothing, since the engine's periodic pass finds the overdue incident.
        try:
            self._scheduler.add_job(
                wake_escalation,
                "date",
                run_date=wake_at,
                id=f"deadlines-{wake_at:%Y%m%dT%H%M%S.%f}",
                replace_existing=True,
            )
        except Exception:
            _log.exception("could not store a wake-up; the sweep will catch it", incident=int(incident_id))
            return
        with self._stored_lock:
            self._stored.add(wake_at)

    def cancel(self, incident_id: IncidentId) -> None:
        """Nothing to do: the wake-up may serve other deadlines, and finding nothing due is cheap."""

    def pending(self) -> list[datetime]:
        """The stored wake-ups not run yet, earliest first."""
        jobs = self._scheduler.get_jobs(jobstore="default")
        return sorted(job.next_run_time for job in jobs if job.next_run_time is not None)

    def _rounded_up(self, at: datetime) -> datetime:
        since_epoch = (at - _EPOCH) // timedelta(microseconds=1)
        steps = -(-since_epoch // self._resolution_us)
        return _EPOCH + timedelta(microseconds=steps * self._resolution_us)


class _EscalationThread:
    """Runs the escalation engine whenever woken, one pass at a time: wake-ups arriving during a
    pass make one more pass, not one each."""

    def __init__(self, escalate: Callable[[], object]) -> None:
        self._escalate = escalate
        self._bell = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="escalation", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._bell.set()

    def stop(self) -> None:
        """Finish the pass under way, then stop."""
        self._stopping = True
        self._bell.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self._bell.wait()
            self._bell.clear()
            if self._stopping:
                return
            try:
                self._escalate()
            except Exception:  # the next wake-up or pass tries again; the thread must survive
                _log.exception("escalation pass failed")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PRUNE_AT = 1024


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


def _look_for_new_jobs() -> None:
    """Nothing to do: running at all makes the scheduler read its store again."""
