"""Electronic monitoring of time limits: thresholds, warnings and the sweeps that raise them (DOMAIN.md §5).

Data and invariants only. Warnings are written by the sweep (``supervision.services``) in one
set-based statement; thresholds through ``supervision.services.save_warning_threshold``.
"""

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.scoping import ScopedQuerySet
from supervision.choices import (
    AppealDecision,
    FaultStatus,
    NoticeItemStatus,
    NoticeStatus,
    SweepTrigger,
    WarningColour,
)
from supervision.querysets import TimeLimitWarningQuerySet
from supervision.thresholds import DEFAULT_YELLOW_DAYS, DEFAULT_YELLOW_PERCENT, Threshold

# A threshold above this many working days would light most cases yellow on the day they arrive.
MAX_YELLOW_DAYS = 30


class WarningThreshold(models.Model):
    """The yellow threshold of one item, where admins set it apart from the portal's default
    (20 % of the promised limit or 2 working days, whichever comes first).

    Kept here rather than on the catalogue item: it is a monitoring rule, edited by the people who
    run monitoring, and changing it must not make a new published version of the item.
    """

    item = models.OneToOneField(
        "catalogue.Item", verbose_name=_("事项"), on_delete=models.CASCADE, related_name="warning_threshold"
    )
    yellow_percent = models.PositiveSmallIntegerField(
        _("黄牌预警比例（%）"), default=DEFAULT_YELLOW_PERCENT,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("剩余工作日不超过承诺时限（含延期）的该比例时亮黄牌。"),
    )
    yellow_days = models.PositiveSmallIntegerField(
        _("黄牌预警天数"), default=DEFAULT_YELLOW_DAYS, validators=[MaxValueValidator(MAX_YELLOW_DAYS)],
        help_text=_("剩余工作日不超过该天数时亮黄牌；与比例两者先到者为准。"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "item__department__region__path"
    scope_department_field = "item__department"

    class Meta:
        verbose_name = _("黄牌预警阈值")
        verbose_name_plural = _("黄牌预警阈值")
        ordering = ["item__implementation_code"]
        constraints = [
            models.CheckConstraint(condition=Q(yellow_percent__lte=100), name="threshold_percent_at_most_100"),
            models.CheckConstraint(condition=Q(yellow_days__lte=MAX_YELLOW_DAYS),
                                   name="threshold_days_at_most_30"),
        ]

    def __str__(self) -> str:
        return f"{self.item}：{self.yellow_percent}% / {self.yellow_days}"

    @property
    def threshold(self) -> Threshold:
        return Threshold(percent=self.yellow_percent, days=self.yellow_days)


class SweepRun(models.Model):
    """One run of the time-limit sweep, for the admins' health page.

    The row is committed when the run starts and completed in the run's own transaction, so a run
    whose worker died shows as started and never finished. Lag is how long after the start of the
    day a case crossed its line the warning was raised: the measure of "are the lights on time?".
    """

    started_at = models.DateTimeField(_("开始时间"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    swept_on = models.DateField(_("巡检日期"))
    trigger = models.CharField(_("触发方式"), max_length=16, choices=SweepTrigger.choices,
                               default=SweepTrigger.SCHEDULE)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    cases_scanned = models.PositiveIntegerField(_("检查办件数"), default=0)
    yellow_raised = models.PositiveIntegerField(_("新增黄牌"), default=0)
    red_raised = models.PositiveIntegerField(_("新增红牌"), default=0)
    statutory_raised = models.PositiveIntegerField(_("新增超法定时限"), default=0)
    cleared = models.PositiveIntegerField(_("解除预警"), default=0)
    lag_max_seconds = models.FloatField(_("最大延迟（秒）"), null=True, blank=True)
    lag_avg_seconds = models.FloatField(_("平均延迟（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("时限巡检记录")
        verbose_name_plural = _("时限巡检记录")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.swept_on} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def duration(self) -> timedelta | None:
        return timedelta(milliseconds=self.duration_ms) if self.duration_ms is not None else None

    @property
    def raised(self) -> int:
        return self.yellow_raised + self.red_raised + self.statutory_raised


class TimeLimitWarning(models.Model):
    """A case crossed a line: yellow, red, or its statutory limit (DOMAIN.md §5, TIME_RULES.md §6, §8).

    Unique per (case, colour, deadline epoch), enforced by the database: however many sweeps run,
    at once or again after a crash, a case turns yellow once per epoch — and once more after its
    one extension, which starts a new epoch. The warning is evidence: it is never deleted; when
    the case concludes, moves to a new epoch or its deadline moves back (a calendar published),
    the sweep sets ``cleared_at``.
    """

    # No index of its own on either key: the unique constraint's index leads with the application,
    # and departments are never deleted. Fewer indexes, faster set-based inserts.
    application = models.ForeignKey(
        "approvals.Application", verbose_name=_("办件"), on_delete=models.PROTECT, related_name="time_limit_warnings",
        db_index=False,
    )
    # Set for a joint case's sub-case (TIME_RULES §10): the participating department's own light on
    # its own promised limit, in the case's deadline epoch. Empty for the case's own warnings.
    # No index of its own: the partial unique constraint's index leads with it.
    sub_case = models.ForeignKey(
        "approvals.SubCase", verbose_name=_("协办件"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="time_limit_warnings", db_index=False,
    )
    colour = models.CharField(_("预警类型"), max_length=16, choices=WarningColour.choices)
    epoch = models.PositiveSmallIntegerField(_("期限轮次"))
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    sweep_run = models.ForeignKey(
        SweepRun, verbose_name=_("巡检"), null=True, blank=True, on_delete=models.SET_NULL, related_name="warnings"
    )
    raised_at = models.DateTimeField(_("预警时间"))
    # The day the case crossed the line: its lights are late by raised_at − the start of this day.
    crossed_on = models.DateField(_("越线日期"))
    remaining_working_days = models.SmallIntegerField(_("预警时剩余工作日"))
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    objects = TimeLimitWarningQuerySet.as_manager()
    scope_path_field = "application__region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("时限预警")
        verbose_name_plural = _("时限预警")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # The case's own lights, and each sub-case's: once per colour and epoch each.
            models.UniqueConstraint(fields=["application", "colour", "epoch"], condition=Q(sub_case__isnull=True),
                                    name="warning_once_per_case_colour_epoch"),
            models.UniqueConstraint(fields=["sub_case", "colour", "epoch"], condition=Q(sub_case__isnull=False),
                                    name="warning_once_per_subcase_colour_epoch"),
            models.CheckConstraint(condition=Q(colour__in=WarningColour.values), name="warning_colour_valid"),
            # Passing the statutory limit is the case's event (TIME_RULES §6, §10), never a sub-case's.
            models.CheckConstraint(condition=Q(sub_case__isnull=True) | ~Q(colour=WarningColour.STATUTORY),
                                   name="warning_statutory_only_for_cases"),
        ]
        indexes = [
            # What is lit now: the sweep's clearing statement and the supervisors' list.
            models.Index(fields=["colour", "application"], condition=Q(cleared_at__isnull=True),
                         name="warning_current_idx"),
        ]

    def __str__(self) -> str:
        of_subcase = f"/{self.sub_case_id}" if self.sub_case_id else ""
        return f"{self.get_colour_display()} {self.application_id}{of_subcase}#{self.epoch}"


# --- Supervision notices (督办通知书): red cases, explanations, faults and appeals (DOMAIN.md §5) ----


class SupervisionNotice(models.Model):
    """The supervision notice to one department for one day's newly red cases (督办通知书).

    Drafted by the sweep (one per department and day, by constraint), reviewed and issued by a
    supervisor: then it gets its number from a locked sequence and the supervision office's sealed
    PDF, and the department must explain each case within ``answer_within_days`` working days.
    """

    department = models.ForeignKey("organisation.Department", verbose_name=_("被督办部门"), on_delete=models.PROTECT,
                                   related_name="supervision_notices")
    day = models.DateField(_("督办日期"))
    status = models.CharField(_("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    number = models.CharField(_("文号"), max_length=64, unique=True, null=True, blank=True)
    # The issuing organ whose seal the PDF carries: the supervision office (电子监察室) over the department.
    organ = models.ForeignKey("organisation.Department", verbose_name=_("督办机关"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    answer_within_days = models.PositiveSmallIntegerField(_("说明理由期限（工作日）"), default=5)
    answer_due = models.DateField(_("说明理由截止日"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    issued_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    issued_by = models.ForeignKey("organisation.User", verbose_name=_("签发人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_by_name = models.CharField(_("签发人"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "department__region__path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("督办通知书")
        verbose_name_plural = _("督办通知书")
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["department", "day"], name="one_notice_per_department_day"),
            models.CheckConstraint(condition=Q(status__in=NoticeStatus.values), name="notice_status_valid"),
            # Issued means numbered, dated and signed by someone: never half-issued.
            models.CheckConstraint(
                condition=Q(status=NoticeStatus.DRAFT) | (
                    Q(number__isnull=False) & Q(issued_at__isnull=False) & Q(answer_due__isnull=False)
                    & Q(organ__isnull=False) & ~Q(issued_by_name="")),
                name="notice_issued_with_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.department} {self.day}（{self.get_status_display()}）"

    @property
    def is_draft(self) -> bool:
        return self.status == NoticeStatus.DRAFT


class NoticeItem(models.Model):
    """One red warning listed on a notice: once, by constraint, whatever the number of drafts."""

    notice = models.ForeignKey(SupervisionNotice, verbose_name=_("督办通知书"), on_delete=models.PROTECT,
                               related_name="items")
    warning = models.OneToOneField(TimeLimitWarning, verbose_name=_("红牌警示"), on_delete=models.PROTECT,
                                   related_name="notice_item")
    status = models.CharField(_("状态"), max_length=16, choices=NoticeItemStatus.choices,
                              default=NoticeItemStatus.AWAITING)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey("organisation.User", verbose_name=_("审查人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_by_name = models.CharField(_("审查人"), max_length=100, blank=True)
    review_note = models.TextField(_("审查意见"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "notice__department__region__path"
    scope_department_field = "notice__department"

    class Meta:
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        ordering = ["notice", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=NoticeItemStatus.values), name="notice_item_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.notice} / {self.warning}"


class Explanation(models.Model):
    """The department's written explanation of one red case (说明理由), with an optional file."""

    item = models.OneToOneField(NoticeItem, verbose_name=_("督办事项"), on_delete=models.PROTECT,
                                related_name="explanation")
    text = models.TextField(_("说明理由"))
    attachment = models.ForeignKey("uploads.StoredFile", verbose_name=_("附件"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    explained_at = models.DateTimeField(_("说明时间"))
    explained_by = models.ForeignKey("organisation.User", verbose_name=_("说明人"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    explained_by_name = models.CharField(_("说明人"), max_length=100)

    class Meta:
        verbose_name = _("超期说明")
        verbose_name_plural = _("超期说明")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.text[:20]}"


class Fault(models.Model):
    """Fault responsibility (过错责任) recorded against a department for one red case."""

    item = models.OneToOneField(NoticeItem, verbose_name=_("督办事项"), on_delete=models.PROTECT,
                                related_name="fault")
    department = models.ForeignKey("organisation.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(_("认定理由"))
    status = models.CharField(_("状态"), max_length=16, choices=FaultStatus.choices, default=FaultStatus.RECORDED)
    recorded_at = models.DateTimeField(_("认定时间"))
    recorded_by = models.ForeignKey("organisation.User", verbose_name=_("认定人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_by_name = models.CharField(_("认定人"), max_length=100)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "department__region__path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("过错责任认定")
        verbose_name_plural = _("过错责任认定")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=FaultStatus.values), name="fault_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.get_status_display()}"


class Appeal(models.Model):
    """The department's one appeal against a recorded fault (申诉), and the supervisor's decision."""

    fault = models.OneToOneField(Fault, verbose_name=_("过错责任认定"), on_delete=models.PROTECT,
                                 related_name="appeal")  # once per fault: the database says so
    reasons = models.TextField(_("申诉理由"))
    appealed_at = models.DateTimeField(_("申诉时间"))
    appealed_by = models.ForeignKey("organisation.User", verbose_name=_("申诉人"), null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    appealed_by_name = models.CharField(_("申诉人"), max_length=100)
    decision = models.CharField(_("复核结论"), max_length=16, choices=AppealDecision.choices, blank=True)
    decision_reasons = models.TextField(_("复核理由"), blank=True)
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decided_by = models.ForeignKey("organisation.User", verbose_name=_("复核人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_by_name = models.CharField(_("复核人"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("过错认定申诉")
        verbose_name_plural = _("过错认定申诉")
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="") | (Q(decided_at__isnull=False) & ~Q(decision_reasons="")),
                name="appeal_decided_with_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fault} {self.get_decision_display() or '待复核'}"
