"""Recording: what an entry holds, how it links to its chain, and that it cannot be changed."""

import datetime
import decimal
import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal.audit import hashing
from portal.audit.context import acting_as
from portal.audit.models import AppendOnlyError, AuditEntry
from portal.audit.services import chain_for, entries_for, record_change, record_event, snapshot
from portal.organisation.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(db):
    return Region.objects.create(code="JZ", name="锦州市", level="city", path="/JZ/")


def test_record_event_keeps_who_when_where_what(admin_city, region):
    # given a request context
    with acting_as("web", request_id="req-1", remote_address="10.0.0.7"):
        before = timezone.now()
        # when
        entry = record_event(
            "organisation.region.published", actor=admin_city, target=region, data={"note": "首次发布"}
        )
    # then
    entry.refresh_from_db()
    assert entry.event_type == "organisation.region.published"
    assert entry.chain == f"organisation.region:{region.pk}"
    assert (entry.seq, entry.prev_hash) == (1, hashing.GENESIS_HASH)
    assert entry.actor_id == admin_city.pk
    assert entry.actor_username == "admin_city"
    assert entry.actor_display_name == "李管理"
    assert entry.actor_roles == ["admin"]
    assert (entry.request_id, entry.remote_address, entry.channel) == ("req-1", "10.0.0.7", "web")
    assert (entry.target_type, entry.target_id, entry.target_repr) == (
        "organisation.region",
        str(region.pk),
        "锦州市",
    )
    assert entry.data == {"note": "首次发布"}
    assert entry.changes == {}
    assert before <= entry.occurred_at <= timezone.now()
    assert entry.occurred_at.tzinfo is not None
    assert entry.entry_hash == entry.compute_hash()


def test_timestamp_survives_the_database_to_the_microsecond(region):
    # given an entry recorded now
    entry = record_event("organisation.region.checked", actor=None, target=region)
    # when it is read back
    stored = AuditEntry.objects.get(pk=entry.pk)
    # then it is exactly the hashed value
    assert stored.occurred_at == entry.occurred_at
    assert stored.compute_hash() == stored.entry_hash


def test_entries_of_one_target_form_a_linked_chain(admin_city, region):
    # given three events about one region
    first = record_event("organisation.region.created", actor=admin_city, target=region)
    second = record_event("organisation.region.updated", actor=admin_city, target=region)
    third = record_event("organisation.region.updated", actor=None, target=region)
    # when
    chain = list(entries_for(region))
    # then
    assert [entry.pk for entry in chain] == [first.pk, second.pk, third.pk]
    assert [entry.seq for entry in chain] == [1, 2, 3]
    assert [entry.prev_hash for entry in chain] == [hashing.GENESIS_HASH, first.entry_hash, second.entry_hash]


def test_system_actor_and_no_context_leave_blanks(region):
    entry = record_event("organisation.region.synchronised", actor=None, target=region)
    assert (entry.actor_id, entry.actor_username, entry.actor_display_name, entry.actor_roles) == (
        None,
        "",
        "",
        [],
    )
    assert (entry.request_id, entry.remote_address, entry.channel) == ("", "", "")
    assert entry.actor_label == "系统"


def test_event_without_target_is_chained_by_its_family():
    entry = record_event("workdays.calendar.published", actor=None, data={"year": 2026})
    assert entry.chain == "event:workdays.calendar"
    assert (entry.target_type, entry.target_id, entry.target_repr) == ("", "", "")


def test_explicit_chain_is_used(region):
    entry = record_event("catalogue.item.published", actor=None, target=region, chain="catalogue.item:42")
    assert entry.chain == "catalogue.item:42"
    assert entry.seq == 1


def test_actor_snapshot_survives_deleting_the_user(admin_city, region):
    # given an entry by a user
    entry = record_event("organisation.region.updated", actor=admin_city, target=region)
    actor_id = admin_city.pk
    # when the user is deleted
    admin_city.delete()
    # then the entry still names them
    entry.refresh_from_db()
    assert (entry.actor_id, entry.actor_username, entry.actor_display_name) == (
        actor_id,
        "admin_city",
        "李管理",
    )


@pytest.mark.parametrize(
    "event_type",
    ["", "published", "Catalogue.item", "catalogue..item", "catalogue.item-published", "a." + "b" * 100],
)
def test_malformed_event_type_is_refused(event_type):
    with pytest.raises(ValueError):
        record_event(event_type, actor=None)
    assert AuditEntry.objects.count() == 0


def test_unsaved_target_is_refused():
    with pytest.raises(ValueError, match="save the target"):
        record_event("organisation.region.created", actor=None, target=Region(code="X", name="X", path="/X/"))


def test_changes_must_be_old_new_pairs():
    with pytest.raises(ValueError, match=r"changes\['name'\] must be \[old, new\]"):
        record_event("organisation.region.updated", actor=None, changes={"name": "only one"})


def test_snapshot_is_json_safe(admin_city):
    # when
    values = snapshot(admin_city, ["username", "date_joined", "department", "is_active", "groups"])
    # then
    assert values == {
        "username": "admin_city",
        "date_joined": hashing.format_timestamp(admin_city.date_joined),
        "department": None,
        "is_active": True,
        "groups": sorted(admin_city.groups.values_list("pk", flat=True)),
    }


def test_snapshot_leaves_out_the_password_by_default(admin_city):
    assert "password" not in snapshot(admin_city)
    assert "username" in snapshot(admin_city)


def test_values_are_stored_as_they_read_back():
    assert hashing.to_json_safe(
        {
            "amount": decimal.Decimal("12.50"),
            "day": datetime.date(2026, 3, 7),
            "code": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "big": 1e16,
            1: ("a", "b"),
        }
    ) == {
        "amount": "12.50",
        "day": "2026-03-07",
        "code": "12345678-1234-5678-1234-567812345678",
        "big": 10000000000000000,
        "1": ["a", "b"],
    }


def test_record_change_keeps_only_changed_fields(admin_city, region):
    # given a snapshot before a rename
    before = snapshot(region, ["code", "name"])
    region.name = "锦州市（新）"
    region.save()
    # when
    entry = record_change(
        region,
        actor=admin_city,
        event_type="organisation.region.updated",
        before=before,
        fields=["code", "name"],
    )
    # then
    assert entry.changes == {"name": ["锦州市", "锦州市（新）"]}


def test_record_change_of_a_new_object_lists_every_field(region):
    entry = record_change(
        region, actor=None, event_type="organisation.region.created", before=None, fields=["code", "name"]
    )
    assert entry.changes == {"code": [None, "JZ"], "name": [None, "锦州市"]}


def test_entry_cannot_be_changed_or_deleted_through_the_orm(region):
    entry = record_event("organisation.region.created", actor=None, target=region)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(event_type="organisation.region.deleted")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_trigger_refuses_raw_update_and_delete(region):
    entry = record_event("organisation.region.created", actor=None, target=region)
    for statement in (
        "UPDATE audit_auditentry SET data = '{}' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entry_rolls_back_with_the_callers_transaction(region):
    # given a caller whose transaction fails after recording
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("organisation.region.updated", actor=None, target=region)
        raise RuntimeError("the change failed")
    # then nothing was recorded, and the next entry is seq 1
    assert AuditEntry.objects.count() == 0
    assert record_event("organisation.region.updated", actor=None, target=region).seq == 1


def test_appends_within_one_unit_link_up_and_survive_a_rolled_back_savepoint(admin_city, region):
    from portal.transactions import unit

    # given one unit (a service of several steps) appending to one chain, with an inner block
    # whose append is rolled back and caught inside the unit
    with unit():
        first = record_event("organisation.region.created", actor=admin_city, target=region)
        with pytest.raises(RuntimeError), transaction.atomic():
            record_event("organisation.region.updated", actor=admin_city, target=region)
            raise RuntimeError("the inner step fails")
        second = record_event("organisation.region.updated", actor=admin_city, target=region)
        third = record_event("organisation.region.updated", actor=None, target=region)
    # then the rolled-back entry left no trace, the others follow one another, and the chain verifies
    assert_chain_is(region, [first, second, third])
    # and a later unit continues the chain from the database
    fourth = record_event("organisation.region.updated", actor=None, target=region)
    assert (fourth.seq, fourth.prev_hash) == (4, third.entry_hash)


def test_an_append_from_a_savepoint_kept_inside_a_unit_is_followed_by_the_next(admin_city, region):
    from portal.transactions import unit

    # given a unit whose first append waits for the unit's end, and an inner block (a savepoint
    # that is kept) appending to the same chain, written at once
    with unit():
        first = record_event("organisation.region.created", actor=admin_city, target=region)
        with transaction.atomic():
            inner = record_event("organisation.region.updated", actor=admin_city, target=region)
        last = record_event("organisation.region.updated", actor=None, target=region)
    # then the three follow one another in the order they were recorded, and the chain verifies
    assert_chain_is(region, [first, inner, last])


def assert_chain_is(target, entries) -> None:
    """``target``'s chain holds exactly ``entries``, numbered from 1, each linked to the one
    before, and verifies."""
    from portal.audit.verification import verify_chain

    chain = list(entries_for(target))
    assert [entry.pk for entry in chain] == [entry.pk for entry in entries]
    assert [entry.seq for entry in chain] == list(range(1, len(entries) + 1))
    assert [entry.prev_hash for entry in chain] == [hashing.GENESIS_HASH] + [e.entry_hash for e in entries[:-1]]
    assert verify_chain(chain_for(target)).ok
