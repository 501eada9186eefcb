"""Draining: at least once, with leases, backoff, and a dead end after the last attempt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.audit.models import AuditEntry
from portal.outbox import services
from portal.outbox.choices import OutboxEventType, OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import LEASE, MAX_ATTEMPTS, claim_due, drain, enqueue

pytestmark = pytest.mark.django_db


def test_drain_delivers_with_payload_and_key(ledger):
    # given
    message = enqueue("test.dedupe", key="k-1", payload={"case": 42})
    # when
    report = drain()
    # then the handler got (payload, key) once and the message is delivered
    assert report.as_dict() == {"delivered": 1, "failed": 0, "dead": 0, "lost": 0}
    assert ledger.payloads == {"k-1": {"case": 42}}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_until) == (OutboxStatus.DELIVERED, 1, None)
    assert message.delivered_at is not None


def test_a_second_drain_delivers_nothing_again(ledger):
    enqueue("test.dedupe", key="k-1", payload={})
    drain()
    report = drain()
    assert report.as_dict() == {"delivered": 0, "failed": 0, "dead": 0, "lost": 0}
    assert ledger.calls == {"k-1": 1}


def test_messages_not_yet_due_wait():
    # given a message whose next attempt is in an hour
    now = timezone.now()
    message = enqueue("test.dedupe", key="k-1", payload={})
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=now + timedelta(hours=1))
    # when / then
    assert drain(now=now).delivered == 0
    assert drain(now=now + timedelta(hours=1)).delivered == 1


def test_worker_killed_after_the_effect_redelivers_and_the_receiver_applies_once(ledger):
    # given a drain that claimed the message and ran the handler, then died before recording it
    enqueue("test.dedupe", key="k-1", payload={})
    now = timezone.now()
    [claimed] = claim_due(now=now)
    services.handler_for(claimed.kind)(claimed.payload, claimed.idempotency_key)
    # when a drain runs while the lease still holds, it leaves the message alone
    assert drain(now=now + LEASE - timedelta(seconds=1)).delivered == 0
    # and once the lease has run out, it delivers it again
    report = drain(now=now + LEASE + timedelta(seconds=1))
    # then the handler was called twice, the effect applied once
    assert report.delivered == 1
    assert ledger.calls == {"k-1": 2}
    assert ledger.effects == {"k-1": 1}
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)


def test_a_drain_that_lost_its_lease_does_not_call_the_handler(ledger):
    # given a claim whose lease ran out and that another drain then re-claimed
    enqueue("test.dedupe", key="k-1", payload={})
    now = timezone.now()
    [stale] = claim_due(now=now)
    [current] = claim_due(now=now + LEASE + timedelta(seconds=1))
    assert (stale.attempts, current.attempts) == (1, 2)
    # when the first drain gets round to its message
    outcome = services._deliver(stale, lambda: now + LEASE + timedelta(seconds=2))
    # then it sees the message is no longer its own, and the current claim stands
    assert outcome == "lost"
    assert ledger.calls == {}
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERING, 2)


def test_failing_handler_backs_off_exponentially_then_succeeds(ledger):
    # given a receiver that fails twice
    enqueue("test.flaky", key="k-1", payload={"fail_times": 2})
    t0 = timezone.now()
    # when the first attempt fails
    assert drain(now=t0).failed == 1
    message = OutboxMessage.objects.get()
    # then it waits 15-30 s (30 s, jittered down by up to half), with the error kept
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert t0 + timedelta(seconds=15) <= message.available_at <= t0 + timedelta(seconds=30)
    assert "ReceiverFailure: provider unavailable (call 1)" in message.last_error
    # and a drain before then does not try
    assert drain(now=t0 + timedelta(seconds=14)).failed == 0
    # when the second attempt fails, the wait doubles: 30-60 s
    t1 = message.available_at
    assert drain(now=t1).failed == 1
    message.refresh_from_db()
    assert t1 + timedelta(seconds=30) <= message.available_at <= t1 + timedelta(seconds=60)
    # and the third attempt succeeds
    assert drain(now=message.available_at).delivered == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 3)
    assert ledger.calls == {"k-1": 3}
    assert ledger.effects == {"k-1": 1}


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 15, 30), (2, 30, 60), (3, 60, 120), (10, 7680, 15360), (11, 10800, 21600), (12, 10800, 21600)],
)
def test_backoff_is_exponential_capped_and_jittered(attempts, low, high):
    delays = [services.backoff_delay(attempts).total_seconds() for _ in range(200)]
    assert all(low <= delay <= high for delay in delays)
    assert len(set(delays)) > 100  # jittered, not constant


def test_message_is_dead_after_the_last_attempt_and_recorded(ledger):
    # given a receiver that always fails
    message = enqueue("test.broken", key="k-1", payload={})
    now = timezone.now()
    # when beat drains far enough apart for every backoff to have passed
    outcomes = []
    for _ in range(MAX_ATTEMPTS + 2):
        outcomes.append(drain(now=now).as_dict())
        now += services.BACKOFF_CAP + timedelta(seconds=1)
    # then it was tried exactly MAX_ATTEMPTS times and then given up on
    assert [outcome["failed"] for outcome in outcomes] == [1] * (MAX_ATTEMPTS - 1) + [0, 0, 0]
    assert [outcome["dead"] for outcome in outcomes] == [0] * (MAX_ATTEMPTS - 1) + [1, 0, 0]
    assert ledger.calls == {"k-1": MAX_ATTEMPTS}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_until) == (OutboxStatus.DEAD, MAX_ATTEMPTS, None)
    assert "provider refuses this message" in message.last_error
    # and the audit trail says so
    entry = AuditEntry.objects.get(event_type=OutboxEventType.MESSAGE_DEAD)
    assert (entry.target_type, entry.target_id) == ("outbox.outboxmessage", str(message.pk))
    assert entry.data == {"kind": "test.broken", "idempotency_key": "k-1", "attempts": MAX_ATTEMPTS,
                          "reason": "ReceiverFailure"}


def test_message_that_kills_its_worker_every_time_ends_dead(ledger):
    # given a message whose every attempt died with its worker, the last one included
    message = enqueue("test.dedupe", key="k-1", payload={})
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        [claimed] = claim_due(now=now)
        now += LEASE + timedelta(seconds=1)
    assert claimed.attempts == MAX_ATTEMPTS
    # when the next drain runs
    report = drain(now=now)
    # then it is dead without being tried again
    assert report.as_dict() == {"delivered": 0, "failed": 0, "dead": 1, "lost": 0}
    assert ledger.calls == {}
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD
    assert "lease ran out on the last allowed attempt" in message.last_error
    assert AuditEntry.objects.get(event_type=OutboxEventType.MESSAGE_DEAD).data["reason"] == "lease expired"


def test_a_kind_whose_handler_was_removed_fails_like_any_error(settings):
    message = enqueue("test.dedupe", key="k-1", payload={})
    del settings.OUTBOX_HANDLERS["test.dedupe"]
    assert drain().failed == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert "UnknownKind: no outbox handler for kind 'test.dedupe'" in message.last_error


def test_drain_takes_oldest_first_in_batches(ledger):
    now = timezone.now()
    for number in range(25):
        message = enqueue("test.dedupe", key=f"k-{number:02d}", payload={})
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=now - timedelta(seconds=100 - number))
    report = drain(now=now, batch_size=10)
    assert (report.delivered, report.batches) == (25, 3)
    assert list(ledger.calls) == [f"k-{number:02d}" for number in range(25)]


def test_retry_dead_gives_fresh_attempts_and_records_who(ledger, admin_city, drain_nudges):
    # given a dead message and a delivered one
    dead = enqueue("test.broken", key="dead", payload={})
    delivered = enqueue("test.dedupe", key="delivered", payload={})
    OutboxMessage.objects.filter(pk=dead.pk).update(status=OutboxStatus.DEAD, attempts=MAX_ATTEMPTS,
                                                    last_error="boom")
    drain()
    # when an administrator retries both
    count = services.retry_dead(OutboxMessage.objects.all(), actor=admin_city)
    # then only the dead one is back in the queue, due now, with all its attempts
    assert count == 1
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_error) == (OutboxStatus.PENDING, 0, "boom")
    assert dead.available_at <= timezone.now()
    delivered.refresh_from_db()
    assert delivered.status == OutboxStatus.DELIVERED
    entry = AuditEntry.objects.get(event_type=OutboxEventType.MESSAGE_RETRIED)
    assert (entry.actor_username, entry.target_id) == ("admin_city", str(dead.pk))


def test_backlog_reports_counts_and_the_oldest_undelivered_age():
    now = timezone.now()
    old = enqueue("test.dedupe", key="old", payload={})
    enqueue("test.dedupe", key="new", payload={})
    dead = enqueue("test.dedupe", key="dead", payload={})
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=now - timedelta(minutes=30))
    OutboxMessage.objects.filter(pk=dead.pk).update(status=OutboxStatus.DEAD, created_at=now - timedelta(days=2))
    backlog = services.backlog(now=now)
    assert (backlog.pending, backlog.delivering, backlog.dead) == (2, 0, 1)
    assert backlog.oldest_undelivered_age == timedelta(minutes=30)
    assert backlog.healthy is False


def test_empty_backlog_is_healthy():
    backlog = services.backlog()
    assert (backlog.pending, backlog.dead, backlog.oldest_undelivered_age, backlog.healthy) == (0, 0, None, True)


def test_task_drains(ledger):
    from portal.outbox.tasks import drain_outbox

    enqueue("test.dedupe", key="k-1", payload={})
    assert drain_outbox.apply().get() == {"delivered": 1, "failed": 0, "dead": 0, "lost": 0}
    assert ledger.effects == {"k-1": 1}
