"""Real processes for the worker tests: a private Redis, Celery worker and beat, and a client.

Everything listens on 127.0.0.1 on a free port, runs in its own session (so that it can be
killed, with its children, by its own process id) and writes its log to the test's folder. Never
the machine's shared Redis: other developers use it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import redis

REPOSITORY = Path(__file__).resolve().parents[2]
REDIS_SERVER = Path("/usr/bin/redis-server")
CELERY = Path(sys.executable).with_name("celery")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


def database_url(settings_dict: dict) -> str:
    """The URL of the database the test runs on (the test database, not the configured one)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{settings_dict['NAME']}"


class Managed:
    """A process started by a test and stopped (SIGKILL, by its own id) when done with."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def _start(self, command: list[str], env: dict[str, str]) -> None:
        log = open(self.log_path, "ab")  # the child writes to its own copy of the descriptor
        try:
            self.process = subprocess.Popen(
                command, cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no flush, as a machine failure would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class PrivateRedis(Managed):
    """A throwaway redis-server without persistence: a kill loses everything it held."""

    def __init__(self, folder: Path) -> None:
        super().__init__("redis", folder / "redis.log")
        self.folder = folder
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._start(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            env={"PATH": os.environ.get("PATH", "")},
        )
        wait_until(self.answers, timeout=10, what="the private redis-server to answer")

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def queued_messages(self) -> int:
        return redis.Redis.from_url(self.url, socket_timeout=2).llen("celery")


class Worker(Managed):
    """``celery -A portal worker --pool solo``: one task at a time, in the worker process itself."""

    def __init__(self, folder: Path, env: dict[str, str], name: str = "worker") -> None:
        super().__init__(name, folder / f"{name}.log")
        self.env = env
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self._start(
            [str(CELERY), "-A", "portal", "worker", "--pool", "solo", "-l", "info",
             "-n", f"outbox-test-{os.getpid()}-{self.starts}@%h",
             "--without-mingle", "--without-gossip"],
            self.env,
        )
        marker = f"outbox-test-{os.getpid()}-{self.starts}@"
        wait_until(lambda: self._ready(marker), timeout=60, what="the Celery worker to be ready")

    def _ready(self, marker: str) -> bool:
        if not self.running:
            raise RuntimeError("the Celery worker exited at start-up:\n" + self.log()[-3000:])
        return any(marker in line and " ready." in line for line in self.log().splitlines())


class Beat(Managed):
    """``celery -A portal beat`` with the file scheduler and the test settings' one-second drain."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        super().__init__("beat", folder / "beat.log")
        self.env = env
        self.folder = folder

    def start(self) -> None:
        self._start(
            [str(CELERY), "-A", "portal", "beat", "-l", "info", "--scheduler", "celery.beat:PersistentScheduler",
             "--schedule", str(self.folder / "beat-schedule")],
            self.env,
        )


def run_client(env: dict[str, str], *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m tests.outbox.worker_client ...``: a web process enqueueing, or sending a drain."""
    return subprocess.run(
        [sys.executable, "-m", "tests.outbox.worker_client", *arguments],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
