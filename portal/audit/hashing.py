"""Canonical JSON and the SHA-256 hashes that chain audit entries and seal blocks together.

A hash is only useful if anyone can recompute it from the stored row years later, on another
machine and another database. So every value is first brought to the exact form it has after a
round trip through the database's JSON column, then serialised with sorted keys and fixed
separators. Timestamps are written at microsecond precision in UTC, which both PostgreSQL and
SQLite store exactly.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise

# The hash a chain's first entry (and the first seal block) links back to.
GENESIS_HASH = "0" * 64
# Bumped if the set or form of hashed fields ever changes; verification dispatches on it.
HASH_FORMAT_VERSION = 1

# The fields of an audit entry covered by its hash, in the order a reader would name them.
ENTRY_HASHED_FIELDS = (
    "chain",
    "seq",
    "prev_hash",
    "occurred_at",
    "event_type",
    "actor_id",
    "actor_username",
    "actor_display_name",
    "actor_roles",
    "request_id",
    "remote_address",
    "channel",
    "target_type",
    "target_id",
    "target_repr",
    "changes",
    "personal_fields",
    "data",
)

BLOCK_HASHED_FIELDS = (
    "number",
    "after_entry_id",
    "through_entry_id",
    "entry_count",
    "chain_heads",
    "sealed_at",
    "previous_block_hash",
)


def format_timestamp(moment: datetime.datetime) -> str:
    """One fixed spelling of an aware datetime: UTC, always with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    """How the non-JSON values a service may hand us are written down."""
    if isinstance(value, datetime.datetime):
        return format_timestamp(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value.total_seconds())
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if isinstance(value, Promise):  # lazy translation strings
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be recorded in the audit trail")


def _floats_as_jsonb_returns_them(value: Any) -> Any:
    """PostgreSQL's jsonb stores numbers as decimals: 1e16 reads back as the integer
    10000000000000000, which hashes differently. Such floats (integral, written with an exponent)
    are stored as that integer from the start; non-finite ones, which JSON lacks, as text."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return int(value) if "e+" in repr(value) else value
    if isinstance(value, dict):
        return {key: _floats_as_jsonb_returns_them(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_floats_as_jsonb_returns_them(item) for item in value]
    return value


def to_json_safe(value: Any) -> Any:
    """``value`` exactly as it will read back from a JSON column (string keys, lists for tuples)."""
    return _floats_as_jsonb_returns_them(
        json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))
    )


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _document(values: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    document: dict[str, Any] = {"hash_format": HASH_FORMAT_VERSION}
    for field in fields:
        value = values[field]
        document[field] = format_timestamp(value) if isinstance(value, datetime.datetime) else value
    return document


def entry_hash(values: Mapping[str, Any]) -> str:
    """The hash of an audit entry from its content fields (a mapping or a model's ``__dict__``)."""
    return sha256_hex(canonical_json(_document(values, ENTRY_HASHED_FIELDS)))


def block_hash(values: Mapping[str, Any]) -> str:
    """The hash of a seal block, which includes the previous block's hash."""
    return sha256_hex(canonical_json(_document(values, BLOCK_HASHED_FIELDS)))
