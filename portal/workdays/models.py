"""The working-day calendar: one row per date, one row per year (TIME_RULES.md §2, §11).

Python and SQL read the same table. Each day carries a working-day ordinal — the number of working
days from 2004-01-01 up to and including that day — so that "working days between a and b" is
``ordinal(b) - ordinal(a)`` and "n working days after d" is the working day whose ordinal is
``ordinal(d) + n``: a join, not a loop, for sweeps over a million deadlines.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.workdays.choices import WORKING_KINDS, DayKind, YearStatus
from portal.workdays.querysets import CALENDAR_DAY_TABLE, CalendarDayQuerySet


class CalendarDay(models.Model):
    """One Beijing calendar day (TIME_RULES.md §1) and whether the time-limit clock runs on it.

    Written only by ``portal.workdays.services`` (set_day, publish_year, seeding), which keep the
    ordinals consistent; the admin's save goes through ``set_day`` too.
    """

    date = models.DateField(_("日期"), primary_key=True)
    is_working = models.BooleanField(_("工作日"))
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    holiday_name = models.CharField(_("节日名称"), max_length=100, blank=True)
    # Working days from the table's first date (2004-01-01) up to and including this date;
    # non-working days repeat the ordinal of the working day before them.
    ordinal = models.IntegerField(_("工作日序号"))
    # The year's schedule is not yet published: this day follows the weekends-only rule (§11).
    provisional = models.BooleanField(_("临时"), default=False)

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        db_table = CALENDAR_DAY_TABLE
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]
        indexes = [
            # "the working day whose ordinal is k": the join behind every SQL deadline.
            models.Index(fields=["ordinal"], condition=Q(is_working=True), name="workday_working_ordinal"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(is_working=True) & Q(kind__in=sorted(WORKING_KINDS)))
                | (Q(is_working=False) & ~Q(kind__in=sorted(WORKING_KINDS))),
                name="workday_is_working_matches_kind",
            ),
            models.CheckConstraint(condition=Q(ordinal__gte=0), name="workday_ordinal_not_negative"),
        ]

    def __str__(self) -> str:
        return self.date.isoformat()


class CalendarYear(models.Model):
    """Whether a year's holiday schedule has been published, by whom and from what source.

    A year not yet announced is provisional: its days follow the weekends-only rule and every
    deadline touching it is marked provisional until admins publish it (TIME_RULES.md §11).
    ``revision`` changes on every edit of the year, so that each process can tell, with one small
    query, that its in-memory copy of the calendar is out of date.
    """

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=YearStatus.choices, default=YearStatus.PROVISIONAL
    )
    # "chinesecalendar 1.11.0" or "admin"; blank while the year is weekends-only.
    source = models.CharField(_("来源"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # A snapshot of the publisher's name, kept even if the account is later deleted.
    published_by = models.CharField(_("发布人"), max_length=200, blank=True)
    revision = models.UUIDField(_("版本"), default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

    @property
    def is_published(self) -> bool:
        return self.status == YearStatus.PUBLISHED
