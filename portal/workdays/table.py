"""The working-day calendar in memory: the API every clock in the portal calls (TIME_RULES.md §2–3).

A sweep over a million deadlines must not query per call, so each process loads the whole table
once (about nine thousand rows) into compact arrays:

- ``ordinals[i]``: the working-day ordinal of the i-th day after 2004-01-01;
- ``working_dates[k]``: the k-th working day, ready-made as a ``CalendarDate``;
- ``provisional_before[i]``: how many provisional days there are up to and including day i, so
  that "did (start, end] touch a provisional year?" is one subtraction.

Every answer is then a few list look-ups. The copy is checked against the database at most every
``RECHECK_SECONDS`` (one query on the ~25 year rows, whose ``revision`` changes on every edit) and
dropped at once in the process that edits the calendar. Beyond the last seeded date, and in
provisional years, weekends alone are skipped and results are marked provisional (§11). Dates
before 2004-01-01 raise ValueError: the calendar does not know them.

No models are imported at module level: ``portal.workdays`` re-exports this API and is imported
before the app registry is ready.
"""

import datetime
import logging
import threading
import time

from django.db import connection
from django.utils import timezone

from portal.workdays.schedule import FIRST_DATE

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 30.0
_FIRST_DAY_NUMBER = FIRST_DATE.toordinal()
_WORKING_WEEKDAYS = 5
_DAYS_PER_WEEK = 7


class CalendarIntegrityError(RuntimeError):
    """The calendar table has a gap or an inconsistent ordinal; run ``manage.py seed_calendar``."""


class CalendarDate(datetime.date):
    """A date computed from the calendar, equal to the plain date, that also says whether it is
    provisional: whether the computation touched a year whose holidays are not yet published
    (TIME_RULES.md §11), so that the deadline is recomputed when the year is published."""

    __slots__ = ("_provisional",)

    def __new__(cls, year, month=None, day=None, provisional: bool = False):
        instance = super().__new__(cls, year, month, day)
        instance._provisional = provisional
        return instance

    @property
    def provisional(self) -> bool:
        return self._provisional

    def __reduce__(self):
        return (type(self), (self.year, self.month, self.day, self._provisional))

    def __repr__(self) -> str:
        return f"CalendarDate({self.year}, {self.month}, {self.day}, provisional={self._provisional})"


def _weekdays_through(day_number: int) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday, day number 1) through ``day_number``."""
    weeks, rest = divmod(day_number, _DAYS_PER_WEEK)
    return weeks * _WORKING_WEEKDAYS + min(rest, _WORKING_WEEKDAYS)


def _day_number_of_weekday(count: int) -> int:
    """The day number of the ``count``-th Monday-to-Friday day since 0001-01-01."""
    weeks, rest = divmod(count, _WORKING_WEEKDAYS)
    if rest == 0:
        return weeks * _DAYS_PER_WEEK - 2  # the Friday of week ``weeks``
    return weeks * _DAYS_PER_WEEK + rest


def _day_number(day: datetime.date) -> int:
    if isinstance(day, datetime.datetime):
        # A UTC timestamp's date is not the Beijing date (TIME_RULES.md §1).
        raise TypeError("pass a Beijing date (timezone.localdate(timestamp)), not a datetime")
    day_number = day.toordinal()
    if day_number < _FIRST_DAY_NUMBER:
        raise ValueError(
            f"the working-day calendar starts on {FIRST_DATE.isoformat()}; "
            f"{day.isoformat()} is before it and cannot be counted"
        )
    return day_number


class WorkingDayTable:
    """An immutable snapshot of the calendar table; see the module docstring for the layout."""

    def __init__(self, rows, *, published_years, version):
        ordinals, working, provisional_before = [], bytearray(), []
        working_offsets = [-1]
        provisional_count = 0
        for offset, (day, is_working, ordinal, provisional) in enumerate(rows):
            if day.toordinal() != _FIRST_DAY_NUMBER + offset:
                raise CalendarIntegrityError(
                    f"the calendar table has no row for {datetime.date.fromordinal(_FIRST_DAY_NUMBER + offset)}; "
                    "run `manage.py seed_calendar`"
                )
            previous = ordinals[-1] if ordinals else 0
            if ordinal != previous + is_working:
                raise CalendarIntegrityError(
                    f"the working-day ordinal of {day} is {ordinal}, expected {previous + is_working}; "
                    "run `manage.py seed_calendar --recompute-ordinals`"
                )
            ordinals.append(ordinal)
            working.append(is_working)
            if is_working:
                working_offsets.append(offset)
            provisional_count += provisional
            provisional_before.append(provisional_count)
        self.ordinals = ordinals
        self.working = bytes(working)
        self.working_offsets = working_offsets
        self.provisional_before = provisional_before
        self.size = len(ordinals)
        self.last_day_number = _FIRST_DAY_NUMBER + self.size - 1
        self.last_ordinal = ordinals[-1] if ordinals else 0
        self.published_years = frozenset(published_years)
        self.version = version
        self.dates = [None] + [
            CalendarDate.fromordinal(_FIRST_DAY_NUMBER + offset) for offset in working_offsets[1:]
        ]
        self.provisional_dates = [None] + [
            CalendarDate(day.year, day.month, day.day, provisional=True) for day in self.dates[1:]
        ]

    # --- arithmetic ------------------------------------------------------------------------------

    def add_working_days(self, start: datetime.date, days: int) -> CalendarDate:
        offset = _day_number(start) - _FIRST_DAY_NUMBER
        inherited = type(start) is CalendarDate and start._provisional
        if days <= 0:
            if days == 0:
                return CalendarDate(start.year, start.month, start.day, provisional=inherited)
            raise ValueError(f"cannot count a negative number of working days ({days})")
        if offset < self.size:
            target = self.ordinals[offset] + days
            if target <= self.last_ordinal:
                provisional_before = self.provisional_before
                if (
                    inherited
                    or provisional_before[self.working_offsets[target]] != provisional_before[offset]
                ):
                    return self.provisional_dates[target]
                return self.dates[target]
        return self._date_beyond_table(self.ordinal_of(start) + days)

    def _date_beyond_table(self, target: int) -> CalendarDate:
        """The working day with ordinal ``target`` past the table's end: weekends only (§11)."""
        count = _weekdays_through(self.last_day_number) + target - self.last_ordinal
        result = CalendarDate.fromordinal(_day_number_of_weekday(count))
        result._provisional = True
        return result

    def ordinal_of(self, day: datetime.date) -> int:
        offset = _day_number(day) - _FIRST_DAY_NUMBER
        if offset < self.size:
            return self.ordinals[offset]
        return (
            self.last_ordinal
            + _weekdays_through(offset + _FIRST_DAY_NUMBER)
            - _weekdays_through(self.last_day_number)
        )

    def is_working_day(self, day: datetime.date) -> bool:
        offset = _day_number(day) - _FIRST_DAY_NUMBER
        if offset < self.size:
            return bool(self.working[offset])
        return day.weekday() < _WORKING_WEEKDAYS


# --- the per-process copy ------------------------------------------------------------------------

_lock = threading.Lock()
_table: WorkingDayTable | None = None
_recheck_at = 0.0
# Set while this process has written the calendar inside a transaction not yet committed: a copy
# loaded then may hold rows that a rollback undoes, so it is not trusted past the next recheck.
_uncommitted_edit = False


def _read_version():
    from portal.workdays.models import CalendarYear

    return tuple(CalendarYear.objects.order_by("year").values_list("year", "status", "revision"))


def _load(version) -> WorkingDayTable:
    from portal.workdays.choices import YearStatus
    from portal.workdays.models import CalendarDay

    started = time.perf_counter()
    rows = CalendarDay.objects.order_by("date").values_list("date", "is_working", "ordinal", "provisional")
    published_years = [year for year, status, _revision in version if status == YearStatus.PUBLISHED]
    trusted = not (_uncommitted_edit and connection.in_atomic_block)
    table = WorkingDayTable(rows, published_years=published_years, version=version if trusted else None)
    logger.debug("loaded %d calendar days in %.3f s", table.size, time.perf_counter() - started)
    return table


def current_table() -> WorkingDayTable:
    """This process's copy of the calendar, reloaded when the database's version differs."""
    table = _table
    if table is not None and time.monotonic() < _recheck_at:
        return table
    return _refresh()


def _refresh() -> WorkingDayTable:
    global _table, _recheck_at
    with _lock:
        if _table is not None and time.monotonic() < _recheck_at:
            return _table
        version = _read_version()
        if _table is None or _table.version != version:
            _table = _load(version)
        _recheck_at = time.monotonic() + RECHECK_SECONDS
        return _table


def invalidate() -> None:
    """Drop this process's copy; the next call reloads. Other processes notice within 30 s."""
    global _table, _recheck_at
    with _lock:
        _table = None
        _recheck_at = 0.0


def invalidate_after_edit() -> None:
    """Called by the services inside the editing transaction: drop the copy now (this process sees
    its own edit at once) and again after commit (a copy loaded mid-transaction is replaced)."""
    global _uncommitted_edit
    from django.db import transaction

    _uncommitted_edit = True
    invalidate()
    transaction.on_commit(_committed)


def _committed() -> None:
    global _uncommitted_edit
    _uncommitted_edit = False
    invalidate()


# --- the public API (re-exported by portal.workdays) ---------------------------------------------


def add_working_days(start: datetime.date, n: int) -> CalendarDate:
    """The date on which ``n`` working days after ``start`` have passed (TIME_RULES.md §3).

    Counting is (start, end]: ``start`` itself is never counted, so the result is the n-th working
    day after it; ``n == 0`` returns ``start`` (a 即办件 is due the day it is accepted, §7).
    Negative ``n`` raises ValueError. The result is provisional if the days counted touch a year
    not yet published or lie past the table, or if ``start`` was itself provisional.
    """
    table = _table
    if table is None or time.monotonic() >= _recheck_at:
        table = _refresh()
    return table.add_working_days(start, n)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The working days in (start, end] (TIME_RULES.md §3, §5): ``ordinal(end) - ordinal(start)``.

    Zero when ``end == start``; when ``end`` is before ``start`` the result is the negated count
    of (end, start], so ``add_working_days(a, working_days_between(a, b))`` is the working day on
    or before ``b``. Time used, for instance, is the working days in (accepted, today] minus each
    (paused, resumed] interval (§5).
    """
    table = _table
    if table is None or time.monotonic() >= _recheck_at:
        table = _refresh()
    return table.ordinal_of(end) - table.ordinal_of(start)


def is_working_day(day: datetime.date) -> bool:
    """Whether the time-limit clock runs on ``day`` (weekdays only past the table, §11)."""
    return current_table().is_working_day(day)


def next_working_day(day: datetime.date) -> CalendarDate:
    """The first working day strictly after ``day``: where materials received on a non-working day
    count as received (TIME_RULES.md §4: filed Sat 2025-10-04 → received 2025-10-09)."""
    return current_table().add_working_days(day, 1)


def ordinal_of(day: datetime.date) -> int:
    """Working days from 2004-01-01 up to and including ``day``: the column SQL joins on."""
    return current_table().ordinal_of(day)


def missing_years() -> list[int]:
    """The years from this one through two years ahead whose schedule is not published.

    Deadlines that reach into them are provisional (weekends only); the admin shows a notice for
    each until someone publishes the year (TIME_RULES.md §11). The current year is included: were
    it still unpublished, every deadline computed today would be provisional.
    """
    from portal.workdays.seeding import YEARS_AHEAD

    this_year = timezone.localdate().year
    published = current_table().published_years
    return [year for year in range(this_year, this_year + YEARS_AHEAD + 1) if year not in published]
