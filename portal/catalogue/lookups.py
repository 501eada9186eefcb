"""The version in force of an item, by its implementation code, as the service hall asks for it.

The window's intake form looks its item up on every request. A published version (``ItemVersion``)
never changes once written, since a new publication is a new row, so a process may keep what it
read for a few seconds. What can change meanwhile is which version is in force. The filing itself
checks that inside its transaction (``approvals.services.start_application``), and a window that
meets a version superseded meanwhile is told so and gets the new one on its next request
(``forget_in_force``).
"""

import copy
import threading

from cachetools import TTLCache
from django.db import connection

from portal.catalogue.models import Item, ItemVersion

IN_FORCE_CACHE_SECONDS = 10

_in_force: TTLCache = TTLCache(maxsize=4096, ttl=IN_FORCE_CACHE_SECONDS)
_lock = threading.Lock()


def in_force_version(code: str) -> ItemVersion | None:
    """The in-force version with implementation code ``code``, with its department; None if none.

    Each caller gets its own copy, so that what one request caches on it (a related row read
    later) never reaches another.
    """
    with _lock:
        version = _in_force.get(code)
    if version is None:
        version = ItemVersion.objects.in_force().select_related("department").filter(implementation_code=code).first()
        if version is None:
            return None  # not remembered: an item published a moment later is found at once
        with _lock:
            _in_force[code] = version
    return copy.copy(version)


def forget_in_force(code: str | None = None) -> None:
    """Drop what this process remembers (of one code, or of all)."""
    with _lock:
        if code is None:
            _in_force.clear()
        else:
            _in_force.pop(code, None)


def version_in_force(version_pk: int) -> bool:
    """Whether the version is the published face of its item now (cancelled or not: the caller
    reads the status on the row). One lookup on a unique index, written out by hand, as the filing
    asks it inside its transaction on the hall's busiest path."""
    column = Item._meta.get_field("published_version").column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Item._meta.db_table} WHERE {column} = %s", [version_pk])
        return cursor.fetchone() is not None
