"""Writing to the outbox and draining it: the only code that changes ``OutboxMessage`` rows.

``enqueue`` is called by other apps' services inside the transaction of their change; it stores
the effect and asks Celery, once that transaction has committed, to drain soon (a fast path only:
a lost nudge delays delivery until beat's next run, it never loses the effect).

``drain`` claims due messages with a conditional update and calls their handlers outside any
transaction of ours, so a handler's own transaction commits or rolls back on its own. Several
drains may run at once (beat's, the nudges', on several workers): on PostgreSQL the claim skips
rows another drain has locked (``FOR UPDATE SKIP LOCKED``); on SQLite the claim's transaction is
``BEGIN IMMEDIATE`` (settings), which serialises it with every other writer. A claimed message
carries a lease; when its worker is killed mid-delivery the lease runs out and the next drain
delivers the message again. Handlers must therefore be idempotent on the key they are given.
"""

from __future__ import annotations

import json
import logging
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.audit.services import record_event
from portal.outbox.choices import OutboxEventType, OutboxStatus
from portal.outbox.models import KEY_MAX_LENGTH, OutboxMessage
from portal.purging import PURGE_BATCH_SIZE, purge_in_batches
from portal.transactions import at_unit_level, before_unit_ends, insert_many_or_skip, insert_or_get, unit_memo

logger = logging.getLogger(__name__)

# Attempts started (claims) after which a message is given up on and an administrator is needed.
# With the backoff below, the twelfth attempt comes about fourteen hours after the first.
MAX_ATTEMPTS = 12
# How long a claimed message belongs to its deliverer. It must exceed the slowest handler (SMTP and
# SMS calls are bounded by their own timeouts, well under this); it is renewed just before each
# handler call, so a message waiting behind others in the same batch does not lose it.
LEASE = timedelta(minutes=5)
# Messages claimed per statement; a batch is delivered one message at a time.
BATCH_SIZE = 10
# A drain stops claiming new batches after this long, so that one run never outlives its beat
# period (one minute) by much; the next run carries on.
DRAIN_TIME_BUDGET_SECONDS = 45
# Exponential backoff after a failed attempt: 30 s, 1 min, 2 min ... at most 6 h, each drawn at
# random from the upper half of its interval so that messages failing together spread out.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
# The admin's health notice: waiting longer than this means background work is not keeping up.
BACKLOG_STALE_AFTER = timedelta(minutes=10)
LAST_ERROR_MAX_LENGTH = 4000


class NotInTransaction(RuntimeError):
    """``enqueue`` was called outside a transaction, where it could not commit with the change."""


class UnknownKind(ValueError):
    """No handler is configured for this kind in ``settings.OUTBOX_HANDLERS``."""


# --- Writing -------------------------------------------------------------------------------


def handler_for(kind: str) -> Callable[[dict, str], None]:
    """The handler configured for ``kind``: a callable taking (payload, idempotency key)."""
    try:
        path = settings.OUTBOX_HANDLERS[kind]
    except KeyError:
        raise UnknownKind(f"no outbox handler for kind {kind!r}; add it to settings.OUTBOX_HANDLERS") from None
    return import_string(path)


def enqueue(kind: str, *, key: str, payload: dict) -> OutboxMessage:
    """Store a side effect to deliver at least once after the caller's transaction commits.

    Must run inside that transaction (the effect exists exactly when the change does). Keys are
    global across kinds, so callers namespace them ("approvals.application:42:accepted"). A key
    already stored returns the stored message unchanged: the effect was already asked for. The
    same key under another kind is refused, as it would silently drop one of two effects.
    Payloads carry ids and small values, not personal data: the handler reads the rest.
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(
            "outbox.enqueue must run inside the transaction of the change it belongs to "
            "(wrap the service in transaction.atomic())"
        )
    if kind not in settings.OUTBOX_HANDLERS:
        raise UnknownKind(f"no outbox handler for kind {kind!r}; add it to settings.OUTBOX_HANDLERS")
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"an idempotency key of 1 to {KEY_MAX_LENGTH} characters is required")
    if not isinstance(payload, dict):
        raise ValueError("the payload must be a JSON object (a dict)")
    json.dumps(payload)  # refuse now what could not be stored, rather than at delivery
    if at_unit_level():
        # Inside a service: stored with the unit's other messages in one statement as it ends.
        memo = unit_memo()
        pending = memo.setdefault(_PENDING, {})
        message = pending.setdefault(key, OutboxMessage(idempotency_key=key, kind=kind, payload=payload))
        if message.kind != kind:
            raise ValueError(f"idempotency key {key!r} is already used by kind {message.kind!r}")
        before_unit_ends(_PENDING, lambda: _write_pending(memo))
        return message
    # A concurrent insert of the same key makes ours wait for its commit on the unique index,
    # yield, and read the committed row instead.
    message, created = insert_or_get(OutboxMessage(idempotency_key=key, kind=kind, payload=payload),
                                     "idempotency_key")
    if message.kind != kind:
        raise ValueError(f"idempotency key {key!r} is already used by kind {message.kind!r}")
    if created:
        _drain_after_commit()
    return message


# The unit memo's messages to store as the unit ends, by key.
_PENDING = "outbox.pending"


def _write_pending(memo: dict) -> None:
    """Store a unit's messages; a key stored before keeps its message (the effect was already
    asked for), unless it was asked for under another kind."""
    pending = memo.pop(_PENDING, {})
    inserted = insert_many_or_skip(list(pending.values()), "idempotency_key")
    if len(inserted) < len(pending):
        skipped = set(pending) - {message.idempotency_key for message in inserted}
        for key, kind in OutboxMessage.objects.filter(idempotency_key__in=skipped).values_list("idempotency_key",
                                                                                                "kind"):
            if kind != pending[key].kind:
                raise ValueError(f"idempotency key {key!r} is already used by kind {kind!r}")
    if inserted:
        _drain_after_commit()


# After a nudge failed, this process sends none for a while: reaching a broker that is down costs
# the committing request seconds (kombu's connection attempts), and beat delivers meanwhile.
NUDGE_PAUSE_AFTER_FAILURE_SECONDS = 30
_nudges_paused_until = 0.0
# A nudge costs a publish to the broker (a couple of milliseconds). A drain takes every message
# due, so under load one nudge a moment from each process is enough; a commit whose nudge was
# skipped is delivered by the next nudge from any process, or at the latest by beat's run.
NUDGE_INTERVAL_SECONDS = 0.25
_last_nudge_at = -NUDGE_INTERVAL_SECONDS


def _drain_soon() -> None:
    """Nudge a worker to drain now. Losing the nudge (broker down) only delays delivery until
    beat's next run, so it is logged, not raised into the request that committed."""
    global _nudges_paused_until, _last_nudge_at
    from portal.outbox.tasks import drain_outbox

    now = time.monotonic()
    if now < _nudges_paused_until or now - _last_nudge_at < NUDGE_INTERVAL_SECONDS:
        return
    _last_nudge_at = now
    try:
        # No publish retries: a web request should not wait on a broker that is down.
        drain_outbox.apply_async(retry=False)
    except Exception:
        _nudges_paused_until = time.monotonic() + NUDGE_PAUSE_AFTER_FAILURE_SECONDS
        logger.warning("could not nudge the outbox drain; beat's next run delivers instead", exc_info=True)


def _drain_after_commit() -> None:
    # One nudge per transaction, however many messages it enqueues. A callback registered inside
    # a savepoint that rolled back is already gone from the list, so this never skips wrongly.
    connection = transaction.get_connection()
    if not any(callback is _drain_soon for _savepoints, callback, _robust in connection.run_on_commit):
        transaction.on_commit(_drain_soon)


# --- Draining ------------------------------------------------------------------------------


@dataclass
class DrainReport:
    delivered: int = 0
    failed: int = 0  # will be tried again after a backoff
    dead: int = 0
    lost: int = 0  # another drain took the message over after this one's lease ran out
    batches: int = field(default=0, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead, "lost": self.lost}


def drain(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    time_budget_seconds: float = DRAIN_TIME_BUDGET_SECONDS,
) -> DrainReport:
    """Deliver due messages until none is due or the time budget is spent.

    ``now`` fixes the clock (tests); by default each step reads the current time.
    """

    def clock() -> datetime:
        return now or timezone.now()

    report = DrainReport()
    report.dead += _bury_abandoned(clock())
    started = time.monotonic()
    while time.monotonic() - started < time_budget_seconds:
        claimed = claim_due(now=clock(), limit=batch_size)
        if not claimed:
            break
        report.batches += 1
        for message in claimed:
            outcome = _deliver(message, clock)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def claim_due(*, now: datetime, limit: int = BATCH_SIZE) -> list[OutboxMessage]:
    """Mark up to ``limit`` due messages as being delivered by the caller and return them.

    The rows are selected ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so concurrent drains take
    disjoint batches without waiting for each other, then updated under the same due condition;
    the returned rows carry their new ``attempts``, which identifies this claim.
    """
    due = OutboxMessage.objects.due(now, max_attempts=MAX_ATTEMPTS)
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True).order_by("available_at", "id").values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        # The due condition is repeated so that the update stays correct where FOR UPDATE is
        # not available: it only ever claims what is still due when it runs.
        due.filter(id__in=ids).update(
            status=OutboxStatus.DELIVERING, attempts=F("attempts") + 1, lease_until=now + LEASE
        )
        return list(
            OutboxMessage.objects.filter(id__in=ids, status=OutboxStatus.DELIVERING, lease_until=now + LEASE)
            .order_by("available_at", "id")
        )


def _ours(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    """The message as long as this claim still holds it (no other drain re-claimed it since)."""
    return OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.DELIVERING, attempts=message.attempts)


def _deliver(message: OutboxMessage, clock: Callable[[], datetime]) -> str:
    # The lease runs from now, not from when the batch was claimed.
    if not _ours(message).update(lease_until=clock() + LEASE):
        logger.warning("outbox message %s was taken over by another drain before delivery", message.pk)
        return "lost"
    try:
        handler = handler_for(message.kind)
        handler(message.payload, message.idempotency_key)
    except Exception as error:  # any failure of the handler is a failed attempt, retried later
        logger.warning(
            "outbox message %s (%s) failed on attempt %s", message.pk, message.kind, message.attempts, exc_info=True
        )
        return _record_failure(message, error, clock())
    if not _ours(message).update(status=OutboxStatus.DELIVERED, delivered_at=clock(), lease_until=None):
        # This run overran its lease and another drain claimed the message: it was (or will be)
        # delivered twice, which the handler's idempotency absorbs. The other drain records it.
        logger.warning("outbox message %s was delivered after its lease ran out", message.pk)
        return "lost"
    return "delivered"


def backoff_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: exponential, capped, jittered."""
    ceiling = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return ceiling * random.uniform(0.5, 1.0)


def _describe(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    # The end of a traceback says most: what was raised, from where.
    return text if len(text) <= LAST_ERROR_MAX_LENGTH else "…" + text[-(LAST_ERROR_MAX_LENGTH - 1):]


def _record_failure(message: OutboxMessage, error: BaseException, now: datetime) -> str:
    error_text = _describe(error)
    if message.attempts >= MAX_ATTEMPTS:
        with transaction.atomic():
            if not _ours(message).update(status=OutboxStatus.DEAD, lease_until=None, last_error=error_text):
                return "lost"
            _record_dead(message, reason=type(error).__name__)
        return "dead"
    updated = _ours(message).update(
        status=OutboxStatus.PENDING,
        lease_until=None,
        available_at=now + backoff_delay(message.attempts),
        last_error=error_text,
    )
    return "failed" if updated else "lost"


def _record_dead(message: OutboxMessage, *, reason: str) -> None:
    # Only the error's type enters the append-only trail: its text may carry an address.
    record_event(
        OutboxEventType.MESSAGE_DEAD,
        actor=None,
        target=message,
        data={
            "kind": message.kind,
            "idempotency_key": message.idempotency_key,
            "attempts": message.attempts,
            "reason": reason,
        },
    )


def _bury_abandoned(now: datetime) -> int:
    """Mark dead the messages whose last allowed attempt never finished (the worker died)."""
    buried = 0
    for message in OutboxMessage.objects.abandoned(now, max_attempts=MAX_ATTEMPTS).order_by("id")[:BATCH_SIZE]:
        error_text = (message.last_error + "\n" if message.last_error else "") + (
            "the lease ran out on the last allowed attempt: the worker stopped while delivering"
        )
        with transaction.atomic():
            updated = OutboxMessage.objects.filter(
                pk=message.pk, status=OutboxStatus.DELIVERING, attempts=message.attempts, lease_until__lt=now
            ).update(status=OutboxStatus.DEAD, lease_until=None, last_error=error_text)
            if updated:
                _record_dead(message, reason="lease expired")
                buried += 1
    return buried


# --- Administration ------------------------------------------------------------------------


def retry_dead(messages: QuerySet[OutboxMessage], *, actor) -> int:
    """Give the dead messages among ``messages`` a fresh set of attempts, starting now.

    For after the cause was fixed (a provider's outage, a wrong address). Recorded per message.
    """
    with transaction.atomic():
        dead = list(messages.filter(status=OutboxStatus.DEAD).select_for_update().order_by("id"))
        for message in dead:
            record_event(
                OutboxEventType.MESSAGE_RETRIED,
                actor=actor,
                target=message,
                data={"kind": message.kind, "idempotency_key": message.idempotency_key,
                      "attempts": message.attempts},
            )
        OutboxMessage.objects.filter(pk__in=[message.pk for message in dead]).update(
            status=OutboxStatus.PENDING, attempts=0, available_at=timezone.now(), lease_until=None
        )
        if dead:
            _drain_after_commit()
    return len(dead)


def purge_delivered(*, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete messages delivered more than ``settings.OUTBOX_DELIVERED_RETENTION_DAYS`` ago.

    Daily, from beat; in batches (``portal.purging``). Only delivered messages go: pending and
    delivering ones are still to be delivered, and dead ones wait for an administrator to look
    at them and retry (``retry_dead``), however old. No drain touches a delivered row again, so
    purging races with nothing. Once a message is gone its key can be enqueued anew; effects are
    enqueued once, when their event happens, and receivers dedupe on the key in any case.
    """
    retention_days = settings.OUTBOX_DELIVERED_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    return purge_in_batches(
        OutboxMessage.objects.delivered_before(cutoff),
        event_type=OutboxEventType.DELIVERED_PURGED,
        data={"delivered_before": timezone.localtime(cutoff).isoformat(), "retention_days": retention_days},
        batch_size=batch_size,
    )


@dataclass(frozen=True)
class Backlog:
    """The health of background work, as the outbox sees it."""

    pending: int
    delivering: int
    dead: int
    oldest_undelivered_since: datetime | None
    measured_at: datetime

    @property
    def oldest_undelivered_age(self) -> timedelta | None:
        if self.oldest_undelivered_since is None:
            return None
        return max(self.measured_at - self.oldest_undelivered_since, timedelta(0))

    @property
    def healthy(self) -> bool:
        """Nothing dead and nothing waiting for longer than ``BACKLOG_STALE_AFTER``."""
        age = self.oldest_undelivered_age
        return self.dead == 0 and (age is None or age <= BACKLOG_STALE_AFTER)


def backlog(*, now: datetime | None = None) -> Backlog:
    """Counts per unfinished status and since when the oldest undelivered message waits (one query)."""
    undelivered = Q(status__in=[OutboxStatus.PENDING, OutboxStatus.DELIVERING])
    figures = OutboxMessage.objects.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.DELIVERING, OutboxStatus.DEAD]
    ).aggregate(
        pending=Count("id", filter=Q(status=OutboxStatus.PENDING)),
        delivering=Count("id", filter=Q(status=OutboxStatus.DELIVERING)),
        dead=Count("id", filter=Q(status=OutboxStatus.DEAD)),
        oldest=Min("created_at", filter=undelivered),
    )
    return Backlog(
        pending=figures["pending"],
        delivering=figures["delivering"],
        dead=figures["dead"],
        oldest_undelivered_since=figures["oldest"],
        measured_at=now or timezone.now(),
    )
