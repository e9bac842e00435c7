"""Scenarios 2 and 4: page latency at a steady rate, and an alert storm with its peak memory (3 is in
bench/timers.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import configs
from bench.load import Run, open_loop, percentile
from bench.probes import Database, LogPageProbe, SmsPageProbe, TimedFakeTwilio, serving_timed
from bench.servers import pager_server
from bench.sizes import Sizes
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

PATH = "/webhooks/generic"
BUNDLE_WINDOW_S = 1.0  # the server runs with the default PAGER_BUNDLE_WINDOW


@dataclass(frozen=True)
class PageRow:
    database: str
    alerts: int
    rate: float
    paged: int
    p50: float  # ms, alert accepted → page received
    p99: float
    max: float


@dataclass(frozen=True)
class StormRow:
    database: str
    alerts: int
    accepted: int
    seconds: float  # until the last alert was answered
    incidents: int
    recorded: int  # AlertReceived events on the incident's timeline
    pages: dict[str, int]  # messages per level-1 address
    peak_rss_mb: float


def opening(i: int) -> tuple[str, object, str]:
    """Service i's first alert: it opens an incident."""
    service = configs.service_name(i)
    return PATH, {"summary": f"{service} is down"}, configs.key_of(service)


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def _opened(run: Run) -> dict[int, float]:
    """Incident id → when the alert that opened it was accepted."""
    return {
        int(str(r.json()["incident_id"])): r.accepted_at
        for r in run.replies
        if r.status == 202 and r.json().get("result") == "opened"
    }


def page_latency(database: str, url: str, workdir: Path, sizes: Sizes) -> PageRow:
    """Alerts at a steady rate, each opening an incident paged by SMS to its own number, measured until
    the fake Twilio server receives the message."""
    count = int(sizes.page_rate * sizes.page_seconds)
    with (
        serving_timed() as twilio,
        pager_server(
            workdir, configs.page_latency(count), url, f"pages-{database}", twilio_env(twilio)
        ) as server,
    ):
        run = asyncio.run(open_loop(server.port, opening, sizes.page_rate, count, sizes.connections))
        opened, probe = _opened(run), SmsPageProbe(twilio)
        wait_until(
            lambda: len(probe.first_pages().keys() & opened.keys()) == len(opened), 10 + 2 * BUNDLE_WINDOW_S
        )
        paged = probe.first_pages()
    latencies = [(paged[i] - at) * 1000 for i, at in opened.items() if i in paged]
    return PageRow(
        database,
        count,
        run.rate,
        len(latencies),
        percentile(latencies, 50),
        percentile(latencies, 99),
        max(latencies, default=0.0),
    )


def twilio_env(fake: TimedFakeTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": "+33612349999",
        "TWILIO_API_URL": fake.url,
    }


def storm(database: str, url: str, workdir: Path, sizes: Sizes) -> StormRow:
    """`storm_alerts` alerts for one service within `storm_seconds`, each with its own dedup key."""
    n = sizes.storm_alerts
    key = configs.key_of("storm")

    def alert(i: int) -> tuple[str, object, str]:
        return PATH, {"summary": f"storm alert {i}", "dedup_key": f"storm-{i}"}, key

    with pager_server(workdir, configs.storm(), url, f"storm-{database}") as server:
        run = asyncio.run(open_loop(server.port, alert, n / sizes.storm_seconds, n, sizes.connections))
        probe = LogPageProbe(server)
        # Wait for the bundle to leave, then a little longer, so that a duplicate page would show.
        wait_until(lambda: all(probe.pages_to(a) for a in configs.STORM_ADDRESSES), 5 + BUNDLE_WINDOW_S)
        time.sleep(BUNDLE_WINDOW_S)
        pages = {address: probe.pages_to(address) for address in configs.STORM_ADDRESSES}
        peak = server.peak_rss_mb()
    db = Database(url)
    try:
        incidents = db.incidents_of("storm")
        recorded = db.events_of(incidents, "AlertReceived")
    finally:
        db.close()
    accepted = run.statuses().get(202, 0)
    return StormRow(database, n, accepted, run.elapsed, len(incidents), recorded, pages, peak)
