"""Colours of the time-limit lights and the kinds of sweep runs, with Chinese labels (DOMAIN.md §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WarningColour(models.TextChoices):
    """The lights of electronic monitoring (TIME_RULES.md §6).

    Yellow and red run on the promised limit (承诺时限); passing the statutory limit (法定时限) is a
    separate, graver key event — a breach of law — recorded as its own colour.
    """

    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌警示")
    STATUTORY = "statutory", _("超法定时限")


# Gravest first: how a case with several current warnings is shown (one light per case).
SEVERITY = {WarningColour.STATUTORY: 3, WarningColour.RED: 2, WarningColour.YELLOW: 1}


class SweepTrigger(models.TextChoices):
    """Why a sweep ran: beat's schedule, a calendar year just published, or by hand."""

    SCHEDULE = "schedule", _("定时巡检")
    PUBLICATION = "publication", _("节假日安排发布后重算")
    MANUAL = "manual", _("手动巡检")
