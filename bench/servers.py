"""The processes under test: `pager serve` and the bare endpoint, each on a free port, and their databases."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from adapters.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A server process on a free port, logging to a file, with its peak memory readable while it runs."""

    def __init__(self, command: list[str], workdir: Path, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PAGER_")}
        self.env.update(env, PYTHONUNBUFFERED="1")
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.env["PAGER_BIND"] = f"127.0.0.1:{self.port}"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_healthy(timeout=60)
        except RuntimeError:
            self.stop()
            raise
        self.start_rss_mb = self.peak_rss_mb()  # starting up (reading the config, say) may be the peak

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /healthz within {timeout} s")

    def peak_rss_mb(self) -> float:
        """The process's peak resident set size so far (Linux VmHWM)."""
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def log_entries(self) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


# The storm offers 10,000 alerts for one service within 10 s, over the default per-service rate limit: the
# limiter stays in the path (its cost is measured) but never refuses, so the storm measures the pager.
RATE_LIMIT = {"PAGER_RATE_LIMIT": "100000", "PAGER_RATE_BURST": "100000"}


@contextlib.contextmanager
def pager_server(
    workdir: Path, config_text: str, database_url: str, name: str, env: dict[str, str] | None = None
) -> Iterator[Process]:
    """`pager serve` with `config_text`, JSON logs, default bundling and sweep, a rate limit never hit;
    `env` adds settings (a provider's fake, say)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{name}.yaml"
    config.write_text(config_text)
    env = {"PAGER_DATABASE_URL": database_url, "PAGER_LOG_FORMAT": "json", **RATE_LIMIT, **(env or {})}
    process = Process([sys.executable, "-m", "bot", "serve", "--config", str(config)], workdir, env, name)
    try:
        yield process
    finally:
        process.stop()


@contextlib.contextmanager
def bare_server(workdir: Path) -> Iterator[Process]:
    """The ceiling: uvicorn + FastAPI answering 202 and nothing else."""
    workdir.mkdir(parents=True, exist_ok=True)
    process = Process([sys.executable, "-m", "bench.bare"], workdir, {}, "bare")
    try:
        yield process
    finally:
        process.stop()


@contextlib.contextmanager
def database(kind: str, workdir: Path, postgres_url: str) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL database created here and dropped after."""
    if kind == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    server = make_engine(postgres_url)
    name = f"pager_bench_{secrets.token_hex(6)}"
    try:
        _autocommit(server, f'CREATE DATABASE "{name}"')
        try:
            yield server.url.set(database=name).render_as_string(hide_password=False)
        finally:
            _autocommit(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.dispose()


def _autocommit(engine: Engine, statement: str) -> None:
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(statement))


def postgres_version(postgres_url: str) -> str:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()
