"""Real `pager serve` processes for end-to-end tests: start, wait until healthy, read their page log, kill."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parents[2]


# A port that the kernel picked (bind to port 0) and that was then released can be handed out again at once,
# to a fake that another xdist worker starts on port 0 or to an outgoing connection, before the server it was
# picked for binds it. So servers get ports below the kernel's ephemeral range, which it hands out to no one,
# from a block of each worker's own, at random so that runs beside this one seldom pick the same.
LOWEST_PORT = 10_000
LINUX_EPHEMERAL_START = 32_768


def free_port() -> int:
    """A port that nothing on this machine uses now, for a server this test worker is about to start."""
    block = _worker_ports()
    for _ in range(200):
        port = block[secrets.randbelow(len(block))]
        with socket.socket() as s:
            try:  # on every address, without SO_REUSEADDR: fails while any socket of the machine has the port
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {block}")


def _worker_ports() -> range:
    """This xdist worker's block of ports (all of them without xdist)."""
    try:
        end = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        end = LINUX_EPHEMERAL_START
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = (max(end, LOWEST_PORT + 1_000) - LOWEST_PORT) // workers
    return range(LOWEST_PORT + index * size, LOWEST_PORT + (index + 1) * size)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    """A home (config, database, working directory) that `pager serve` runs in, maybe several times."""

    def __init__(self, workdir: Path, env: dict[str, str], config_text: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.command = [sys.executable, "-m", "bot", "serve"]
        if config_text is not None:
            config = workdir / "pager.yaml"
            config.write_text(config_text)
            self.command += ["--config", str(config)]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PAGER_")}
        self.env.update(PAGER_BIND=f"127.0.0.1:{self.port}", PAGER_LOG_FORMAT="json", PYTHONUNBUFFERED="1")
        self.env.update(env)
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.runs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self) -> None:
        self.spawn()
        wait_for(self.healthy, 30, "the server to answer /healthz")

    def spawn(self) -> None:
        """Start the process without waiting for it to answer."""
        log = self.workdir / f"run{len(self.runs)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self.command, cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.runs.append((process, log))

    @property
    def running(self) -> bool:
        return bool(self.runs) and self.runs[-1][0].poll() is None

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """`GET /readyz`: its status code and body."""
        answer = httpx2.get(f"{self.url}/readyz", timeout=5)
        body: dict[str, Any] = answer.json()
        return answer.status_code, body

    def healthy(self) -> bool:
        if self.runs and self.runs[-1][0].poll() is not None:
            raise AssertionError(f"the server exited:\n{self.runs[-1][1].read_text()}")
        try:
            return httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx2.HTTPError:
            return False

    def log_entries(self, run: int) -> list[dict[str, Any]]:
        lines = self.runs[run][1].read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def pages_to(self, address: str, run: int) -> int:
        return sum(1 for e in self.log_entries(run) if e.get("event") == "page" and e.get("to") == address)

    def kill(self) -> None:
        process = self.runs[-1][0]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def terminate(self) -> int:
        """SIGTERM, as an orchestrator stops a replica; returns the exit code."""
        process = self.runs[-1][0]
        process.send_signal(signal.SIGTERM)
        return process.wait(30)

    def stop(self) -> None:
        for process, _ in self.runs:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


class Replicas:
    """Several `pager serve` processes on one database, each in a directory (and on a port) of its own."""

    def __init__(self, root: Path, count: int, env: dict[str, str], config_text: str) -> None:
        self.servers: list[Server] = []
        for i in range(count):
            home = root / f"replica{i}"
            home.mkdir()
            self.servers.append(Server(home, env, config_text))

    def start(self) -> None:
        for server in self.servers:
            server.spawn()
        for server in self.servers:
            wait_for(server.healthy, 30, f"{server.url} to answer /healthz")

    def leaders(self) -> list[Server]:
        """The running replicas that say (in /readyz) they run the escalation timer."""
        return [s for s in self.servers if s.running and s.readiness()[1]["leading"]]

    def leader(self, timeout: float = 15) -> Server:
        wait_for(lambda: len(self.leaders()) == 1, timeout, "exactly one replica to lead")
        return self.leaders()[0]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
