"""Retention: delivered messages go after 30 days, in batches; waiting and dead ones stay for ever."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.audit.models import AuditEntry
from portal.outbox import services
from portal.outbox.choices import OutboxEventType, OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import MAX_ATTEMPTS, claim_due, drain, enqueue, purge_delivered

BEIJING = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

PURGE_RUN = datetime(2025, 9, 20, 4, 50, tzinfo=BEIJING)  # cutoff: delivered before 2025-08-21 04:50


def delivered_at(moment: datetime, key: str) -> OutboxMessage:
    with time_machine.travel(moment, tick=False):
        message = enqueue("test.dedupe", key=key, payload={})
        drain()
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED
    return message


def keys() -> set[str]:
    return set(OutboxMessage.objects.values_list("idempotency_key", flat=True))


def old_undelivered() -> None:
    """Messages from July that never got through: one waiting, one being delivered, one dead.

    Made last: a later drain would take over the one being delivered once its lease ran out."""
    july = datetime(2025, 7, 1, 9, tzinfo=BEIJING)
    with time_machine.travel(july, tick=False):
        enqueue("test.dedupe", key="old-pending", payload={})
        OutboxMessage.objects.filter(idempotency_key="old-pending").update(available_at=july + timedelta(days=365))
        enqueue("test.broken", key="old-dead", payload={})
    now = july
    for _ in range(MAX_ATTEMPTS):
        drain(now=now)
        now += services.BACKOFF_CAP + timedelta(seconds=1)
    with time_machine.travel(july, tick=False):
        enqueue("test.dedupe", key="old-delivering", payload={})
        claim_due(now=july)  # a worker claimed it and never came back
    assert dict(OutboxMessage.objects.filter(idempotency_key__startswith="old-")
                .values_list("idempotency_key", "status")) == {
        "old-pending": OutboxStatus.PENDING, "old-delivering": OutboxStatus.DELIVERING,
        "old-dead": OutboxStatus.DEAD}


def test_delivered_messages_past_thirty_days_go_and_everything_else_stays(ledger):
    delivered_at(datetime(2025, 8, 1, 9, tzinfo=BEIJING), "delivered-august")
    delivered_at(datetime(2025, 8, 21, 4, 49, tzinfo=BEIJING), "delivered-just-past")
    delivered_at(datetime(2025, 8, 21, 4, 51, tzinfo=BEIJING), "delivered-just-within")
    delivered_at(datetime(2025, 9, 19, 9, tzinfo=BEIJING), "delivered-yesterday")
    old_undelivered()

    purged = purge_delivered(now=PURGE_RUN)

    assert purged == 2
    assert keys() == {"old-pending", "old-delivering", "old-dead", "delivered-just-within", "delivered-yesterday"}
    entry = AuditEntry.objects.get(event_type=OutboxEventType.DELIVERED_PURGED)
    assert entry.data == {"delivered_before": "2025-08-21T04:50:00+08:00", "retention_days": 30, "count": 2}


def test_a_large_backlog_goes_in_batches_of_one_statement_each(ledger):
    for number in range(5):
        delivered_at(datetime(2025, 8, 1, 9, number, tzinfo=BEIJING), f"delivered-{number}")
    delivered_at(datetime(2025, 9, 19, 9, tzinfo=BEIJING), "delivered-yesterday")

    with CaptureQueriesContext(connection) as queries:
        purged = purge_delivered(now=PURGE_RUN, batch_size=2)

    assert purged == 5
    assert keys() == {"delivered-yesterday"}
    deletes = [query["sql"] for query in queries if query["sql"].startswith('DELETE FROM "outbox_outboxmessage"')]
    assert len(deletes) == 3  # 2 + 2 + 1: the short batch ends the run
    assert all("LIMIT 2" in sql for sql in deletes)
    counts = AuditEntry.objects.filter(event_type=OutboxEventType.DELIVERED_PURGED).order_by("pk")
    assert [entry.data["count"] for entry in counts] == [2, 2, 1]


def test_nothing_to_purge_records_nothing(ledger):
    delivered_at(datetime(2025, 9, 19, 9, tzinfo=BEIJING), "delivered-yesterday")

    assert purge_delivered(now=PURGE_RUN) == 0
    assert keys() == {"delivered-yesterday"}
    assert not AuditEntry.objects.filter(event_type=OutboxEventType.DELIVERED_PURGED).exists()


def test_the_task_uses_the_configured_retention(ledger, settings):
    from portal.outbox.tasks import purge_delivered_outbox

    settings.OUTBOX_DELIVERED_RETENTION_DAYS = 3
    delivered_at(datetime(2025, 9, 16, 9, tzinfo=BEIJING), "delivered-four-days-ago")
    delivered_at(datetime(2025, 9, 18, 9, tzinfo=BEIJING), "delivered-two-days-ago")

    with time_machine.travel(PURGE_RUN, tick=False):
        assert purge_delivered_outbox.apply().get() == 1

    assert keys() == {"delivered-two-days-ago"}
    assert AuditEntry.objects.get(event_type=OutboxEventType.DELIVERED_PURGED).data["retention_days"] == 3
