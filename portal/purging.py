"""Deleting expired housekeeping rows in batches: short transactions, however large the backlog.

The retention tasks (idempotency keys, delivered outbox messages) call ``purge_in_batches`` with
the query of what has expired. Each batch is one set-based statement,
``DELETE … WHERE <expired> AND id IN (SELECT id … WHERE <expired> LIMIT n)``, committed on its
own together with its audit entry, so a table holding millions of expired rows is never locked
for long and a run stopped half-way leaves nothing inconsistent: the next run deletes the rest
(level-triggered; a doubled run deletes nothing twice).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from portal.audit.services import record_event

# Rows per statement: large enough that a backlog goes in few round trips, small enough that
# each statement holds its row locks for milliseconds.
PURGE_BATCH_SIZE = 1000


def purge_in_batches(expired: QuerySet, *, event_type: str, data: dict[str, Any],
                     batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete every row of ``expired``, ``batch_size`` at a time; return how many went.

    The outer condition repeats the inner one: under READ COMMITTED, PostgreSQL re-checks it on
    the current version of each row, so a row that stopped being expired after the batch was
    chosen is kept. Each batch is recorded (``event_type``, ``data`` plus its ``count``) in the
    transaction that deletes it: the trail says what went, and when, even for housekeeping.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    purged = 0
    while True:
        with transaction.atomic():
            batch = expired.filter(pk__in=expired.order_by().values("pk")[:batch_size])
            _total, per_model = batch.delete()
            count = per_model.get(expired.model._meta.label, 0)
            if count:
                record_event(event_type, actor=None, data={**data, "count": count})
        purged += count
        if count < batch_size:
            return purged
