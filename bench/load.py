"""The bench's load and its figures: concurrent users in a closed loop, and latency percentiles.

Each of ``concurrency`` users repeats one iteration (a window intake, a whole online filing) until
the time is up; an iteration under way then runs to its end, and the wall time includes that
tail, so throughput is completed iterations over the whole time spent. A failed iteration is
counted and the first one's description kept, for finding out why.
"""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.browser import Failure


@dataclass
class LoopRun:
    concurrency: int
    wall: float = 0.0
    durations: list[float] = field(default_factory=list)  # of the completed iterations, in seconds
    failed: int = 0
    first_failure: str | None = None

    @property
    def completed(self) -> int:
        return len(self.durations)

    def per_second(self) -> float:
        return round(self.completed / self.wall, 1)

    def failure_fields(self) -> dict:
        return {"first_failure": self.first_failure} if self.first_failure else {}


async def closed_loop(concurrency: int, seconds: float, iteration: Callable[[int], Awaitable[None]]) -> LoopRun:
    """Run ``iteration(user_index)`` back to back in each of ``concurrency`` users for ``seconds``."""
    run = LoopRun(concurrency)
    stop = time.monotonic() + seconds

    async def user(index: int) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                await iteration(index)
            except (Failure, OSError) as error:
                run.failed += 1
                run.first_failure = run.first_failure or f"{type(error).__name__}: {error}"
            else:
                run.durations.append(time.perf_counter() - started)

    began = time.monotonic()
    await asyncio.gather(*(user(index) for index in range(concurrency)))
    run.wall = time.monotonic() - began
    return run


def latency_summary(seconds: list[float], *, prefix: str = "") -> dict[str, float | None]:
    """p50/p95/p99 and mean of ``seconds`` in milliseconds, keyed ``{prefix}p50_ms`` and so on.

    The p-th percentile is the sorted sample at index ⌊p/100 · n⌋ (the last one at most), a shade
    pessimistic for small samples.
    """
    ordered = sorted(seconds)

    def percentile(p: float) -> float:
        if not ordered:
            return float("nan")
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

    return {f"{prefix}p50_ms": percentile(50), f"{prefix}p95_ms": percentile(95), f"{prefix}p99_ms": percentile(99),
            f"{prefix}mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None}
