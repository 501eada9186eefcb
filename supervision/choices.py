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


class NoticeStatus(models.TextChoices):
    """A supervision notice (督办通知书): drafted by the system, issued by a supervisor."""

    DRAFT = "draft", _("待签发")
    ISSUED = "issued", _("已签发")


class NoticeItemStatus(models.TextChoices):
    """One red case of a notice: the department explains (说明理由), the supervisor decides."""

    AWAITING = "awaiting", _("待说明理由")
    EXPLAINED = "explained", _("已说明待审查")
    ACCEPTED = "accepted", _("理由成立")
    FAULT = "fault", _("认定过错责任")


class FaultStatus(models.TextChoices):
    """A recorded fault (过错责任): it stands, is under appeal, or the appeal was decided."""

    RECORDED = "recorded", _("已认定")
    APPEALED = "appealed", _("申诉中")
    UPHELD = "upheld", _("申诉驳回，维持认定")
    OVERTURNED = "overturned", _("申诉成立，撤销认定")


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("维持过错认定")
    OVERTURNED = "overturned", _("撤销过错认定")
