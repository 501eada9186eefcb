"""Working-day arithmetic in SQL, reading the same table as the Python API (TIME_RULES.md §2).

Every day row carries ``ordinal``: the working days from 2004-01-01 up to and including it. So

- working days in (start, end]      = ordinal(end) - ordinal(start)
- n working days after start (n > 0) = the working day whose ordinal is ordinal(start) + n
- n = 0                              = start itself (a 即办件 is due the day it is accepted, §7)

which a sweep evaluates for a million rows as joins, without loops. Two forms are offered: ORM
expressions (``AddWorkingDays``, ``WorkingDaysBetween``, ``WorkingDayOrdinal``) for querysets, and
SQL fragments (``add_working_days_sql`` …) for hand-written statements. Both give NULL for dates
outside the table (before 2004-01-01 or after the last seeded year, current year + 2); the Python
API extrapolates there (weekends only), so callers compare only dates the table covers.
A test proves SQL and Python agree on thousands of random pairs.
"""

import re

from django.db import models
from django.db.models import Expression, F, Value

CALENDAR_DAY_TABLE = "workdays_calendarday"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class CalendarDayQuerySet(models.QuerySet):
    """Reusable filters over calendar days."""

    def in_year(self, year: int) -> "CalendarDayQuerySet":
        return self.filter(date__year=year)

    def working(self) -> "CalendarDayQuerySet":
        return self.filter(is_working=True)

    def provisional(self) -> "CalendarDayQuerySet":
        return self.filter(provisional=True)


def ordinal_sql(date_sql: str) -> str:
    """SQL for the working-day ordinal of the date ``date_sql`` (a column or a placeholder)."""
    return f"(SELECT origin.ordinal FROM {CALENDAR_DAY_TABLE} origin WHERE origin.date = {date_sql})"


def working_days_between_sql(start_sql: str, end_sql: str) -> str:
    """SQL for the working days in (start, end]; negative when end is before start."""
    return f"({ordinal_sql(end_sql)} - {ordinal_sql(start_sql)})"


def add_working_days_sql(date_sql: str, days_sql: str) -> str:
    """SQL for the date on which ``days_sql`` working days after ``date_sql`` have passed.

    Both arguments appear twice in the result: with placeholders, pass their parameters twice, or
    use ``AddWorkingDays``, which does that for you.
    """
    return (
        f"(CASE WHEN {days_sql} = 0 THEN {date_sql} ELSE "
        f"(SELECT target.date FROM {CALENDAR_DAY_TABLE} target "
        f"WHERE target.is_working AND target.ordinal = {ordinal_sql(date_sql)} + {days_sql}) END)"
    )


def _as_expression(argument):
    """A field name becomes F(name), an expression stays, a plain value becomes Value(value)."""
    if isinstance(argument, str):
        return F(argument)
    if hasattr(argument, "resolve_expression"):
        return argument
    return Value(argument)


class _CalendarExpression(Expression):
    """An expression over dates and counts rendered from one of the SQL fragments above.

    The fragments repeat their arguments, so each compiled argument is substituted wherever its
    placeholder appears, with its parameters repeated in the same order.
    """

    template = ""
    argument_names: tuple[str, ...] = ()

    def __init__(self, *expressions, output_field):
        super().__init__(output_field=output_field)
        self.source_expressions = [_as_expression(expression) for expression in expressions]

    def get_source_expressions(self):
        return self.source_expressions

    def set_source_expressions(self, expressions):
        self.source_expressions = list(expressions)

    def as_sql(self, compiler, connection):
        compiled = {
            name: compiler.compile(expression)
            for name, expression in zip(self.argument_names, self.source_expressions, strict=True)
        }
        sql_parts, params = [], []
        position = 0
        for match in _PLACEHOLDER.finditer(self.template):
            sql_parts.append(self.template[position : match.start()])
            argument_sql, argument_params = compiled[match.group(1)]
            sql_parts.append(f"({argument_sql})")
            params.extend(argument_params)
            position = match.end()
        sql_parts.append(self.template[position:])
        return "".join(sql_parts), params


class WorkingDayOrdinal(_CalendarExpression):
    """``WorkingDayOrdinal("accepted_on")``: the ordinal of a date column or value."""

    template = ordinal_sql("{date}")
    argument_names = ("date",)

    def __init__(self, date):
        super().__init__(date, output_field=models.IntegerField())


class WorkingDaysBetween(_CalendarExpression):
    """``WorkingDaysBetween("accepted_on", Value(today))``: working days in (start, end]."""

    template = working_days_between_sql("{start}", "{end}")
    argument_names = ("start", "end")

    def __init__(self, start, end):
        super().__init__(start, end, output_field=models.IntegerField())


class AddWorkingDays(_CalendarExpression):
    """``AddWorkingDays("accepted_on", "promised_limit")``: the due date, as ``add_working_days``.

    ``days`` may be a field name, an expression or an int; it must not be negative.
    """

    template = add_working_days_sql("{date}", "{days}")
    argument_names = ("date", "days")

    def __init__(self, date, days):
        super().__init__(date, days, output_field=models.DateField())
