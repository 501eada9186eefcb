"""The guarded move every domain aggregate's state changes go through (STYLE.md: one guarded
transition per aggregate). Each app declares its own table of moves and who may make them; this
does the part that is the same everywhere, in one unit: lock the row, check the actor and the
move, apply the changes, save only what changed, write the audit entry."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from portal.audit.services import record_event, snapshot
from portal.transactions import save_fields, unit


def guarded_move(
    obj: models.Model,
    *,
    lock: Callable[[], models.Model],
    label: str,
    sources,
    target,
    noun: str,
    refused: type[ValidationError],
    check_actor: Callable[[models.Model], None],
    check: Callable[[Any], None] | None,
    changes: Callable[[Any], dict[str, Any]] | None,
    event_type: str,
    actor,
    data: dict[str, Any] | None = None,
    chain: str | None = None,
):
    """Move ``obj`` by one declared move; return the locked, saved row (``obj`` gets its values).

    ``lock()`` returns the row locked for this transaction; ``check_actor(locked)`` and
    ``check(locked)`` raise to refuse; ``changes(locked)`` gives the fields to set, computed under
    the lock; ``target`` (or None) is the new status. The audit entry goes to ``chain`` (default:
    the row's own chain)."""
    with unit():
        locked = lock()
        check_actor(locked)
        if locked.status not in sources:
            raise refused(f"{noun}当前状态为“{locked.get_status_display()}”，不能执行“{label}”。",
                          code="invalid_transition")
        if check is not None:
            check(locked)
        values = dict(changes(locked)) if changes is not None else {}
        if target is not None:
            values["status"] = target
        before = snapshot(locked, list(values))
        for name, value in values.items():
            setattr(locked, name, value)
        if values:
            save_fields(locked, list(values))
        after = snapshot(locked, list(values))
        record_event(
            event_type,
            actor=actor,
            target=locked,
            chain=chain,
            changes={name: [before[name], after[name]] for name in values if before[name] != after[name]},
            data=data or {},
        )
    for name in values:
        setattr(obj, name, getattr(locked, name))
    return locked
