"""Concurrency on PostgreSQL: drainers and writers in real threads, each with its own connection."""

import threading

import pytest
from django.db import connection, transaction

from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import drain, enqueue
from tests.threads import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers anyway"),
]

MESSAGES = 120


def test_concurrent_drainers_deliver_each_message_exactly_once(ledger):
    # given 120 due messages whose handler takes a moment, so that claims interleave
    with transaction.atomic():
        for number in range(MESSAGES):
            enqueue("test.dedupe", key=f"k-{number:03d}", payload={"sleep": 0.005})
    reports = []
    # when four drainers run at once, claiming small batches
    errors = run_in_threads(lambda index: reports.append(drain(batch_size=3)), 4)
    # then every message was delivered, and every handler called exactly once
    assert errors == []
    assert sum(report.delivered for report in reports) == MESSAGES
    assert sum(report.lost for report in reports) == 0
    assert all(report.delivered > 0 for report in reports), "the drainers did not overlap"
    assert ledger.calls == {f"k-{number:03d}": 1 for number in range(MESSAGES)}
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxStatus.DELIVERED, 1)}


def test_concurrent_enqueues_of_one_key_store_one_message():
    # given eight transactions enqueueing the same effect at the same moment
    results = []
    entered = threading.Barrier(8)

    def write(index: int) -> None:
        with transaction.atomic():
            entered.wait(timeout=30)
            results.append(enqueue("test.dedupe", key="approvals.application:42:accepted", payload={"by": index}))

    # when
    errors = run_in_threads(write, 8)
    # then none failed, one message is stored, and all got it back
    assert errors == []
    stored = OutboxMessage.objects.get()
    assert {message.pk for message in results} == {stored.pk}
