"""Wake-ups as APScheduler jobs in the pager's own database, and the engine's worker that they wake.

A wake-up only says "look at the deadlines now": the deadlines are columns of rows, and the engine also
looks every `sweep_interval`, which makes up for a wake-up lost in a crash (APScheduler deletes a one-off
job's row as it hands the job to a thread). One stored wake-up serves every deadline within `resolution` of
it, so an alert storm's 10,000 deadlines are 600 rows a minute, not 10,000, and none is ever cancelled: a
wake-up with nothing due costs the engine one query.

Every replica stores wake-ups; only the leader (adapters/db/leadership.py) runs the scheduler's jobs and the
engine. The others keep their scheduler paused, which stores jobs without running any.

A stored wake-up is for another process: one that takes over after a crash, or the leader when a follower
asked. The process that asked keeps the moment too, within `precision` rather than `resolution`, and its
engine's worker runs at it while it leads: a deadline is then handled when it passes, not up to a
`resolution` later and a job store's round trip after that, and the process skips its own stored wake-ups.
"""

from __future__ import annotations

import heapq
import math
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, BaseScheduler
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError

from adapters.db.leadership import Leadership, SoleLeader
from adapters.db.migrate import hold_schema_lock
from adapters.worker import Worker
from domain.ports import Clock

_log = structlog.get_logger("pager.wakeups")

_WAKE_UP = "wake-up-"  # the id of every stored wake-up starts so
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def look_now() -> None:
    """What a stored wake-up runs. Nothing itself: a stored job can only name a module-level function, so the
    scheduler's listener, which knows the engine, wakes it once a job of ours has run."""


def _read_store_again() -> None:
    """Nothing: running at all makes the scheduler read its store again, for wake-ups others stored."""


class SharedJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """A SQLAlchemyJobStore that other replicas write to as well, and whose database may be away a moment.

    A due job another replica removed first is simply gone; and a failed write or read after a job ran is
    logged rather than raised, since APScheduler's thread would die of it and with it every wake-up (the
    engine's periodic look still keeps every deadline; the next pass reads the store again)."""

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        # APScheduler creates its table at start: replicas starting together take turns.
        with self.engine.begin() as conn:
            hold_schema_lock(conn)
            self.jobs_t.create(conn, checkfirst=True)
        super().start(scheduler, alias)

    def remove_job(self, job_id: str) -> None:
        with suppress(JobLookupError):
            try:
                super().remove_job(job_id)
            except SQLAlchemyError as exc:
                _log.warning("could not remove a wake-up that ran; it will run once more", error=repr(exc))

    def get_next_run_time(self) -> datetime | None:
        try:
            found: datetime | None = super().get_next_run_time()
        except SQLAlchemyError as exc:
            _log.warning("could not read the wake-ups; trying again in a second", error=repr(exc))
            return datetime.now(UTC) + timedelta(seconds=1)
        return found


class ApschedulerWakeUps:
    """Implements WakeUps with a BackgroundScheduler whose jobs are kept in the database, and runs the engine
    on a worker of its own: when a wake-up's job has run, every `sweep_interval`, and when elected leader.

    `at` never waits for the database: the moment is handed to a worker that stores it. `poll_interval`: how
    often the leader reads the store for wake-ups other replicas stored (a scheduler is not told of them).
    `precision`: moments this process asked for are rounded up to it for its own engine, so that a storm of
    deadlines costs a pass of the engine each `precision` at most.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        leadership: Leadership | None = None,
        sweep_interval: timedelta = timedelta(seconds=2),
        poll_interval: timedelta = timedelta(seconds=1),
        resolution: timedelta = timedelta(milliseconds=100),
        precision: timedelta = timedelta(milliseconds=50),
    ) -> None:
        self._clock = clock
        self.leadership = leadership or SoleLeader()
        self._sweep_s = sweep_interval.total_seconds()
        self._poll_s = poll_interval.total_seconds()
        self._resolution = resolution
        self._own = f"{_WAKE_UP}{secrets.token_hex(4)}-"  # the ids of the wake-ups this process stores
        self._schedule = _Schedule(precision)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SharedJobStore(engine=_wakeup_engine(engine)), "memory": MemoryJobStore()},
            # misfire_grace_time=None: a deadline that passed while no leader ran still wakes the engine.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self._scheduler.add_listener(self._job_ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self._moments = _Moments()
        self._storing = Worker("wake-up-store", self._store_waiting)
        self._engine: Worker | None = None

    def at(self, when: datetime) -> None:
        now = self._clock.now()
        if self._moments.ask(_rounded_up(when, self._resolution), now):
            self._storing.wake()
        moment = self._schedule.add(when)
        if moment is not None and self._engine is not None:
            self._engine.wake(at=time.monotonic() + (moment - now).total_seconds())

    def start(self, run_engine: Callable[[], object]) -> None:
        """Store wake-ups from now on; run `run_engine` (one pass of the engine) while this replica leads."""
        self._engine = Worker("engine", lambda: self._engine_round(run_engine))
        self._scheduler.add_job(_read_store_again, "interval", seconds=self._poll_s, jobstore="memory")
        self._scheduler.start(paused=True)
        self._storing.start()
        self._engine.start()
        self.leadership.start(on_elected=self._lead, on_deposed=self._follow)

    def stop(self, timeout: float = 10.0) -> None:
        """Store what was asked, run no more wake-ups, let the engine finish its pass, hand leadership on."""
        self._follow()
        self._storing.stop(timeout)
        self._store_waiting()  # asked for while the worker stopped
        if self._scheduler.running:
            # A scheduler makes one last pass over its stores as it shuts down, whatever its state: leave it
            # none, or a follower would take wake-ups that are the leader's.
            self._scheduler.remove_all_jobs(jobstore="memory")
            self._scheduler.remove_jobstore("default", shutdown=False)
            self._scheduler.shutdown(wait=True)
        if self._engine is not None:
            self._engine.stop(timeout)
        self.leadership.stop()

    def pending(self) -> list[datetime]:
        """The stored wake-ups not run yet, earliest first."""
        jobs = self._scheduler.get_jobs(jobstore="default")
        return sorted(job.next_run_time for job in jobs if job.next_run_time is not None)

    def _engine_round(self, run_engine: Callable[[], object]) -> float | None:
        """One pass while leading (a follower only lets its moments go by: the leader has them stored);
        then sleep until the next moment asked for, or the periodic look."""
        self._schedule.take_due(self._clock.now())  # this pass sees whatever is due by now
        after = math.inf
        if self.leadership.is_leader:  # else woken again on election
            run_engine()
            after = self._sweep_s
        upcoming = self._schedule.next()
        if upcoming is not None:
            after = min(after, (upcoming - self._clock.now()).total_seconds())
        return None if after == math.inf else after

    def _job_ran(self, event: JobExecutionEvent) -> None:
        # This process's own wake-ups were run by its schedule, at their moment.
        own = event.job_id.startswith(self._own)
        if event.job_id.startswith(_WAKE_UP) and not own and self._engine is not None:
            self._engine.wake()

    def _lead(self) -> None:
        if self._scheduler.state == STATE_PAUSED:
            self._scheduler.resume()
        if self._engine is not None:
            self._engine.wake()

    def _follow(self) -> None:
        if self._scheduler.state == STATE_RUNNING:
            self._scheduler.pause()

    def _store_waiting(self) -> None:
        for moment in self._moments.take():
            self._store(moment)

    def _store(self, moment: datetime) -> None:
        try:
            self._scheduler.add_job(
                look_now,
                "date",
                run_date=moment,
                id=f"{self._own}{moment:%Y%m%dT%H%M%S.%f}",
                replace_existing=True,
            )
        except Exception:  # the engine's periodic look keeps the deadline; nothing else to do
            _log.exception("could not store a wake-up; the engine's periodic look will find the deadline")
            self._moments.forget(moment)


def _rounded_up(at: datetime, step: timedelta) -> datetime:
    since_epoch = (at - _EPOCH) // timedelta(microseconds=1)
    step_us = step // timedelta(microseconds=1)
    return _EPOCH + timedelta(microseconds=-(-since_epoch // step_us) * step_us)


class _Schedule:
    """The moments this process asked for, rounded up to `precision`, for its own engine to run at."""

    def __init__(self, precision: timedelta) -> None:
        self._precision = precision
        self._lock = threading.Lock()
        self._heap: list[datetime] = []
        self._known: set[datetime] = set()

    def add(self, when: datetime) -> datetime | None:
        """Note `when`; returns the moment it was rounded up to, or None when that one was noted already."""
        moment = _rounded_up(when, self._precision)
        with self._lock:
            if moment in self._known:
                return None
            self._known.add(moment)
            heapq.heappush(self._heap, moment)
        return moment

    def take_due(self, now: datetime) -> None:
        """Forget the moments up to `now`: the pass about to start serves them."""
        with self._lock:
            while self._heap and self._heap[0] <= now:
                self._known.discard(heapq.heappop(self._heap))

    def next(self) -> datetime | None:
        with self._lock:
            return self._heap[0] if self._heap else None


class _Moments:
    """The moments asked for: those waiting to be stored, and those stored by this process, so a moment
    asked for again (every alert of a storm asks for nearly the same one) is stored once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: set[datetime] = set()
        self._stored: set[datetime] = set()
        self._prune_at = _PRUNE_AT

    def ask(self, moment: datetime, now: datetime) -> bool:
        """Note `moment`; False when it needs nothing more: waiting already, or stored and more than a second
        ahead (so it cannot have run yet, whatever the clocks of the replicas say)."""
        with self._lock:
            if moment in self._waiting or (moment in self._stored and moment - now > timedelta(seconds=1)):
                return False
            if len(self._stored) >= self._prune_at:  # forget past ones now and then, not on every call
                self._stored = {stored for stored in self._stored if stored > now}
                self._prune_at = max(2 * len(self._stored), _PRUNE_AT)
            self._waiting.add(moment)
            return True

    def take(self) -> list[datetime]:
        with self._lock:
            taken, self._waiting = sorted(self._waiting), set()
            self._stored.update(taken)
            return taken

    def forget(self, moment: datetime) -> None:
        with self._lock:
            self._stored.discard(moment)


_PRUNE_AT = 1024


def _wakeup_engine(engine: Engine) -> Engine:
    """`engine`, with PostgreSQL's wait for the disk skipped on the job store's commits.

    A wake-up row is only a hint (the deadline is on the incident row, and the engine's periodic look finds
    it), so a crash losing the last few is harmless, while waiting for each flush would cost a commit per
    new incident. `SET LOCAL` keeps the setting to the transaction: the pooled connection goes back as is.
    """
    if engine.dialect.name != "postgresql":
        return engine
    wakeups = engine.execution_options()
    event.listen(wakeups, "begin", _commit_without_flush)
    return wakeups


def _commit_without_flush(connection: Connection) -> None:
    connection.exec_driver_sql("SET LOCAL synchronous_commit TO off")
