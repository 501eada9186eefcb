"""Privileges: the application role may insert audit rows but never update, delete or truncate them."""

import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from portal.audit.models import AuditEntry
from portal.audit.services import record_event, seal_audit_trail

pytestmark = pytest.mark.django_db

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture
def application_role():
    """A throwaway role the test user may SET ROLE to; it vanishes with the test's transaction."""
    if connection.vendor != "postgresql":
        pytest.skip("roles exist on PostgreSQL only")
    role = f"audit_test_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'GRANT "{role}" TO CURRENT_USER')
    return role


def refused(statement: str, params=()) -> str:
    """Run ``statement`` in a savepoint and return the SQLSTATE it failed with."""
    with pytest.raises(ProgrammingError) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
    return error.value.__cause__.pgcode


def test_application_role_can_append_but_not_rewrite(application_role, capsys):
    # given an entry written by the owner, and the grants applied to the application role
    existing = record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    call_command("audit_grants", role=application_role)
    assert capsys.readouterr().out.endswith(
        f"Granted {application_role} DML on schema public; audit tables audit_auditentry, audit_sealblock "
        "are SELECT and INSERT only.\n"
    )
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{application_role}"')
    try:
        # when the application role records and seals, it works
        appended = record_event("catalogue.item.updated", actor=None, chain="catalogue.item:1")
        block = seal_audit_trail()
        assert (appended.seq, block.entry_count) == (2, 2)
        # and it keeps full DML on the portal's other tables
        with connection.cursor() as cursor:
            cursor.execute("UPDATE organisation_region SET name = name WHERE id = -1")
            cursor.execute("DELETE FROM organisation_region WHERE id = -1")
        # but rewriting the trail is refused by PostgreSQL itself
        assert (
            refused("UPDATE audit_auditentry SET data = '{}' WHERE id = %s", [existing.pk])
            == INSUFFICIENT_PRIVILEGE
        )
        assert refused("DELETE FROM audit_auditentry WHERE id = %s", [existing.pk]) == INSUFFICIENT_PRIVILEGE
        assert refused("TRUNCATE audit_auditentry") == INSUFFICIENT_PRIVILEGE
        assert refused("UPDATE audit_sealblock SET entry_count = 0") == INSUFFICIENT_PRIVILEGE
        assert refused("DELETE FROM audit_sealblock") == INSUFFICIENT_PRIVILEGE
        assert (
            refused("SELECT setval(pg_get_serial_sequence('audit_auditentry', 'id'), 1)")
            == INSUFFICIENT_PRIVILEGE
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    # then both entries are intact
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]


def test_grants_for_an_unknown_role_fail_clearly():
    if connection.vendor != "postgresql":
        pytest.skip("roles exist on PostgreSQL only")
    with pytest.raises(CommandError, match="database role 'no_such_role_x' does not exist"):
        call_command("audit_grants", role="no_such_role_x")


def test_grants_need_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("this checks the refusal on SQLite")
    with pytest.raises(CommandError, match="audit grants need PostgreSQL"):
        call_command("audit_grants", role="anyone")
