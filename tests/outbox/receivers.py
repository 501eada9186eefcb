"""Outbox handlers used by the tests: receivers that dedupe on the key, and ones that fail.

The in-memory ``LEDGER`` serves tests in this process (threads included); ``file_ledger`` serves
the real Celery worker in another process, recording into a folder named by the payload.
"""

import hashlib
import os
import threading
import time
from collections import Counter
from pathlib import Path


class Ledger:
    """What the receivers saw: every call, and every effect actually applied."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.calls: Counter[str] = Counter()
        self.effects: Counter[str] = Counter()
        self.payloads: dict[str, dict] = {}

    def record_call(self, payload: dict, key: str) -> None:
        with self.lock:
            self.calls[key] += 1
            self.payloads[key] = payload

    def apply_once(self, key: str) -> bool:
        """The receiver's dedupe: the effect of a key is applied the first time only."""
        with self.lock:
            if key in self.effects:
                return False
            self.effects[key] += 1
            return True


LEDGER = Ledger()


class ReceiverFailure(Exception):
    pass


def deduplicating_receiver(payload: dict, key: str) -> None:
    LEDGER.record_call(payload, key)
    time.sleep(payload.get("sleep", 0))
    LEDGER.apply_once(key)


def flaky_receiver(payload: dict, key: str) -> None:
    """Fails the first ``fail_times`` calls for a key, then applies the effect."""
    LEDGER.record_call(payload, key)
    if LEDGER.calls[key] <= payload.get("fail_times", 0):
        raise ReceiverFailure(f"provider unavailable (call {LEDGER.calls[key]})")
    LEDGER.apply_once(key)


def broken_receiver(payload: dict, key: str) -> None:
    LEDGER.record_call(payload, key)
    raise ReceiverFailure("provider refuses this message")


def _append_line(path: Path, line: str) -> None:
    # O_APPEND writes of one short line are atomic, whichever process writes.
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")


def file_ledger(payload: dict, key: str) -> None:
    """For the worker tests: logs the call, applies the effect once per key (an O_EXCL marker file
    is the dedupe record), then sleeps, so a kill can land after the effect and before the outbox
    records the delivery."""
    ledger = Path(payload["ledger"])
    _append_line(ledger / "calls.log", key)
    time.sleep(payload.get("sleep_before", 0))
    marker = ledger / "applied" / hashlib.sha256(key.encode()).hexdigest()
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        _append_line(ledger / "duplicates.log", key)
    else:
        _append_line(ledger / "effects.log", key)
    time.sleep(payload.get("sleep_after", 0))


TEST_HANDLERS = {
    "test.dedupe": "tests.outbox.receivers.deduplicating_receiver",
    "test.flaky": "tests.outbox.receivers.flaky_receiver",
    "test.broken": "tests.outbox.receivers.broken_receiver",
    "test.file_ledger": "tests.outbox.receivers.file_ledger",
}
