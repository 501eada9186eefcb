"""Concurrency on PostgreSQL: real threads with their own connections.

Many writers on one chain must produce one linear chain; a writer on one chain must not wait for
a writer on another; and a sealer running among writers must never seal a range that later gains
an entry committed out of id order.
"""

import random
import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from portal.audit.models import AuditEntry, SealBlock
from portal.audit.services import SealLockBusy, record_event, seal_audit_trail, verify_all, verify_chain
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers anyway"),
]

THREADS = 8
WRITES_PER_THREAD = 25


def test_concurrent_writers_on_one_chain_produce_a_linear_chain():
    # given 8 writers, each with its own connection, appending 25 entries to one chain
    def write(index: int) -> None:
        for number in range(WRITES_PER_THREAD):
            with transaction.atomic():
                record_event(
                    "catalogue.item.updated",
                    actor=None,
                    chain="catalogue.item:1",
                    data={"writer": index, "n": number},
                )

    # when
    errors = run_in_threads(write, THREADS)
    # then no write failed, seqs are 1..200 with no fork, and the chain verifies
    assert errors == []
    seqs = list(
        AuditEntry.objects.filter(chain="catalogue.item:1").order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, THREADS * WRITES_PER_THREAD + 1))
    result = verify_chain("catalogue.item:1")
    assert (result.ok, result.entries_checked) == (True, THREADS * WRITES_PER_THREAD)


def test_writer_on_another_chain_does_not_wait_for_an_open_transaction():
    # given a writer on chain A that holds its transaction open
    recorded, release = threading.Event(), threading.Event()

    def hold_chain_a(index: int) -> None:
        with transaction.atomic():
            record_event("catalogue.item.updated", actor=None, chain="catalogue.item:A")
            recorded.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=lambda: (hold_chain_a(0), connections.close_all()))
    holder.start()
    try:
        assert recorded.wait(timeout=10)
        # when a writer on chain B records, refusing to wait for any lock longer than a second
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            entry = record_event("catalogue.item.updated", actor=None, chain="catalogue.item:B")
        elapsed = time.monotonic() - started
        # then it succeeded at once
        assert entry.seq == 1
        assert elapsed < 1.0
        # and (the control) a writer on chain A would indeed have had to wait
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            record_event("catalogue.item.updated", actor=None, chain="catalogue.item:A")
    finally:
        release.set()
        holder.join(timeout=30)
    assert list(AuditEntry.objects.order_by("chain").values_list("chain", "seq")) == [
        ("catalogue.item:A", 1),
        ("catalogue.item:B", 1),
    ]


def test_sealer_among_writers_seals_only_settled_ranges():
    # given seven writers on three chains, whose commits interleave out of id order, and a
    # sealer running in a loop among them
    writers = THREADS - 1
    writers_left = [writers]
    counter_lock = threading.Lock()
    blocks_sealed_during_writes: list[int] = []

    def writer_or_sealer(index: int) -> None:
        if index == 0:
            while writers_left[0]:
                try:
                    block = seal_audit_trail(wait_seconds=0.5)
                except SealLockBusy:
                    block = None
                if block is not None:
                    blocks_sealed_during_writes.append(block.number)
                time.sleep(0.001)
            return
        try:
            for number in range(WRITES_PER_THREAD):
                with transaction.atomic():
                    record_event("catalogue.item.updated", actor=None, chain=f"catalogue.item:{number % 3}")
                    time.sleep(random.uniform(0, 0.003))  # commits interleave out of id order
        finally:
            with counter_lock:
                writers_left[0] -= 1

    # when
    errors = run_in_threads(writer_or_sealer, THREADS)
    seal_audit_trail()
    # then every entry was sealed exactly once and the whole trail verifies
    assert errors == []
    assert blocks_sealed_during_writes != []
    result = verify_all()
    assert result.problems == []
    assert (result.entries_checked, result.chains_checked, result.unsealed_entries) == (
        writers * WRITES_PER_THREAD,
        3,
        0,
    )
    assert sum(SealBlock.objects.values_list("entry_count", flat=True)) == writers * WRITES_PER_THREAD
