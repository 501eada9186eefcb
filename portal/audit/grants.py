"""Database privileges that make the audit tables append-only for the application's role.

The threat is someone acting through the portal's own database credentials (a compromised
server, an over-eager script): they hold whatever the application role holds. That role is
granted full DML on the portal's other tables but only SELECT and INSERT on the audit tables,
so UPDATE, DELETE and TRUNCATE are refused by PostgreSQL itself, whatever the code does. The
trigger added by the migrations is a second fence, but the table owner or a superuser can
disable a trigger; privileges they never had cannot be switched off by the application role.

Run ``manage.py audit_grants --role NAME`` as the owner of the tables after every migrate: new
tables are not covered by earlier ``GRANT ... ON ALL TABLES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction


class GrantsNotSupported(Exception):
    """Only PostgreSQL has roles; on SQLite the file's owner can do anything."""


@dataclass
class GrantsReport:
    role: str
    schema: str
    audit_tables: list[str]
    statements: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def audit_tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_app_config("audit").get_models())


def apply_audit_grants(role: str) -> GrantsReport:
    """Grant ``role`` what the application needs and nothing that could rewrite the audit trail."""
    if connection.vendor != "postgresql":
        raise GrantsNotSupported(f"audit grants need PostgreSQL, not {connection.vendor}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise ValueError(f"database role {role!r} does not exist")
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        report = GrantsReport(role=role, schema=schema, audit_tables=audit_tables())
        if row[0]:
            report.warnings.append(f"role {role} is a superuser: no privilege binds it")
        grantee, quoted_schema = quote_identifier(role), quote_identifier(schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {quoted_schema} TO {grantee}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {quoted_schema} TO {grantee}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO {grantee}",
        ]
        for table in report.audit_tables:
            qualified = f"{quoted_schema}.{quote_identifier(table)}"
            statements += [
                f"REVOKE ALL ON TABLE {qualified} FROM {grantee}",
                f"GRANT SELECT, INSERT ON TABLE {qualified} TO {grantee}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON TABLE {qualified} FROM PUBLIC",
            ]
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, 'id')", [f"{quoted_schema}.{quote_identifier(table)}"]
            )
            sequence = cursor.fetchone()[0]  # returned already quoted and schema-qualified
            if sequence:
                # USAGE is nextval; without UPDATE the role cannot setval the ids backwards.
                statements += [
                    f"REVOKE ALL ON SEQUENCE {sequence} FROM {grantee}",
                    f"GRANT USAGE ON SEQUENCE {sequence} TO {grantee}",
                ]
            cursor.execute(
                "SELECT tableowner, pg_has_role(%s, tableowner, 'MEMBER') FROM pg_tables "
                "WHERE schemaname = %s AND tablename = %s",
                [role, schema, table],
            )
            owner = cursor.fetchone()
            if owner is not None and owner[1]:
                report.warnings.append(
                    f"role {role} is (a member of) {owner[0]}, the owner of {table}: it can still rewrite it"
                )
        for statement in statements:
            cursor.execute(statement)
        report.statements = statements
    return report
