"""A year's holiday schedule as plain data: where it comes from and what a valid day looks like.

No database access here, so that the seeding migration, the services and the admin form all apply
the same rules. The State Council announces each year's holidays and adjusted working weekends
(调休) late in the year before; the ``chinesecalendar`` package carries the announced years, and
admins enter a year the package does not cover yet (DOMAIN.md §4, TIME_RULES.md §2).
"""

import datetime
from collections.abc import Iterator, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.workdays.choices import WORKING_KINDS, DayKind

# The first date the calendar knows: the chinesecalendar package starts here, and so does the
# working-day ordinal (ordinal = working days from this date up to and including a date).
FIRST_DATE = datetime.date(2004, 1, 1)
HOLIDAY_NAME_MAX_LENGTH = 100
SATURDAY = 5

# A year's schedule as admins give it: only the days that differ from "Monday to Friday work,
# Saturday and Sunday rest" need to be listed. Each value is (kind, holiday name).
Schedule = Mapping[datetime.date, tuple[str, str]]

# The package abbreviates some names; the State Council's notices use the full ones.
_OFFICIAL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


def is_weekend(day: datetime.date) -> bool:
    return day.weekday() >= SATURDAY


def default_kind(day: datetime.date) -> str:
    """The kind of a day when no holiday schedule says otherwise: the provisional rule (§11)."""
    return DayKind.WEEKEND if is_weekend(day) else DayKind.WORKDAY


def days_of_year(year: int) -> Iterator[datetime.date]:
    day = datetime.date(year, 1, 1)
    while day.year == year:
        yield day
        day += datetime.timedelta(days=1)


def package_source() -> str:
    """How the audit trail and the year table name the package data, e.g. "chinesecalendar 1.11.0"."""
    import chinese_calendar

    return f"chinesecalendar {chinese_calendar.__version__}"


def package_covers(year: int) -> bool:
    """Whether the installed chinesecalendar package carries the announced schedule of ``year``."""
    import chinese_calendar

    announced_years = {day.year for day in chinese_calendar.holidays}
    return min(announced_years) <= year <= max(announced_years)


def package_schedule(year: int) -> dict[datetime.date, tuple[str, str]]:
    """The holidays and adjusted working weekends of ``year`` as announced, from the package.

    Raises ValueError for a year the package does not cover: such a year is either provisional
    (weekends only) or entered by admins.
    """
    import chinese_calendar

    if not package_covers(year):
        raise ValueError(
            f"{package_source()} does not cover {year}: enter that year's schedule in the admin "
            "and publish it as entered, or upgrade the package."
        )
    schedule = {}
    for day in days_of_year(year):
        is_holiday, english_name = chinese_calendar.get_holiday_detail(day)
        name = _chinese_name(english_name)
        if is_holiday and english_name:
            schedule[day] = (DayKind.HOLIDAY, name)
        elif not is_holiday and is_weekend(day):
            schedule[day] = (DayKind.ADJUSTED_WORKDAY, name)
    return schedule


def _chinese_name(english_name: str | None) -> str:
    if not english_name:
        return ""
    import chinese_calendar

    chinese = chinese_calendar.Holiday(english_name).chinese
    return _OFFICIAL_NAMES.get(chinese, chinese)


def validate_day(day: datetime.date, kind: str, holiday_name: str) -> None:
    """Refuse a day that cannot exist in a Chinese schedule (ValidationError, in Chinese).

    Holidays may fall on any day (a holiday period spans weekends); an adjusted working day (调休)
    is by definition a Saturday or Sunday; a plain workday or weekend follows the weekday.
    """
    if day < FIRST_DATE:
        raise ValidationError(_("工作日历从 2004-01-01 开始，不能编辑更早的日期。"), code="before_calendar")
    if kind not in DayKind.values:
        raise ValidationError(_("未知的日期类型：%(kind)s。") % {"kind": kind}, code="unknown_kind")
    if kind in (DayKind.WEEKEND, DayKind.ADJUSTED_WORKDAY) and not is_weekend(day):
        raise ValidationError(_("“周末”和“调休上班”只能用于星期六或星期日。"), code="not_weekend")
    if kind == DayKind.WORKDAY and is_weekend(day):
        raise ValidationError(_("星期六、星期日上班请选择“调休上班”。"), code="weekend_workday")
    if kind == DayKind.HOLIDAY and not holiday_name.strip():
        raise ValidationError(_("法定节假日须填写节日名称（如 国庆节）。"), code="holiday_name_missing")
    if kind in (DayKind.WORKDAY, DayKind.WEEKEND) and holiday_name.strip():
        raise ValidationError(_("只有节假日和调休上班可以填写节日名称。"), code="holiday_name_not_allowed")
    if len(holiday_name) > HOLIDAY_NAME_MAX_LENGTH:
        raise ValidationError(_("节日名称过长。"), code="holiday_name_too_long")


def validate_schedule(year: int, schedule: Schedule) -> None:
    """Check every entry of a year's schedule before anything is written."""
    for day, (kind, holiday_name) in schedule.items():
        if day.year != year:
            raise ValidationError(
                _("%(day)s 不属于 %(year)d 年。") % {"day": day.isoformat(), "year": year}, code="wrong_year"
            )
        validate_day(day, kind, holiday_name)


def is_working_kind(kind: str) -> bool:
    return kind in WORKING_KINDS


def resolved_day(day: datetime.date, schedule: Schedule) -> tuple[str, str]:
    """(kind, holiday name) of ``day`` under ``schedule``, defaulting to the weekday rule."""
    kind, holiday_name = schedule.get(day, (default_kind(day), ""))
    return str(kind), holiday_name.strip()
