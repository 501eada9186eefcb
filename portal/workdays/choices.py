"""Kinds of calendar day and statuses of a year's schedule, with Chinese labels (TIME_RULES.md §2, §11)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    """Why a day is or is not a working day (Administrative Licensing Law art. 82: 以工作日计算)."""

    WORKDAY = "workday", _("工作日")
    WEEKEND = "weekend", _("周末")
    HOLIDAY = "holiday", _("法定节假日")
    # A Saturday or Sunday worked to make up for a bridged holiday (调休上班).
    ADJUSTED_WORKDAY = "adjusted_workday", _("调休上班")


# The kinds on which the clock runs; the database enforces is_working == (kind in WORKING_KINDS).
WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY})


class YearStatus(models.TextChoices):
    """Whether a year's holiday schedule is known (TIME_RULES.md §11)."""

    PUBLISHED = "published", _("已发布")
    # Not yet announced by the State Council: weekends alone are skipped, results are provisional.
    PROVISIONAL = "provisional", _("临时（仅跳过周末）")
