"""The portal under gunicorn on a free loopback port, for the benches that measure over HTTP."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict, *, workers: int | None = None):
    """Start gunicorn (``2 × cores + 1`` workers unless given), wait until it accepts connections,
    yield (process, port), and stop it."""
    port = free_port()
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "portal.wsgi:application", "-b", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)
