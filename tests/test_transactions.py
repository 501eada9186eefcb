"""The units services run in, and the row writers of the hot path (portal/transactions.py)."""

import pytest
from django.db import transaction

from approvals.models import Sequence
from portal.outbox.models import OutboxMessage
from portal.transactions import (
    at_unit_level,
    before_unit_ends,
    insert_many_or_skip,
    insert_rows,
    save_fields,
    unit,
)

pytestmark = pytest.mark.django_db


def test_rows_inserted_in_one_statement_get_their_keys_in_order(django_assert_num_queries):
    rows = [Sequence(name=f"test:{number}", last=number) for number in range(3)]

    with django_assert_num_queries(1):
        insert_rows(rows)

    assert [Sequence.objects.get(pk=row.pk).name for row in rows] == ["test:0", "test:1", "test:2"]
    assert not any(row._state.adding for row in rows)


def test_saving_fields_updates_only_them_and_refuses_a_row_that_is_gone():
    [row] = insert_rows([OutboxMessage(kind="notification.send", idempotency_key="k-save", payload={})])
    row.attempts, row.kind = 7, "changed in memory only"

    save_fields(row, ["attempts"])

    assert OutboxMessage.objects.values_list("kind", "attempts").get(pk=row.pk) == ("notification.send", 7)
    OutboxMessage.objects.filter(pk=row.pk).delete()
    with pytest.raises(OutboxMessage.DoesNotExist):
        save_fields(row, ["attempts"])


def test_a_batch_skips_the_keys_already_stored():
    OutboxMessage.objects.create(kind="notification.send", idempotency_key="k-1", payload={})

    inserted = insert_many_or_skip([OutboxMessage(kind="notification.send", idempotency_key=key, payload={})
                                    for key in ("k-1", "k-2")], "idempotency_key")

    assert [message.idempotency_key for message in inserted] == ["k-2"]
    assert OutboxMessage.objects.filter(idempotency_key__in=["k-1", "k-2"]).count() == 2


def test_work_left_for_the_end_of_a_unit_runs_once_inside_it_and_not_when_it_fails():
    ran = []
    with unit():
        assert at_unit_level()
        with unit():  # a unit inside a unit is the same level
            assert at_unit_level()
            before_unit_ends("test", lambda: ran.append(transaction.get_connection().in_atomic_block))
        before_unit_ends("test", lambda: ran.append("registered twice"))
        with transaction.atomic():  # a savepoint of its own is not
            assert not at_unit_level()
        assert ran == []
    assert ran == [True]

    with pytest.raises(RuntimeError), unit():
        before_unit_ends("test", lambda: ran.append("failed unit"))
        raise RuntimeError("the unit fails")
    assert ran == [True]
    assert not at_unit_level()
