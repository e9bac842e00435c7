"""Scenario 3, timer precision: how late level 2 is paged after level 1's deadline, at the phone and in the
database.

Incidents are opened through the webhook, each on its own service whose level 1 times out after the
scenario's timeout and whose level 2 pages the service's own number by SMS. Two figures per incident:
- at the phone: when the fake Twilio server received the level-2 SMS, minus the level-1 deadline, minus the
  bundling window (a page waits that long for others to the same address, by design);
- in the database: when the pager recorded level 2 as paged (`LevelPaged`), minus the deadline.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench import configs
from bench.load import Run, open_loop, percentile
from bench.probes import Database, Escalations, SmsPageProbe, serving_timed
from bench.scenarios import BUNDLE_WINDOW_S, opening, twilio_env, wait_until
from bench.servers import pager_server
from bench.sizes import TimerSize

# How long past the last deadline a level-2 page may still arrive before it counts as missed.
GRACE_S = 30.0


@dataclass(frozen=True)
class Lateness:
    """How late level 2 was paged, over the scenario's incidents (ms)."""

    p50: float
    p90: float
    p99: float
    max: float
    missed: int  # incidents without a level-2 page
    doubled: int  # level-2 pages beyond the first, over all incidents

    @classmethod
    def of(cls, late: list[float], missed: int, doubled: int) -> Lateness:
        p50, p90, p99 = (percentile(late, p) for p in (50, 90, 99))
        return cls(p50, p90, p99, max(late, default=0.0), missed, doubled)


@dataclass(frozen=True)
class TimerRow:
    database: str
    scenario: str  # "1,000 over 20 s"
    incidents: int
    spread: float  # s between the first and the last deadline
    target_p99_ms: float  # at the phone
    phone: Lateness  # SMS received - deadline - bundling window
    stored: Lateness  # LevelPaged - deadline
    peak_rss_mb: float
    start_rss_mb: float  # the peak once started, before the first alert


def timer_precision(database: str, url: str, workdir: Path, size: TimerSize, connections: int) -> TimerRow:
    """Open `size.incidents` incidents over `size.spread` s; wait for every level-2 SMS; measure."""
    n = size.incidents
    config = configs.timer(n, size.timeout)
    with (
        serving_timed() as twilio,
        pager_server(workdir, config, url, f"timer-{n}-{database}", twilio_env(twilio)) as server,
    ):
        run = asyncio.run(open_loop(server.port, opening, n / size.spread, n, connections))
        numbers, probe = opened_numbers(run), SmsPageProbe(twilio)
        # Only a cheap count while the pager works: the harness shares its cores and the fake's clock.
        wait_until(lambda: probe.received() >= len(numbers), size.timeout + GRACE_S)
        time.sleep(2 * BUNDLE_WINDOW_S)  # a page sent twice would have arrived by now
        arrivals = probe.arrivals()
        peak = (server.peak_rss_mb(), server.start_rss_mb)
    db = Database(url)
    try:
        escalations = db.escalations()
    finally:
        db.close()
    return timer_row(database, size, numbers, arrivals, escalations, peak)


def opened_numbers(run: Run) -> dict[int, str]:
    """Incident id → the level-2 number of the service whose alert opened it."""
    return {
        int(str(r.json()["incident_id"])): configs.phone_of(r.index)
        for r in run.replies
        if r.status == 202 and r.json().get("result") == "opened"
    }


def timer_row(
    database: str,
    size: TimerSize,
    numbers: dict[int, str],
    arrivals: dict[str, list[float]],
    found: Escalations,
    peak: tuple[float, float],
) -> TimerRow:
    deadlines = {i: found.deadlines[i] for i in numbers if i in found.deadlines}
    spread = (max(deadlines.values()) - min(deadlines.values())).total_seconds() if deadlines else 0.0
    phone = {i: arrivals.get(number, []) for i, number in numbers.items()}
    stored = {i: [at.timestamp() for at in found.second_level.get(i, [])] for i in numbers}
    return TimerRow(
        database,
        size.name,
        len(numbers),
        spread,
        size.target_p99_ms,
        lateness(phone, deadlines, BUNDLE_WINDOW_S),
        lateness(stored, deadlines, 0.0),
        *peak,
    )


def lateness(paged: dict[int, list[float]], deadlines: dict[int, datetime], allowed_s: float) -> Lateness:
    """`paged`: incident → when each of its level-2 pages happened (epoch s). Late by the first of them
    minus the deadline minus `allowed_s`; an incident without a page (or a deadline) is missed."""
    late: list[float] = []
    missed = doubled = 0
    for incident_id, times in paged.items():
        deadline = deadlines.get(incident_id)
        if not times or deadline is None:
            missed += 1
            continue
        doubled += len(times) - 1
        late.append((min(times) - deadline.timestamp() - allowed_s) * 1000)
    return Lateness.of(late, missed, doubled)
