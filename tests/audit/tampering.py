"""Tampering as the owner of the audit tables, the way an insider with the owner's password would."""

import json

from django.db import connection

from portal.audit import hashing
from portal.audit.models import AuditEntry

AUDIT_TABLES = ("audit_auditentry", "audit_sealblock")


def tamper(sql: str, params=()) -> None:
    """Run raw SQL with the append-only triggers switched off (the owner may do that)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            for table in AUDIT_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def entry_values(entry: AuditEntry) -> dict:
    """An entry's stored columns as a dict that ``hashing.entry_hash`` accepts."""
    return {field.attname: getattr(entry, field.attname) for field in AuditEntry._meta.concrete_fields}


def insert_raw_entry(values: dict) -> None:
    """Insert a forged entry row by raw SQL (JSON columns given as Python values)."""
    columns = list(values)
    encoded = [
        json.dumps(values[column], ensure_ascii=False)
        if column in {"actor_roles", "changes", "personal_fields", "data"}
        else values[column]
        for column in columns
    ]
    placeholders = ", ".join(["%s"] * len(columns))
    tamper(f"INSERT INTO audit_auditentry ({', '.join(columns)}) VALUES ({placeholders})", encoded)


def rehash(values: dict) -> dict:
    return {**values, "entry_hash": hashing.entry_hash(values)}
