"""Group commit for alert webhooks: concurrent requests' alerts share one unit of work.

A request waits until its alerts are committed, so its answer means they are stored; the commit (and
the service lock, the statements' set-up) is paid once for every request that arrived meanwhile rather
than once per request. A worker takes whatever is waiting, up to `max_batch` groups, and never waits for
more: an idle pager commits a lone alert at once. One worker is the default: a second one overlaps its
database waits with the first's but waits on the same services' locks, which costs more than the overlap
gains (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from adapters.worker import Worker
from domain.alerts import Alert
from domain.pager import AlertGroup, AlertOutcome

_log = structlog.get_logger("pager.intake")


class GroupPager(Protocol):
    """The two entry points of `domain.pager.Pager` the intake uses."""

    def on_alerts(self, service_id: str, alerts: Sequence[Alert]) -> list[AlertOutcome]: ...

    def on_alert_groups(self, groups: Sequence[AlertGroup]) -> list[list[AlertOutcome]]: ...


@dataclass
class _Request:
    service_id: str
    alerts: Sequence[Alert]
    answer: Future[list[AlertOutcome]] = field(default_factory=Future)


class IntakeStopped(RuntimeError):
    """The pager is shutting down and takes no more alerts."""


class AlertIntake:
    """Hands each request's alerts to the pager in groups; `submit`'s future resolves after commit."""

    def __init__(self, pager: GroupPager, *, max_batch: int = 200, workers: int = 1) -> None:
        self._pager = pager
        self._max_batch = max_batch
        self._workers_wanted = workers
        self._queue: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._workers: list[Worker] = []
        self._state = threading.Lock()
        self._stopped = False

    def submit(self, service_id: str, alerts: Sequence[Alert]) -> Future[list[AlertOutcome]]:
        """Queue one request's alerts (applied together, as `Pager.on_alerts` does); the future holds
        their outcomes once they are committed, or the exception that kept them from being stored."""
        request = _Request(service_id, alerts)
        with self._state:
            if self._stopped:
                raise IntakeStopped("the pager is shutting down")
            if not self._workers:
                self._start()
            self._queue.put(request)
            for worker in self._workers:  # an idle one takes it; the others find nothing, or what came next
                worker.wake()
        return request.answer

    async def apply(self, service_id: str, alerts: Sequence[Alert]) -> list[AlertOutcome]:
        """`submit`, awaited from the event loop: returns once the alerts are committed."""
        return await asyncio.wrap_future(self.submit(service_id, alerts))

    def stop(self) -> None:
        """Finish every queued request, then stop the workers; later submits raise IntakeStopped."""
        with self._state:
            self._stopped = True
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop(threading.TIMEOUT_MAX)  # a request awaits each answer: as long as it takes
        # A request queued just before the stop may have found its worker stopping before it looked.
        self._drain()

    def _start(self) -> None:
        for n in range(self._workers_wanted):
            worker = Worker(f"alert-intake-{n}", self._drain)
            worker.start()
            self._workers.append(worker)

    def _drain(self) -> None:
        """Apply what is waiting, `max_batch` requests at a time, until nothing is; never waits for more."""
        while group := self._gather():
            self._apply(group)

    def _gather(self) -> list[_Request]:
        """Whatever is already waiting, up to `max_batch`."""
        group: list[_Request] = []
        while len(group) < self._max_batch:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return group

    def _apply(self, group: list[_Request]) -> None:
        # A request whose caller went away before it was taken is dropped: nobody would hear its answer.
        # Once running, an answer can no longer be cancelled, so setting it below cannot fail.
        group = [r for r in group if r.answer.set_running_or_notify_cancel()]
        if not group:
            return
        try:
            outcomes = self._pager.on_alert_groups([(r.service_id, r.alerts) for r in group])
        except Exception as exc:
            if len(group) == 1:
                group[0].answer.set_exception(exc)
                return
            # Nothing of the group was stored: give each request its own unit of work, so one bad
            # alert fails only its own request.
            _log.warning("group commit failed; retrying its requests one by one", requests=len(group))
            for request in group:
                self._apply_alone(request)
            return
        for request, outcome in zip(group, outcomes, strict=True):
            request.answer.set_result(outcome)

    def _apply_alone(self, request: _Request) -> None:
        try:
            request.answer.set_result(self._pager.on_alerts(request.service_id, request.alerts))
        except Exception as exc:
            request.answer.set_exception(exc)
