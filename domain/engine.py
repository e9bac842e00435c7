"""The engine: one pass over every kind of deadline that has fallen due, each kind a named job.

A deadline is a column of a row (an incident's acknowledgement deadline today). The engine asks each job to
handle what the database says is due, in batches; whoever drives it (a stored wake-up at a deadline, the
periodic look that makes up for a lost one, the start of the leader) only says "look now". Only the leader
runs it, so a deadline is handled by one process; each job's own transactions make a repeated pass harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.errors import EngineFailed
from domain.ports import WakeUps


class Job(Protocol):
    """One kind of deadline."""

    name: str

    def run_due(self) -> int:
        """Handle every deadline of this kind that is due now, in batches, each in one unit of work. Returns
        how many were due. Safe to repeat: what was handled is no longer due. May raise (the database away):
        the next pass tries again."""
        ...

    def deadlines(self) -> list[datetime]:
        """When each pending deadline of this kind falls due, for wake-ups to be asked again at start."""
        ...


class Engine:
    """Runs its jobs in turn; one that fails does not hold back the others."""

    def __init__(self, jobs: Sequence[Job], wakeups: WakeUps) -> None:
        self.jobs = list(jobs)
        self._wakeups = wakeups

    def run_due(self) -> dict[str, int]:
        """One pass: how many deadlines each job found due. Raises EngineFailed, after every job had its
        turn, naming the jobs that failed."""
        found: dict[str, int] = {}
        failures: list[tuple[str, Exception]] = []
        for job in self.jobs:
            try:
                found[job.name] = job.run_due()
            except Exception as exc:  # the other kinds of deadline must still be kept
                failures.append((job.name, exc))
        if failures:
            raise EngineFailed(failures)
        return found

    def rearm(self) -> int:
        """Ask for a wake-up at every pending deadline (at start: stored wake-ups may have been lost).
        Returns how many deadlines there were."""
        moments = sorted({at for job in self.jobs for at in job.deadlines()})
        for at in moments:
            self._wakeups.at(at)
        return len(moments)
