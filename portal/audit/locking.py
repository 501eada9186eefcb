"""The PostgreSQL advisory locks that keep chains linear without one global queue.

- A writer takes the *chain* lock (exclusive, per chain key) for the rest of its transaction, so
  two writers to one chain take turns reading the head and appending; writers to other chains
  never wait for it.
- A writer also takes the *global* lock in shared mode. Shared holders never block each other;
  the lock exists so that the sealer, taking it exclusively for an instant, knows that no entry
  is in flight: every id up to the current maximum is committed (or rolled back for good), so
  the range it seals can never later gain an entry that committed late, out of id order.
- The sealer only ever *tries* the global lock (``pg_try_advisory_lock``) and never queues for
  it. A waiting exclusive request would make every new shared request queue behind it, and with
  it every write in the portal; a sealer that backs off and retries later costs nothing.
- The *sealer* lock serialises sealers (and verification against them), not writers.

The two-integer form of the advisory lock functions is used: its key space is separate from the
single-bigint one that other code might use, and the first integer names the audit trail.
On SQLite none of this applies: ``transaction_mode = IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

import hashlib
import time

from django.db import DatabaseError, connection

# "AUDT": the first half of every audit advisory-lock key.
AUDIT_LOCK_NAMESPACE = 0x41554454
GLOBAL_LOCK_KEY = 0x474C4F42  # "GLOB"; chains use their own namespace, so no chain can collide with it
SEALER_LOCK_KEY = 0x5345414C  # "SEAL"
CHAIN_LOCK_NAMESPACE = 0x41554443  # "AUDC"


class SealLockBusy(Exception):
    """Entries were in flight the whole time the sealer tried; it should try again later."""


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def chain_lock_key(chain: str) -> int:
    """A signed 32-bit key for a chain; a collision only makes two chains take turns."""
    digest = hashlib.sha256(chain.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def lock_chain_for_append(chain: str) -> None:
    """Hold, until the transaction ends, the right to append to ``chain`` (PostgreSQL only)."""
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        # One round trip; the global lock (shared) is taken before the chain's, as always.
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, %s), pg_advisory_xact_lock(%s, %s)",
            [AUDIT_LOCK_NAMESPACE, GLOBAL_LOCK_KEY, CHAIN_LOCK_NAMESPACE, chain_lock_key(chain)],
        )


def lock_sealer(*, shared: bool = False) -> None:
    """Serialise sealers (exclusive) or keep a verifier from overlapping one (shared)."""
    if not is_postgresql():
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [AUDIT_LOCK_NAMESPACE, SEALER_LOCK_KEY])


def highest_settled_entry_id(*, wait_seconds: float = 5.0, poll_seconds: float = 0.02) -> int:
    """The largest entry id below which no entry can still appear: all writers are done with it.

    On PostgreSQL this takes the global lock exclusively for one statement (trying, never
    queueing) and releases it at once; raises ``SealLockBusy`` if writers held it throughout.
    """
    from portal.audit.models import AuditEntry

    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        if not is_postgresql():
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            return cursor.fetchone()[0]
        deadline = time.monotonic() + wait_seconds
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [AUDIT_LOCK_NAMESPACE, GLOBAL_LOCK_KEY])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise SealLockBusy("audit entries were being written throughout; seal again later")
            time.sleep(poll_seconds)
        try:
            # Read committed: this statement sees every entry committed before the lock was granted.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            highest = cursor.fetchone()[0]
        except BaseException:
            _release_global_lock(cursor)
            raise
        _release_global_lock(cursor)
        return highest


def _release_global_lock(cursor) -> None:
    """Release the sealer's session-level hold on the global lock, whatever state we are in.

    A session lock outlives the transaction. If it stayed held on a pooled connection, every
    audit write in the portal would wait behind it; so when the unlock itself cannot run (the
    transaction was aborted by an error or a cancel), the connection is closed, which ends the
    session and releases the lock.
    """
    try:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [AUDIT_LOCK_NAMESPACE, GLOBAL_LOCK_KEY])
    except DatabaseError:
        connection.close()
