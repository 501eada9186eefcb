"""Kinds of key events, codes of the off-system processing rules and review verdicts, with
Chinese labels (DOMAIN.md §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyEventKind(models.TextChoices):
    """The key events monitoring watches beside the time-limit lights (DOMAIN.md §5)."""

    NOT_ACCEPTED = "not_accepted", _("不予受理")
    REFUSED = "refused", _("不予许可")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("补正告知")
    DEEMED_ACCEPTED = "deemed_accepted", _("视为受理")
    EXTENDED = "extended", _("延期")
    # Raised by the time-limit warnings (TIME_RULES §6), not by this app's sweep.
    STATUTORY_LIMIT_PASSED = "statutory_limit_passed", _("超过法定时限")


class RuleCode(models.TextChoices):
    """The off-system processing rules (体外循环 / 录入时间与实际办理时间不同步)."""

    LATE_ONLINE_ACCEPTANCE = "late_online_acceptance", _("网上申报受理滞后")
    STEP_BURST = "step_burst", _("集中补录办理环节")
    SHORT_STEP = "short_step", _("环节用时过短")
    LONG_STEP = "long_step", _("环节用时过长")
    CLAIMED_TIME_GAP = "claimed_time_gap", _("声称办理时间与记录时间不符")


class ReviewVerdict(models.TextChoices):
    JUSTIFIED = "justified", _("有正当理由")
    NOT_JUSTIFIED = "not_justified", _("无正当理由")
