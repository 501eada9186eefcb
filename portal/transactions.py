"""Transactions of services: one savepoint at the edge of a service, none inside it.

A service is all-or-nothing. Called on its own it opens the transaction; called from a view's or a
test's transaction it runs in a savepoint, so the caller can catch its refusal and go on. A
service that calls other services (the window's intake calls start, submit and accept) makes them
part of its own unit: one savepoint for the whole, not one per step. Each savepoint costs two
round trips to the database, and a busy intake used to make twenty of them.

Helpers that services call (the guarded transition, the audit trail, notifications) are units
too: on their own they are all-or-nothing, inside a service their failure fails the service.
"""

import functools
from collections.abc import Callable
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import connections, models, router, transaction

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=models.Model)

_SERVICE_DEPTH = "_portal_service_depth"
_UNIT_MEMO = "_portal_unit_memo"
_BASE = "unit.base_savepoints"
_AT_END = "unit.at_end"


@contextmanager
def unit():
    """An all-or-nothing block: a savepoint of its own unless a service already encloses it."""
    connection = transaction.get_connection()
    depth = getattr(connection, _SERVICE_DEPTH, 0)
    with transaction.atomic(savepoint=depth == 0):
        setattr(connection, _SERVICE_DEPTH, depth + 1)
        if depth == 0:
            setattr(connection, _UNIT_MEMO, {_BASE: savepoint_state(), _AT_END: {}})
        try:
            yield
            if depth == 0:
                _run_at_end(getattr(connection, _UNIT_MEMO))
        finally:
            setattr(connection, _SERVICE_DEPTH, depth)
            if depth == 0:
                setattr(connection, _UNIT_MEMO, None)


def _run_at_end(memo: dict) -> None:
    at_end = memo[_AT_END]
    while at_end:  # in the order registered; a callback may register another
        callback = at_end.pop(next(iter(at_end)))
        callback()


def at_unit_level() -> bool:
    """Whether the code now running is in the outermost unit's own transaction level: inside a
    unit, and not in a savepoint opened since it began (one that might still be rolled back on
    its own)."""
    memo = unit_memo()
    if memo is None:
        return False
    base, now = memo[_BASE], savepoint_state()
    # Blocks nested without a savepoint of their own (None: Django's atomic(savepoint=False), as
    # in a unit inside a unit) fail the whole unit when they fail: they are its level still.
    return now[: len(base)] == base and all(savepoint is None for savepoint in now[len(base):])


def before_unit_ends(key: str, callback: Callable[[], None]) -> None:
    """Run ``callback`` once, inside the outermost unit now running, just before it ends well (it
    does not run when the unit fails). Registering the same ``key`` again keeps the first one.
    The way to write at once what a unit's steps collected one by one (``at_unit_level``)."""
    unit_memo()[_AT_END].setdefault(key, callback)


def unit_memo() -> dict | None:
    """A dict that lives as long as the outermost unit now running (None outside any unit), for
    what a unit may remember between its steps: a helper that wrote rows earlier in the unit knows
    they are still there while ``still_written(savepoints_then)`` holds."""
    return getattr(transaction.get_connection(), _UNIT_MEMO, None)


def savepoint_state() -> tuple[str, ...]:
    """The savepoints open now; pass it to ``still_written`` later."""
    return tuple(transaction.get_connection().savepoint_ids)


def still_written(savepoints_then: tuple[str, ...]) -> bool:
    """Whether what was written when ``savepoints_then`` were open has not been rolled back since:
    every one of those savepoints is still open (a rolled-back savepoint is closed, and a new one
    gets a new name)."""
    return savepoint_state()[: len(savepoints_then)] == savepoints_then


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` as one unit (see ``unit``)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit():
            return func(*args, **kwargs)

    return wrapper


# --- Writing rows on the hot path -------------------------------------------------------------
# Statements built from the model's fields directly rather than through the ORM's compiler, which
# costs a fifth of a millisecond or more per statement: the window's intake writes a dozen. Each
# sends no model signals (the portal's own rows have no receivers) and takes values as ``save``
# would (``pre_save``: defaults, ``auto_now``; ``get_db_prep_save``: the database's form).


def _columns(model, connection) -> tuple[list, str]:
    """The fields an insert gives values for (all but a primary key the database numbers)."""
    fields = [field for field in model._meta.concrete_fields if not (field.primary_key and field.db_returning)]
    return fields, ", ".join(connection.ops.quote_name(field.column) for field in fields)


def _row_values(instance, fields, connection) -> list:
    return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields]


def _mark_saved(instance, pk, connection) -> None:
    instance.pk = pk
    instance._state.adding, instance._state.db = False, connection.alias


def insert_rows(instances: list[M]) -> list[M]:
    """Insert new rows of one model in one statement (``INSERT … VALUES (…), (…) RETURNING id``),
    what ``Model.save`` or ``bulk_create`` do for them; their primary keys are set."""
    if not instances:
        return instances
    model = type(instances[0])
    connection = connections[router.db_for_write(model)]
    fields, columns = _columns(model, connection)
    values = []
    for instance in instances:
        values += _row_values(instance, fields, connection)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
                       f"{', '.join([row] * len(instances))} RETURNING {quote(model._meta.pk.column)}", values)
        for instance, (pk,) in zip(instances, cursor.fetchall(), strict=True):
            _mark_saved(instance, pk, connection)
    return instances


def save_fields(instance: models.Model, names) -> None:
    """``instance.save(update_fields=names)``: one ``UPDATE … SET … WHERE id = …``."""
    model = type(instance)
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    values = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(field.column)} = %s' for field in fields)} "
            f"WHERE {quote(model._meta.pk.column)} = %s", [*values, instance.pk])
        if cursor.rowcount != 1:
            raise model.DoesNotExist(f"{model._meta.label} {instance.pk} is gone")


def insert_or_get(instance: M, key_field: str) -> tuple[M, bool]:
    """Insert ``instance`` unless a row with its unique ``key_field`` exists; (row, created).

    What ``get_or_create`` does, in one statement instead of four (select, savepoint, insert,
    release): ``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id``. A concurrent insert of the
    same key makes ours wait for its commit and then yield, and the committed row is read instead.
    """
    model = type(instance)
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields, columns = _columns(model, connection)
    values = _row_values(instance, fields, connection)
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(fields))
    key_column = quote(meta.get_field(key_field).column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "
            f"ON CONFLICT ({key_column}) DO NOTHING RETURNING {quote(meta.pk.column)}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return model._default_manager.using(connection.alias).get(**{key_field: getattr(instance, key_field)}), False
    _mark_saved(instance, row[0], connection)
    return instance, True


def insert_many_or_skip(instances: list[M], key_field: str) -> list[M]:
    """Insert ``instances`` (of one model) in one statement, skipping each whose unique
    ``key_field`` is already stored; the ones inserted, with their primary keys set.

    ``insert_or_get`` for a batch: ``INSERT … VALUES (…), (…) ON CONFLICT (key) DO NOTHING
    RETURNING key, id``. The caller reads the skipped ones if it needs them.
    """
    if not instances:
        return []
    model = type(instances[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields, columns = _columns(model, connection)
    quote = connection.ops.quote_name
    key = meta.get_field(key_field)
    values, rows = [], []
    for instance in instances:
        values += _row_values(instance, fields, connection)
        rows.append("(" + ", ".join(["%s"] * len(fields)) + ")")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"VALUES {', '.join(rows)} ON CONFLICT ({quote(key.column)}) DO NOTHING "
            f"RETURNING {quote(key.column)}, {quote(meta.pk.column)}",
            values,
        )
        created = dict(cursor.fetchall())
    inserted = []
    for instance in instances:
        pk = created.get(key.get_db_prep_save(getattr(instance, key.attname), connection))
        if pk is not None:
            _mark_saved(instance, pk, connection)
            inserted.append(instance)
    return inserted
