"""Rectification of bad reviews (差评整改): the case, its history, callbacks and overdue warnings.

Data and invariants only; every change goes through ``supervision.rectification.services`` and
its one guarded transition (``supervision.rectification.transitions``).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals.choices import RatingLevel
from supervision.rectification.choices import (
    CLOSED_STATUSES,
    CallbackMethod,
    EntryKind,
    InvalidityGround,
    RectificationStatus,
)
from supervision.rectification.querysets import RectificationCaseQuerySet

# Sichuan's good-bad review rules: a bad review is rectified within 15 working days.
DEFAULT_DEADLINE_WORKING_DAYS = 15
MAX_DEADLINE_WORKING_DAYS = 60


class RectificationPolicy(models.Model):
    """The city's rectification rules, edited by admins: one row (id 1), defaults when absent."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    deadline_working_days = models.PositiveSmallIntegerField(
        _("整改期限（工作日）"), default=DEFAULT_DEADLINE_WORKING_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DEADLINE_WORKING_DAYS)],
        help_text=_("差评作出之日起计算的工作日数；只影响此后生成的整改件。"),
    )
    callback_required_by_default = models.BooleanField(
        _("默认须回访后方可审核通过"), default=False,
        help_text=_("勾选后，新生成的整改件须至少记录一次回访，监察人员才能审核通过。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("差评整改规则")
        verbose_name_plural = _("差评整改规则")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="rectification_policy_single_row"),
            models.CheckConstraint(condition=Q(deadline_working_days__gte=1, deadline_working_days__lte=60),
                                   name="rectification_policy_deadline_range"),
        ]

    def __str__(self) -> str:
        return str(_("差评整改规则"))


class RectificationCase(models.Model):
    """One bad review (不满意/非常不满意) and its rectification by the case's department.

    Exactly one per rating (the one-to-one is a unique constraint). The deadline is fixed when the
    case opens — N working days after the rating date, N from the policy of that moment — and only
    recomputed when it was provisional and its year is published (TIME_RULES §11).
    """

    rating = models.OneToOneField("approvals.Rating", verbose_name=_("办件评价"), on_delete=models.PROTECT,
                                  related_name="rectification")
    application = models.ForeignKey("approvals.Application", verbose_name=_("办件"), on_delete=models.PROTECT,
                                    related_name="rectifications")
    department = models.ForeignKey("organisation.Department", verbose_name=_("整改部门"),
                                   on_delete=models.PROTECT, related_name="rectifications")
    region_path = models.CharField(_("区划路径"), max_length=255, db_index=True)
    status = models.CharField(_("状态"), max_length=32, choices=RectificationStatus.choices,
                              default=RectificationStatus.OPEN, db_index=True)

    rated_on = models.DateField(_("评价日期"))
    deadline_working_days = models.PositiveSmallIntegerField(_("整改期限（工作日）"))
    deadline = models.DateField(_("整改截止日"), db_index=True)
    deadline_is_provisional = models.BooleanField(_("截止日为临时值"), default=False)
    is_overdue = models.BooleanField(_("已逾期"), default=False)
    overdue_on = models.DateField(_("标记逾期日期"), null=True, blank=True)

    callback_required = models.BooleanField(_("须回访后方可审核通过"), default=False)
    # Judged an invalid review (无效差评): efficiency scoring leaves the rating out.
    rating_excluded = models.BooleanField(_("评价不计入满意度"), default=False)
    invalidity_ground = models.CharField(_("无效差评理由类别"), max_length=32, choices=InvalidityGround.choices,
                                         blank=True)

    opened_at = models.DateTimeField(_("生成时间"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = RectificationCaseQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("差评整改件")
        verbose_name_plural = _("差评整改件")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["department", "status"], name="rectification_department_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(rating_excluded=False) | Q(status=RectificationStatus.INVALID),
                                   name="rectification_excluded_only_when_invalid"),
            models.CheckConstraint(
                condition=(Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)
                           | (~Q(status__in=CLOSED_STATUSES) & Q(closed_at__isnull=True))),
                name="rectification_closed_at_iff_closed"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("rated_on")),
                                   name="rectification_deadline_after_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.application.receipt_number} {self.get_status_display()}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class RectificationEntry(models.Model):
    """One step of a case's history: who, when, what was said (and any evidence file)."""

    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("事项"), max_length=32, choices=EntryKind.choices)
    text = models.TextField(_("内容"), blank=True)
    ground = models.CharField(_("理由类别"), max_length=32, choices=InvalidityGround.choices, blank=True)
    attachment = models.ForeignKey("uploads.StoredFile", verbose_name=_("附件"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey("organisation.User", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(_("办理人"), max_length=100)
    acted_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("整改过程记录")
        verbose_name_plural = _("整改过程记录")
        ordering = ["case", "acted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.actor_name}"


class Callback(models.Model):
    """A callback to the applicant (回访): how they feel after the rectification."""

    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="callbacks")
    called_on = models.DateField(_("回访日期"))
    method = models.CharField(_("回访方式"), max_length=16, choices=CallbackMethod.choices)
    satisfaction = models.PositiveSmallIntegerField(_("整改后满意度"), choices=RatingLevel.choices)
    note = models.TextField(_("回访情况"), blank=True)
    recorded_by = models.ForeignKey("organisation.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_by_name = models.CharField(_("记录人"), max_length=100)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["case", "called_on", "pk"]

    def __str__(self) -> str:
        return f"{self.called_on:%Y-%m-%d} {self.get_method_display()} {self.get_satisfaction_display()}"


class OverdueWarning(models.Model):
    """A rectification past its deadline, raised once per case by the sweep (unique)."""

    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="overdue_warnings")
    department = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("整改截止日"))
    raised_on = models.DateField(_("预警日期"))
    raised_at = models.DateTimeField(_("预警时间"))

    class Meta:
        verbose_name = _("整改逾期预警")
        verbose_name_plural = _("整改逾期预警")
        ordering = ["-raised_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case"], name="rectification_one_overdue_warning_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.raised_on:%Y-%m-%d}"
