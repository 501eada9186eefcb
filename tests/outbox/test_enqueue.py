"""Writing to the outbox: only inside a transaction, committed or rolled back with it, once per key."""

import logging

import pytest
from django.db import transaction

from portal.outbox import services
from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import NotInTransaction, UnknownKind, enqueue


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused(drain_nudges):
    # given no open transaction (autocommit)
    # when / then
    with pytest.raises(NotInTransaction, match="inside the transaction"):
        enqueue("test.dedupe", key="k-1", payload={})
    assert OutboxMessage.objects.count() == 0
    assert drain_nudges == []


@pytest.mark.django_db(transaction=True)
def test_committed_transaction_stores_the_message_and_nudges_the_drain_once(drain_nudges):
    # when one transaction enqueues three messages
    with transaction.atomic():
        for number in range(3):
            enqueue("test.dedupe", key=f"k-{number}", payload={"n": number})
        # then nothing is sent to the broker before the commit
        assert drain_nudges == []
    # and after it all three are waiting, with one nudge for the transaction
    assert list(OutboxMessage.objects.order_by("id").values_list("idempotency_key", "status", "attempts")) == [
        ("k-0", OutboxStatus.PENDING, 0),
        ("k-1", OutboxStatus.PENDING, 0),
        ("k-2", OutboxStatus.PENDING, 0),
    ]
    assert drain_nudges == [{"retry": False}]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_no_message_and_no_nudge(drain_nudges):
    # when the change that enqueued fails after enqueueing
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        enqueue("test.dedupe", key="k-1", payload={})
        raise RuntimeError("the change failed")
    # then
    assert OutboxMessage.objects.count() == 0
    assert drain_nudges == []


@pytest.mark.django_db(transaction=True)
def test_rolled_back_savepoint_drops_its_message_but_keeps_the_nudge_of_the_rest(drain_nudges):
    # given a transaction whose savepoint enqueued first and was rolled back
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue("test.dedupe", key="in-savepoint", payload={})
            raise RuntimeError
        enqueue("test.dedupe", key="outside", payload={})
    # then only the surviving message is stored, and it was still nudged
    assert list(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == ["outside"]
    assert drain_nudges == [{"retry": False}]


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_commit_nor_slow_the_next_ones(monkeypatch, caplog):
    # given a broker that refuses connections
    from portal.outbox.tasks import drain_outbox

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(kwargs)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(drain_outbox, "apply_async", refuse)
    monkeypatch.setattr(services, "_nudges_paused_until", 0.0)
    # when two transactions commit
    with caplog.at_level(logging.WARNING, logger="portal.outbox.services"):
        for number in range(2):
            with transaction.atomic():
                enqueue("test.dedupe", key=f"k-{number}", payload={})
    # then both messages are stored for beat's drain, and the lost nudge is logged
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    assert OutboxMessage.objects.count() == 2
    assert "beat's next run delivers instead" in caplog.text
    # and after the first failure the process stopped trying for a while
    assert len(attempts) == 1


@pytest.mark.django_db
def test_duplicate_key_returns_the_existing_message(drain_nudges):
    # given a stored message
    first = enqueue("test.dedupe", key="approvals.application:42:accepted", payload={"version": 1})
    # when the same effect is enqueued again with another payload
    second = enqueue("test.dedupe", key="approvals.application:42:accepted", payload={"version": 2})
    # then it is the same message, unchanged
    assert second.pk == first.pk
    assert OutboxMessage.objects.get().payload == {"version": 1}


@pytest.mark.django_db
def test_duplicate_key_of_another_kind_is_refused():
    enqueue("test.dedupe", key="k-1", payload={})
    with pytest.raises(ValueError, match="already used by kind 'test.dedupe'"):
        enqueue("test.flaky", key="k-1", payload={})
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(UnknownKind, match="settings.OUTBOX_HANDLERS"):
        enqueue("regulator.push", key="k-1", payload={})
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "payload", "message"),
    [
        ("", {}, "idempotency key"),
        ("k" * 201, {}, "idempotency key"),
        ("k-1", ["not", "a", "dict"], "JSON object"),
        ("k-1", {"when": object()}, "not JSON serializable"),
    ],
)
def test_bad_keys_and_payloads_are_refused(key, payload, message):
    with pytest.raises((ValueError, TypeError), match=message):
        enqueue("test.dedupe", key=key, payload=payload)
    assert OutboxMessage.objects.count() == 0


def test_every_configured_handler_is_importable(settings):
    # given the portal's own kinds (the test kinds are added by a fixture)
    for kind in settings.OUTBOX_HANDLERS:
        # then each names a callable
        assert callable(services.handler_for(kind))


@pytest.mark.django_db(transaction=True)
def test_commits_close_together_in_one_process_send_one_nudge(drain_nudges, monkeypatch):
    # given the production spacing between nudges, and a nudge long ago
    monkeypatch.setattr(services, "NUDGE_INTERVAL_SECONDS", 60.0)
    monkeypatch.setattr(services, "_last_nudge_at", -1e9)
    # when three transactions enqueue and commit at once
    for number in range(3):
        with transaction.atomic():
            enqueue("test.dedupe", key=f"close-{number}", payload={})
    # then one nudge went to the broker, and all three messages wait for the drain it starts
    assert drain_nudges == [{"retry": False}]
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 3
