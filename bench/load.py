"""Load generators: a lean keep-alive HTTP/1.1 client, closed-loop and open-loop (fixed-rate) drivers.

The client is hand-rolled on asyncio streams because it shares the machine's two cores with the
server: a general-purpose client would spend the CPU the server needs and lower the figures.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# (path, JSON body, bearer token) of request number i.
RequestFor = Callable[[int], tuple[str, object, str]]


@dataclass(frozen=True)
class Reply:
    index: int
    status: int
    body: bytes
    latency: float  # seconds, from when the request was due (open loop) or sent (closed loop)
    accepted_at: float  # wall clock (time.time()) when the answer arrived

    def json(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.body)
        return found


@dataclass
class Run:
    replies: list[Reply] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.replies) / self.elapsed if self.elapsed else 0.0

    def latencies_ms(self) -> list[float]:
        return [r.latency * 1000 for r in self.replies]

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for r in self.replies:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts

    def results(self) -> dict[str, int]:
        """How many answers said opened, appended, resolved, ignored (202 only)."""
        counts: dict[str, int] = {}
        for r in self.replies:
            if r.status == 202:
                result = str(r.json().get("result"))
                counts[result] = counts.get(result, 0) + 1
        return counts


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1; answers must carry Content-Length (uvicorn's do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: object, token: str) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self._writer.write(head.encode() + data)
        header = await self._reader.readuntil(b"\r\n\r\n")
        status, length, close = _parse_head(header)
        payload = await self._reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _parse_head(header: bytes) -> tuple[int, int, bool]:
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    return status, length, close


async def closed_loop(port: int, request_for: RequestFor, clients: int, duration: float) -> Run:
    """`clients` connections each send the next request as soon as their last one is answered."""
    run, counter = Run(), iter(range(10**9))
    start = time.perf_counter()
    stop_at = start + duration

    async def client() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < stop_at:
                i = next(counter)
                sent = time.perf_counter()
                status, body = await conn.post(*request_for(i))
                run.replies.append(Reply(i, status, body, time.perf_counter() - sent, time.time()))
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    run.elapsed = time.perf_counter() - start
    return run


async def open_loop(port: int, request_for: RequestFor, rate: float, count: int, connections: int) -> Run:
    """Request i is due at start + i/rate; latency counts from then, so a server falling behind
    shows in the figures instead of slowing the senders (no coordinated omission)."""
    run, queue = Run(), asyncio.Queue[int]()
    for i in range(count):
        queue.put_nowait(i)
    start = time.perf_counter()

    async def worker() -> None:
        conn = Connection(port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                due = start + i / rate
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                status, body = await conn.post(*request_for(i))
                run.replies.append(Reply(i, status, body, time.perf_counter() - due, time.time()))
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    run.elapsed = time.perf_counter() - start
    return run


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
