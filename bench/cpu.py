"""CPU spent by the stack under test, per unit of work: a figure that other load cannot bend.

Throughput on a shared machine says as much about the neighbours as about the portal. The CPU
time that the portal's own processes spend — the gunicorn master and workers, the PostgreSQL
backends serving the bench's database, and the load driver itself — divided by the work done is
the cost of one intake; the machine's cores divided by that cost is the throughput it can carry
when nothing else runs. Read from /proc (Linux), in clock ticks.
"""

import os
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children")
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


def _postgres_backends(database: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if command.startswith("postgres: ") and f" {database} " in command:
            pids.append(int(entry.name))
    return pids


class StackCpu:
    """Snapshots of the CPU seconds of the server tree, the database's backends and this driver."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid, self.database = server_pid, database

    def snapshot(self) -> dict[str, dict[int, int]]:
        """Ticks per process, grouped: the web server tree and the database's backends."""
        groups = {"web": [self.server_pid, *_children(self.server_pid)], "db": _postgres_backends(self.database)}
        ticks: dict[str, dict[int, int]] = {}
        for group, pids in groups.items():
            ticks[group] = {}
            for pid in pids:
                try:
                    ticks[group][pid] = _ticks(pid)
                except OSError:
                    continue  # ended meanwhile
        return ticks

    @staticmethod
    def driver_seconds() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def seconds_between(self, before: dict, after: dict) -> dict[str, float]:
        """CPU seconds per group spent between two snapshots by processes seen in the second (a
        process that started in between counts from zero)."""
        return {group: sum(ticks - before[group].get(pid, 0) for pid, ticks in after[group].items()) / TICKS
                for group in after}
