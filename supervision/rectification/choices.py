"""Statuses and kinds of a rectification case, with Chinese labels (DOMAIN.md §4, 好差评)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.choices import RatingLevel


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    SUBMITTED = "submitted", _("整改待审核")
    INVALIDITY_REQUESTED = "invalidity_requested", _("无效差评申请待审核")
    IMPOSSIBILITY_REQUESTED = "impossibility_requested", _("无法整改申请待审核")
    RECTIFIED = "rectified", _("已整改")
    INVALID = "invalid", _("差评无效")
    IMPOSSIBLE = "impossible", _("无法整改")


# Waiting for the supervisor's decision.
AWAITING_REVIEW = (
    RectificationStatus.SUBMITTED,
    RectificationStatus.INVALIDITY_REQUESTED,
    RectificationStatus.IMPOSSIBILITY_REQUESTED,
)
CLOSED_STATUSES = (RectificationStatus.RECTIFIED, RectificationStatus.INVALID, RectificationStatus.IMPOSSIBLE)
# The department's turn: the deadline runs while a case is here (overdue sweep).
DEPARTMENT_TURN = (RectificationStatus.OPEN,)

# 不满意 and 非常不满意 open a rectification (国办发〔2019〕51号: 差评).
BAD_RATING_LEVELS = (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


class EntryKind(models.TextChoices):
    """One step of the case's history, as shown on the case page (the audit trail holds it too)."""

    OPENED = "opened", _("差评生成整改件")
    RECTIFICATION_SUBMITTED = "rectification_submitted", _("提交整改情况")
    INVALIDITY_REQUESTED = "invalidity_requested", _("申请认定无效差评")
    IMPOSSIBILITY_REQUESTED = "impossibility_requested", _("申请认定无法整改")
    ACCEPTED = "accepted", _("审核通过，整改办结")
    RETURNED = "returned", _("退回重新整改")
    JUDGED_INVALID = "judged_invalid", _("认定为无效差评")
    INVALIDITY_REJECTED = "invalidity_rejected", _("不予认定无效，继续整改")
    JUDGED_IMPOSSIBLE = "judged_impossible", _("认定为无法整改")
    IMPOSSIBILITY_REJECTED = "impossibility_rejected", _("不予认定无法整改，继续整改")
    CALLBACK_REQUIRED = "callback_required", _("要求回访后再审核")
    OVERDUE = "overdue", _("逾期未整改")


class InvalidityGround(models.TextChoices):
    """Why a department says a review is not a fair judgement of the service (无效差评)."""

    MALICIOUS = "malicious", _("恶意差评")
    UNRELATED = "unrelated", _("与政务服务无关")
    MISTAKEN = "mistaken", _("误评（申请人确认评价有误）")
    OUTSIDE_POWERS = "outside_powers", _("诉求超出法定职权或违反法律法规")
    OTHER = "other", _("其他")


class CallbackMethod(models.TextChoices):
    PHONE = "phone", _("电话回访")
    VISIT = "visit", _("上门回访")
    ONLINE = "online", _("网上回访")
