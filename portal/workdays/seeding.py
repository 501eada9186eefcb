"""Filling the calendar table and keeping its ordinals right, for any copy of the models.

The functions take the model classes as arguments so that the seeding migration (with historical
models) and the services (with the real ones) share one implementation. Auditing and permission
checks belong to the callers in ``services``; nothing here records or checks anything.
"""

import datetime

from django.db import connections
from django.utils import timezone

from portal.workdays.choices import YearStatus
from portal.workdays.schedule import (
    FIRST_DATE,
    days_of_year,
    is_working_kind,
    package_covers,
    package_schedule,
    package_source,
    resolved_day,
)

SYSTEM_ACTOR_LABEL = "系统"
# Rows per INSERT/UPDATE statement: small enough for SQLite's parameter limit, large enough that a
# twenty-year seed is a handful of statements.
BATCH_SIZE = 500
# How far ahead the table reaches: deadlines run at most a few months, and a year's schedule is
# announced only late in the year before (TIME_RULES.md §11).
YEARS_AHEAD = 2


def seed_through_year() -> int:
    """The last year the table must hold: the current Beijing year plus two."""
    return timezone.localdate().year + YEARS_AHEAD


def seed_calendar(day_model, year_model, *, through_year: int, using: str = "default") -> list[int]:
    """Insert every year from 2004 through ``through_year`` that the table lacks; return them.

    Idempotent: a year already present (published, provisional or edited by admins) is never
    touched. A year the chinesecalendar package covers is inserted as published from it; a later
    year is inserted provisional, weekends only (TIME_RULES.md §11). Rows go in by bulk_create, and
    ordinals are computed while building them, so a fresh database is seeded in a few statements.
    """
    present = set(year_model.objects.using(using).values_list("year", flat=True))
    missing = [year for year in range(FIRST_DATE.year, through_year + 1) if year not in present]
    if not missing:
        return []
    first_new_date = datetime.date(missing[0], 1, 1)
    previous = (
        day_model.objects.using(using)
        .filter(date__lt=first_new_date)
        .order_by("-date")
        .values_list("ordinal", flat=True)
        .first()
    )
    running_ordinal = previous or 0
    now = timezone.now()
    source = package_source()
    day_rows, year_rows = [], []
    for year in missing:
        published = package_covers(year)
        schedule = package_schedule(year) if published else {}
        for day in days_of_year(year):
            kind, holiday_name = resolved_day(day, schedule)
            is_working = is_working_kind(kind)
            running_ordinal += is_working
            day_rows.append(
                day_model(
                    date=day,
                    is_working=is_working,
                    kind=kind,
                    holiday_name=holiday_name,
                    ordinal=running_ordinal,
                    provisional=not published,
                )
            )
        year_rows.append(
            year_model(
                year=year,
                status=YearStatus.PUBLISHED if published else YearStatus.PROVISIONAL,
                source=source if published else "",
                published_at=now if published else None,
                published_by=SYSTEM_ACTOR_LABEL if published else "",
            )
        )
    day_model.objects.using(using).bulk_create(day_rows, batch_size=BATCH_SIZE)
    year_model.objects.using(using).bulk_create(year_rows, batch_size=BATCH_SIZE)
    # Ordinals above ran over the new years only; a gap filled below existing years shifts theirs.
    if day_model.objects.using(using).filter(date__gt=day_rows[-1].date).exists():
        recompute_ordinals(day_model, first_new_date, using=using)
    return missing


def recompute_ordinals(day_model, start: datetime.date, *, using: str = "default") -> int:
    """Renumber the ordinals of every day from ``start`` on; return how many rows changed.

    On PostgreSQL one UPDATE with a running-sum window function does it in the database. Other
    databases (the embedded SQLite set-up) read the (date, is_working) column pairs and write back
    only the changed ordinals in batches: a few hundred rows after a year is published.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _recompute_ordinals_in_sql(day_model, start, connection)
    return recompute_ordinals_in_python(day_model, start, using=using)


def _recompute_ordinals_in_sql(day_model, start: datetime.date, connection) -> int:
    table = connection.ops.quote_name(day_model._meta.db_table)
    statement = f"""
        UPDATE {table} AS day
        SET ordinal = computed.ordinal
        FROM (
            SELECT date,
                   COALESCE((SELECT ordinal FROM {table} WHERE date < %s ORDER BY date DESC LIMIT 1), 0)
                   + SUM(CASE WHEN is_working THEN 1 ELSE 0 END) OVER (ORDER BY date) AS ordinal
            FROM {table}
            WHERE date >= %s
        ) AS computed
        WHERE day.date = computed.date AND day.ordinal <> computed.ordinal
    """
    with connection.cursor() as cursor:
        cursor.execute(statement, [start, start])
        return cursor.rowcount


def recompute_ordinals_in_python(day_model, start: datetime.date, *, using: str = "default") -> int:
    """The portable renumbering; public so that a test can hold it against the SQL one."""
    manager = day_model.objects.using(using)
    running_ordinal = (
        manager.filter(date__lt=start).order_by("-date").values_list("ordinal", flat=True).first() or 0
    )
    changed = []
    for day, is_working, ordinal in (
        manager.filter(date__gte=start).order_by("date").values_list("date", "is_working", "ordinal")
    ):
        running_ordinal += is_working
        if ordinal != running_ordinal:
            changed.append(day_model(date=day, ordinal=running_ordinal))
    manager.bulk_update(changed, ["ordinal"], batch_size=BATCH_SIZE)
    return len(changed)
