"""The working-day calendar and the arithmetic every clock in the portal uses (TIME_RULES.md §2–3, §11).

    add_working_days(start, n)       the date on which n working days after start have passed
    working_days_between(start, end) working days in (start, end]
    is_working_day(d), next_working_day(d), ordinal_of(d), missing_years()

Results are answered from a per-process copy of the calendar table, without a query per call.
Models are imported lazily inside those functions: this package is imported before apps are ready.
"""

from portal.workdays.table import (
    CalendarDate,
    add_working_days,
    is_working_day,
    missing_years,
    next_working_day,
    ordinal_of,
    working_days_between,
)
from portal.workdays.table import invalidate as reset_cache

__all__ = [
    "CalendarDate",
    "add_working_days",
    "is_working_day",
    "missing_years",
    "next_working_day",
    "ordinal_of",
    "reset_cache",
    "working_days_between",
]
