"""The audit trail's public interface: every other app records through these functions.

``record_event`` appends one entry to a hash chain (by default the target's own chain, e.g.
"catalogue.item:42") inside the caller's transaction, so the entry commits or rolls back with
the change it describes. ``record_change`` is the field-level layer on top (before/after
snapshots); named domain events call ``record_event`` directly. Personal data named in
``personal_fields`` is encrypted before it is hashed and stored, and reading it back — like
revealing a masked value on screen — is itself an audited act.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from portal.audit import hashing, locking, masking
from portal.audit.choices import AuditEventType
from portal.audit.context import current
from portal.audit.keys import fernet
from portal.audit.models import AuditEntry, SealBlock
from portal.audit.sealing import SealLockBusy, seal_audit_trail
from portal.audit.verification import Problem, VerificationResult, verify_all, verify_chain
from portal.organisation.choices import Role
from portal.transactions import (
    at_unit_level,
    before_unit_ends,
    insert_rows,
    savepoint_state,
    still_written,
    unit,
    unit_memo,
)

__all__ = [
    "EVENT_TYPE_PATTERN",
    "PERSONAL_DATA_ROLES",
    "Problem",
    "SealBlock",
    "SealLockBusy",
    "VerificationResult",
    "chain_for",
    "entries_for",
    "read_personal_changes",
    "record_change",
    "record_event",
    "reveal_personal_data",
    "seal_audit_trail",
    "snapshot",
    "verify_all",
    "verify_chain",
]

# Dotted lower-case names, at least two parts: "catalogue.item.published", "approvals.step.approved".
EVENT_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
EVENT_TYPE_MAX_LENGTH = 100
CHAIN_MAX_LENGTH = 200

# Who may see personal data in full (on screen, or inside an audit entry).
PERSONAL_DATA_ROLES = (
    Role.ADMIN,
    Role.SUPERVISOR,
    Role.WINDOW_CLERK,
    Role.HANDLER,
    Role.REVIEWER,
    Role.APPROVER,
)

# Never copied into the audit trail unless a caller names them explicitly.
FIELDS_NEVER_SNAPSHOT_BY_DEFAULT = frozenset({"password"})


# --- Describing the actor and the target ---------------------------------------------------


def _actor_snapshot(actor) -> dict[str, Any]:
    """Who acted, as they were at the time: kept when the user is later renamed or deleted."""
    if actor is None:
        return {"actor_id": None, "actor_username": "", "actor_display_name": "", "actor_roles": []}
    if not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_username": "", "actor_display_name": "anonymous", "actor_roles": []}
    roles = set(getattr(actor, "role_codes", ()))
    if getattr(actor, "is_superuser", False):
        roles.add("superuser")
    username = actor.get_username()
    return {
        "actor_id": int(actor.pk),
        "actor_username": username[:150],
        "actor_display_name": (getattr(actor, "full_name", "") or username)[:150],
        "actor_roles": sorted(str(role) for role in roles),
    }


def _target_repr(target: models.Model) -> str:
    # A user's str() is their real name: personal data, so only a masked form enters the trail.
    if target._meta.label == settings.AUTH_USER_MODEL:
        return masking.mask_name(str(target))
    return str(target)[:200]


def _describe_target(target: models.Model | None) -> dict[str, str]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_repr": ""}
    if target.pk is None:
        raise ValueError("save the target before recording an event about it")
    return {
        "target_type": target._meta.label_lower,
        "target_id": str(target.pk)[:64],
        "target_repr": _target_repr(target),
    }


def chain_for(target: models.Model) -> str:
    """The default chain of an object: its model label and primary key, "catalogue.item:42"."""
    return f"{target._meta.label_lower}:{target.pk}"


def _default_chain(target: models.Model | None, event_type: str) -> str:
    if target is not None:
        return chain_for(target)
    # Events about no object are chained by their family, so that they do not all share one queue.
    return "event:" + event_type.rsplit(".", 1)[0]


# --- Personal data -------------------------------------------------------------------------


def _encrypt(value: Any) -> str:
    return fernet().encrypt(json.dumps(value, ensure_ascii=False).encode("utf-8")).decode("ascii")


def _decrypt(token: str) -> Any:
    return json.loads(fernet().decrypt(token.encode("ascii")).decode("utf-8"))


def _normalised_changes(changes: dict | None, personal_fields: Iterable[str]) -> tuple[dict, list[str]]:
    """{field: [old, new]} in stored form, with personal values replaced by Fernet tokens."""
    normalised = hashing.to_json_safe(changes or {})
    if not isinstance(normalised, dict):
        raise ValueError("changes must be a mapping of field name to [old, new]")
    for field, pair in normalised.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"changes[{field!r}] must be [old, new]")
    encrypted = sorted(set(personal_fields) & set(normalised))
    for field in encrypted:
        normalised[field] = [_encrypt(value) for value in normalised[field]]
    return normalised, encrypted


def _may_see_personal_data(actor) -> bool:
    has_role = getattr(actor, "has_role", None)
    return bool(getattr(actor, "is_authenticated", False) and has_role and has_role(*PERSONAL_DATA_ROLES))


# --- Recording -----------------------------------------------------------------------------


def record_event(
    event_type: str,
    *,
    actor,
    target: models.Model | None = None,
    chain: str | None = None,
    changes: dict | None = None,
    data: dict | None = None,
    personal_fields: Iterable[str] = (),
    first_of_chain: bool = False,
) -> AuditEntry:
    """Append one entry to ``chain`` (default: the target's chain) and return it.

    ``first_of_chain``: the target was created by this very transaction, so its chain is still
    empty and its head need not be read (its lock is taken all the same).

    Call it inside the transaction that makes the change, so both commit or neither does. On
    PostgreSQL the chain's advisory lock is held until that transaction ends: another writer to
    the same chain waits, writers to other chains do not (see ``portal.audit.locking``).
    """
    event_type = str(event_type)  # a TextChoices member is stored and hashed as its plain value
    if len(event_type) > EVENT_TYPE_MAX_LENGTH or not EVENT_TYPE_PATTERN.fullmatch(event_type):
        raise ValueError(
            f"event type {event_type!r} is not a dotted lower-case name like 'catalogue.item.published'"
        )
    chain = chain or _default_chain(target, event_type)
    if len(chain) > CHAIN_MAX_LENGTH:
        raise ValueError(f"chain key longer than {CHAIN_MAX_LENGTH} characters")
    stored_changes, encrypted_fields = _normalised_changes(changes, personal_fields)
    stored_data = hashing.to_json_safe(data or {})
    if not isinstance(stored_data, dict):
        raise ValueError("data must be a mapping")
    context = current()
    entry = AuditEntry(
        chain=chain,
        event_type=event_type,
        request_id=context.request_id if context else "",
        remote_address=(context.remote_address or "")[:45] if context else "",
        channel=context.channel if context else "",
        changes=stored_changes,
        personal_fields=encrypted_fields,
        data=stored_data,
        **_actor_snapshot(actor),
        **_describe_target(target),
    )
    with unit():
        # A unit that appended to this chain before holds its lock and knows its head, as long as
        # that append was not rolled back; a service of several steps (the window's intake) then
        # pays for the lock and the head once.
        memo = unit_memo()
        known = memo.get(("audit.head", chain)) if memo is not None else None
        if known is not None and still_written(known[2]):
            head = known[:2]
        else:
            locking.lock_chain_for_append(chain)
            head = None if first_of_chain else (
                AuditEntry.objects.filter(chain=chain).order_by("-seq").values_list("seq", "entry_hash").first()
            )
            # Entries of this unit still to be written (below) come before any the database has
            # of it: an entry appended from an inner savepoint is written at once.
            pending = [waiting for waiting in (memo or {}).get(_PENDING, ()) if waiting.chain == chain]
            if pending and (head is None or pending[-1].seq > head[0]):
                head = (pending[-1].seq, pending[-1].entry_hash)
        entry.seq, entry.prev_hash = (head[0] + 1, head[1]) if head else (1, hashing.GENESIS_HASH)
        # Taken after the lock, so that the chain's order is also its time order.
        entry.occurred_at = timezone.now()
        entry.entry_hash = entry.compute_hash()
        if at_unit_level():
            # Written with the unit's other entries in one statement as the unit ends (its lock
            # is held until then); ``entry.pk`` is set from then on.
            memo.setdefault(_PENDING, []).append(entry)
            before_unit_ends(_PENDING, lambda: _write_pending(memo))
        else:
            # In a savepoint opened inside the unit, which may be rolled back on its own: written
            # now, in it (the unit's pending entries stay out of it, as they must survive it).
            entry.save()
        if memo is not None:
            memo[("audit.head", chain)] = (entry.seq, entry.entry_hash, savepoint_state())
    return entry


# The unit memo's list of entries to write as the unit ends.
_PENDING = "audit.pending"


def _write_pending(memo: dict | None) -> None:
    entries = memo.pop(_PENDING, None) if memo is not None else None
    if entries:
        # Hashed and chained above; the manager refuses bulk writes to everyone else.
        insert_rows(entries)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The JSON-safe values of ``instance``'s fields (all concrete ones but the password by default).

    Foreign keys are recorded as ids, dates in ISO form, decimals as text, files by name and
    many-to-many fields as sorted ids, keyed by field name.
    """
    options = instance._meta
    if fields is None:
        selected = [
            field for field in options.concrete_fields if field.name not in FIELDS_NEVER_SNAPSHOT_BY_DEFAULT
        ]
    else:
        selected = [options.get_field(name) for name in fields]
    values: dict[str, Any] = {}
    for field in selected:
        if field.many_to_many:
            values[field.name] = (
                sorted(related.pk for related in field.value_from_object(instance)) if instance.pk else []
            )
        elif isinstance(field, models.FileField):
            values[field.name] = getattr(field.value_from_object(instance), "name", None) or ""
        elif field.concrete:
            values[field.name] = field.value_from_object(instance)
        else:
            raise ValueError(f"{options.label}.{field.name} is not a stored field and cannot be snapshot")
    return hashing.to_json_safe(values)


def record_change(
    instance: models.Model,
    *,
    actor,
    event_type: str,
    before: dict | None,
    fields: Iterable[str] | None = None,
    personal_fields: Iterable[str] = (),
    data: dict | None = None,
) -> AuditEntry:
    """Record how ``instance`` changed since ``before`` (a ``snapshot``; None when just created).

    Only fields whose value differs are kept, as {field: [old, new]}.
    """
    fields = list(fields) if fields is not None else None
    after = snapshot(instance, fields)
    if before is None:
        changes = {name: [None, value] for name, value in after.items()}
    else:
        previous = hashing.to_json_safe(before)
        changes = {
            name: [previous.get(name), value] for name, value in after.items() if previous.get(name) != value
        }
    return record_event(
        event_type, actor=actor, target=instance, changes=changes, data=data, personal_fields=personal_fields
    )


def entries_for(target: models.Model) -> QuerySet[AuditEntry]:
    """The target's chain, oldest first."""
    return AuditEntry.objects.filter(chain=chain_for(target)).order_by("seq")


# --- Revealing personal data ---------------------------------------------------------------


def reveal_personal_data(obj: models.Model, field: str, *, actor, reason: str = "") -> Any:
    """The unmasked value of ``obj.field`` for someone whose role permits it, recorded as such.

    A refusal is recorded too (an attempt to read personal data is itself worth knowing), in the
    caller's transaction: a caller that lets PermissionDenied roll its transaction back loses it.
    """
    obj._meta.get_field(field)  # an unknown field is a programming error, not a refusal
    details = {"field": field, "reason": reason}
    if not _may_see_personal_data(actor):
        if getattr(actor, "is_authenticated", False):
            record_event(AuditEventType.PERSONAL_DATA_REVEAL_REFUSED, actor=actor, target=obj, data=details)
        raise PermissionDenied("您的角色无权查看个人信息。")
    record_event(AuditEventType.PERSONAL_DATA_REVEALED, actor=actor, target=obj, data=details)
    return getattr(obj, field)


def read_personal_changes(entry: AuditEntry, *, actor, reason: str = "") -> dict:
    """``entry.changes`` with its encrypted personal values decrypted, recorded on the same chain."""
    if not _may_see_personal_data(actor):
        raise PermissionDenied("您的角色无权查看个人信息。")
    decrypted = dict(entry.changes)
    for field in entry.personal_fields:
        decrypted[field] = [_decrypt(token) for token in entry.changes[field]]
    record_event(
        AuditEventType.PERSONAL_CHANGES_READ,
        actor=actor,
        target=entry,
        chain=entry.chain,
        data={"entry_id": entry.pk, "fields": list(entry.personal_fields), "reason": reason},
    )
    return decrypted
