"""SQL and Python agree (TIME_RULES.md §2): the sweeps compare deadlines in SQL, the screens in
Python, and a case must not be red on one and green on the other."""

import datetime
import random

import pytest
from django.db import connection
from django.db.models import Value

from portal.workdays import add_working_days, ordinal_of, working_days_between
from portal.workdays.choices import DayKind
from portal.workdays.models import CalendarDay
from portal.workdays.querysets import (
    AddWorkingDays,
    WorkingDayOrdinal,
    WorkingDaysBetween,
    add_working_days_sql,
    working_days_between_sql,
)

FIRST, LAST = datetime.date(2024, 1, 1), datetime.date(2027, 12, 31)


def _random_pairs(count: int = 2000) -> list[tuple[datetime.date, int]]:
    """Starts across 2024–2027 — every holiday and adjusted weekend among them — and counts 0–60."""
    generator = random.Random(20251001)
    special = list(
        CalendarDay.objects.filter(date__range=(FIRST, LAST))
        .filter(kind__in=[DayKind.HOLIDAY, DayKind.ADJUSTED_WORKDAY])
        .values_list("date", flat=True)
    )
    span = (LAST - FIRST).days
    starts = special + [
        FIRST + datetime.timedelta(days=generator.randrange(span + 1)) for _ in range(count - len(special))
    ]
    return [(start, generator.randrange(61)) for start in starts]


def test_orm_expression_agrees_with_python_on_2000_random_pairs():
    pairs = _random_pairs()
    by_days: dict[int, set[datetime.date]] = {}
    for start, days in pairs:
        by_days.setdefault(days, set()).add(start)

    disagreements = []
    for days, starts in by_days.items():
        rows = CalendarDay.objects.filter(date__in=starts).annotate(due=AddWorkingDays("date", days))
        for start, due in rows.values_list("date", "due"):
            if due != add_working_days(start, days):
                disagreements.append((start, days, due, add_working_days(start, days)))

    assert len(pairs) == 2000
    assert disagreements == []


def test_orm_working_days_between_agrees_with_python():
    generator = random.Random(7)
    span = (LAST - FIRST).days
    ends = [FIRST + datetime.timedelta(days=generator.randrange(span + 1)) for _ in range(40)]
    starts = [FIRST + datetime.timedelta(days=generator.randrange(span + 1)) for _ in range(50)]

    disagreements = []
    for end in ends:
        rows = CalendarDay.objects.filter(date__in=starts).annotate(
            between=WorkingDaysBetween("date", Value(end)), ordinal_value=WorkingDayOrdinal("date")
        )
        for start, between, ordinal in rows.values_list("date", "between", "ordinal_value"):
            if between != working_days_between(start, end) or ordinal != ordinal_of(start):
                disagreements.append((start, end, between))

    assert disagreements == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VALUES column aliases are PostgreSQL syntax")
def test_sql_fragments_agree_with_python_in_one_statement():
    """The form a hand-written sweep uses: one statement over all pairs, joined on ordinals."""
    pairs = _random_pairs()
    due_date = datetime.date(2026, 3, 13)
    statement = (
        f"SELECT pairs.start, pairs.days, {add_working_days_sql('pairs.start', 'pairs.days')}, "
        f"{working_days_between_sql('pairs.start', 'CAST(%s AS date)')} "
        f"FROM (VALUES {', '.join(['(CAST(%s AS date), %s)'] * len(pairs))}) AS pairs (start, days)"
    )
    params = [due_date] + [value for pair in pairs for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        results = cursor.fetchall()

    assert len(results) == len(pairs)
    assert sorted(results) == sorted(
        (start, days, add_working_days(start, days), working_days_between(start, due_date))
        for start, days in pairs
    )


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (datetime.date(2025, 9, 22), 20, datetime.date(2025, 10, 24)),
        (datetime.date(2025, 10, 4), 0, datetime.date(2025, 10, 4)),
        (datetime.date(2026, 12, 28), 20, datetime.date(2027, 1, 25)),
    ],
)
def test_orm_expression_on_the_worked_examples(start, days, expected):
    due = (
        CalendarDay.objects.filter(date=start)
        .annotate(due=AddWorkingDays("date", days))
        .values_list("due", flat=True)
    )

    assert list(due) == [expected]
