"""The application lifecycle: intake, the approval chain, decisions, licences (DOMAIN.md §3–§4).

Data and invariants only; every change of state goes through ``approvals.services`` and its one
guarded transition (``approvals.transitions``). Time figures come from ``approvals.clock``.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals.choices import (
    ApplicationKind,
    ApplicationStatus,
    Channel,
    DecisionOutcome,
    LicenceStatus,
    MaterialState,
    PauseReason,
    RatingLevel,
    ServiceMethod,
    StepKind,
    StepOutcome,
    SubCaseOpinion,
    SubCaseStatus,
)
from portal.organisation.choices import SubjectType
from portal.scoping import ScopedQuerySet


class ApplicationQuerySet(ScopedQuerySet):
    def open(self):
        from approvals.choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


class Application(models.Model):
    """One application (办件), filed under one immutable published version of an item."""

    # Assigned on submission; drafts have none yet.
    receipt_number = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    item_version = models.ForeignKey(
        "catalogue.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="applications"
    )
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="applications"
    )
    region_path = models.CharField(_("区划路径"), max_length=255, db_index=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT, db_index=True
    )
    channel = models.CharField(_("申报渠道"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("申请类型"), max_length=16, choices=ApplicationKind.choices, default=ApplicationKind.NEW)
    # For a change, renewal or cancellation: the licence it is about.
    subject_licence = models.ForeignKey(
        "approvals.Licence", verbose_name=_("所涉证照"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="follow_up_applications",
    )

    # The applicant: the identity is what the law cares about; the account is how they sign in.
    applicant = models.ForeignKey(
        "organisation.User", verbose_name=_("申请人账号"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="applications",
    )
    subject_type = models.CharField(_("主体类型"), max_length=16, choices=SubjectType.choices)
    applicant_name = models.CharField(_("申请人名称"), max_length=200)
    identity_code = models.CharField(_("证件号码"), max_length=18, db_index=True)
    identity_override_reason = models.CharField(_("校验位例外说明"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    # Help service (帮办代办): the staff member who filed on the applicant's behalf.
    filed_by = models.ForeignKey(
        "organisation.User", verbose_name=_("代办人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    received_on = models.DateField(_("收件日期"), null=True, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("视为受理"), default=False)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    # Limits are copied from the item version at filing: the terms of the case never change.
    promised_limit = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    statutory_limit = models.PositiveSmallIntegerField(_("法定时限（工作日）"))
    extension_days = models.PositiveSmallIntegerField(_("延期（工作日）"), default=0)
    # A new epoch starts with each extension: warnings are unique per (case, colour, epoch).
    deadline_epoch = models.PositiveSmallIntegerField(_("期限轮次"), default=1)
    promised_due = models.DateField(_("承诺办结日"), null=True, blank=True, db_index=True)
    statutory_due = models.DateField(_("法定期限"), null=True, blank=True)
    due_is_provisional = models.BooleanField(_("期限为临时值"), default=False)
    is_paused = models.BooleanField(_("暂停计时中"), default=False)

    current_step = models.CharField(_("当前环节"), max_length=20, choices=StepKind.choices, blank=True)
    assignee = models.ForeignKey(
        "organisation.User", verbose_name=_("承办人员"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_applications",
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    closing_reason = models.TextField(_("撤回/终止/不予受理理由"), blank=True)

    objects = ApplicationQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"
    scope_owner_field = "applicant"
    # A joint case's participating departments see it (to give their opinion), wherever it lies.
    scope_participant_field = "subcases__department"

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["department", "status", "current_step"], name="application_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(extension_days__lte=15), name="application_extension_at_most_15_days"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.item_version.name}"

    @property
    def item_name(self) -> str:
        return self.item_version.name


class Sequence(models.Model):
    """A named counter (receipt numbers per day, decision numbers per year and outcome).

    Incremented with an UPDATE that holds the row lock until commit, so two cases numbered at
    once never get the same number, and a rolled-back case gives its number back.
    """

    name = models.CharField(max_length=64, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"


class MaterialSubmission(models.Model):
    """One material of the item's checklist for this application, and what came in for it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("材料名称"), max_length=200)
    required = models.BooleanField(_("必要"), default=True)
    state = models.CharField(_("状态"), max_length=16, choices=MaterialState.choices, default=MaterialState.MISSING)
    stored_file = models.ForeignKey(
        "uploads.StoredFile", verbose_name=_("文件"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reused_licence = models.ForeignKey(
        "approvals.Licence", verbose_name=_("复用证照"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="material_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}（{self.get_state_display()}）"


class Step(models.Model):
    """A completed step of the chain: who, when, opinion and a signature over them."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("环节"), max_length=20, choices=StepKind.choices)
    outcome = models.CharField(_("结果"), max_length=16, choices=StepOutcome.choices)
    opinion = models.TextField(_("意见"), blank=True)
    actor = models.ForeignKey("organisation.User", null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("办理人"), max_length=100)
    started_at = models.DateTimeField(_("环节开始"))
    acted_at = models.DateTimeField(_("办理时间"))
    # A department system may claim when the act happened; the server's time is the record's.
    claimed_acted_at = models.DateTimeField(_("声称办理时间"), null=True, blank=True)
    signature = models.CharField(_("电子签名"), max_length=128)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["application", "acted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_outcome_display()} {self.actor_name}"


class Pause(models.Model):
    """A stretch when the clock stops: supplementary materials or an art. 45 special procedure."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="pauses")
    reason = models.CharField(_("暂停原因"), max_length=16, choices=PauseReason.choices)
    note = models.TextField(_("说明"), blank=True)
    started_on = models.DateField(_("暂停日"))
    ended_on = models.DateField(_("恢复日"), null=True, blank=True)
    started_by_name = models.CharField(_("暂停操作人"), max_length=100)
    ended_by_name = models.CharField(_("恢复操作人"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        ordering = ["application", "started_on", "pk"]
        constraints = [
            # At most one open pause per application.
            models.UniqueConstraint(
                fields=["application"], condition=Q(ended_on__isnull=True), name="one_open_pause_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.started_on}–{self.ended_on or ''}"


class SubCase(models.Model):
    """One participating department's part of a joint case (并联审批的协办件).

    Opened in parallel in every participating department when the lead department accepts the
    joint case; each runs on its own promised limit inside the case's (TIME_RULES §10), counted
    from the acceptance like the case's own clock, stopped by the case's pauses and moved by its
    extension. ``promised_due`` is stored (and recomputed on resume and extension) so that the
    monitoring sweep can read it in SQL. The lead decides only when every sub-case has given its
    opinion; one combined result leaves the lead's window.
    """

    application = models.ForeignKey(Application, verbose_name=_("主办件"), on_delete=models.PROTECT,
                                    related_name="subcases")
    department = models.ForeignKey("organisation.Department", verbose_name=_("协办部门"), on_delete=models.PROTECT,
                                   related_name="subcases")
    duty = models.CharField(_("协办内容"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=SubCaseStatus.choices, default=SubCaseStatus.OPEN,
                              db_index=True)
    # Copied from the item version the case was filed under: the terms never change.
    promised_limit = models.PositiveSmallIntegerField(_("协办承诺时限（工作日）"))
    # The case's extension, when it was granted while this sub-case was still open.
    extension_days = models.PositiveSmallIntegerField(_("延期（工作日）"), default=0)
    started_on = models.DateField(_("开始日期"))
    promised_due = models.DateField(_("协办承诺期限"), db_index=True)
    due_is_provisional = models.BooleanField(_("期限为临时值"), default=False)
    assignee = models.ForeignKey("organisation.User", verbose_name=_("承办人员"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_subcases")
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    opinion = models.CharField(_("协办意见"), max_length=16, choices=SubCaseOpinion.choices, blank=True)
    opinion_text = models.TextField(_("意见说明"), blank=True)
    concluded_at = models.DateTimeField(_("出具意见时间"), null=True, blank=True)
    concluded_by = models.ForeignKey("organisation.User", verbose_name=_("出具人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    concluded_by_name = models.CharField(_("出具人"), max_length=100, blank=True)
    signature = models.CharField(_("电子签名"), max_length=128, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Seen by whoever sees the case (the lead's region), and by the participating department.
    scope_path_field = "application__region_path"
    scope_department_field = "department"
    scope_participant_field = "department"

    class Meta:
        verbose_name = _("协办件")
        verbose_name_plural = _("协办件")
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="one_subcase_per_department"),
            models.CheckConstraint(condition=Q(extension_days__lte=15), name="subcase_extension_at_most_15_days"),
            # No half-written conclusion: an opinion comes with its time, its author and its text.
            models.CheckConstraint(
                condition=~Q(status=SubCaseStatus.CONCLUDED) | (
                    ~Q(opinion="") & Q(concluded_at__isnull=False) & ~Q(concluded_by_name="")
                    & ~Q(signature="")),
                name="subcase_concluded_with_opinion",
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="subcase_queue")]

    def __str__(self) -> str:
        return f"{self.department} {self.get_status_display()}"


class Extension(models.Model):
    """The one extension art. 42 allows, approved by the head, reason told to the applicant."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="extension")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("延期理由"))
    approved_by = models.ForeignKey("organisation.User", null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by_name = models.CharField(_("批准人"), max_length=100)
    approved_at = models.DateTimeField(_("批准时间"))

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")

    def __str__(self) -> str:
        return f"延期 {self.days} 个工作日"


class OneTimeNotice(models.Model):
    """The one-time notice (一次性告知 / 补正材料通知书) of everything missing (art. 32)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notices")
    issued_at = models.DateTimeField(_("告知时间"))
    issued_by_name = models.CharField(_("告知人"), max_length=100)
    items = models.JSONField(_("补正内容"))
    answered_at = models.DateTimeField(_("补正提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一次性告知")
        verbose_name_plural = _("一次性告知")
        ordering = ["application", "issued_at"]

    def __str__(self) -> str:
        return f"一次性告知 {self.issued_at:%Y-%m-%d}"


class Decision(models.Model):
    """The decision on the application (art. 38 refusal reasons; art. 40 publication)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("决定"), max_length=16, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("理由"), blank=True)
    document_number = models.CharField(_("文号"), max_length=64, unique=True)
    decided_by_name = models.CharField(_("决定人"), max_length=100)
    decided_at = models.DateTimeField(_("决定时间"))
    licence_due = models.DateField(_("发证期限"), null=True, blank=True)
    served_method = models.CharField(_("送达方式"), max_length=16, choices=ServiceMethod.choices, blank=True)
    served_on = models.DateField(_("送达日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("许可决定")
        verbose_name_plural = _("许可决定")

    def __str__(self) -> str:
        return f"{self.document_number} {self.get_outcome_display()}"


def _verification_token() -> str:
    return secrets.token_urlsafe(24)


class Licence(models.Model):
    """A licence in the electronic licence library (电子证照库)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("证照编号"), max_length=64, unique=True)
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="licence"
    )
    item_version = models.ForeignKey("catalogue.ItemVersion", on_delete=models.PROTECT, related_name="+")
    licence_name = models.CharField(_("证照名称"), max_length=200)
    holder_name = models.CharField(_("持证主体"), max_length=200)
    holder_code = models.CharField(_("持证主体代码"), max_length=18, db_index=True)
    department = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="licences")
    region_path = models.CharField(max_length=255, db_index=True)
    scope = models.TextField(_("许可内容"), blank=True)
    issued_on = models.DateField(_("发证日期"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.VALID)
    verification_token = models.CharField(max_length=64, unique=True, default=_verification_token, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_on", "number"]

    def __str__(self) -> str:
        return f"{self.licence_name} {self.number}"


class RenewalReminder(models.Model):
    """One row per reminder sent, so that the daily sweep reminds each holder once per stage."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="renewal_reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["licence", "days_before"], name="one_reminder_per_stage")]

    def __str__(self) -> str:
        return f"{self.licence_id} −{self.days_before}"


class LicenceVerification(models.Model):
    """Each public verification of a licence is logged (who asked, from where, what they saw)."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="verifications")
    verified_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=16)  # number or qr
    remote_address = models.GenericIPAddressField(null=True, blank=True)
    status_shown = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"{self.licence_id} {self.verified_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    """The applicant's rating when the case concludes (好差评), five levels."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(_("评价"), choices=RatingLevel.choices)
    comment = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("办件评价")
        verbose_name_plural = _("办件评价")

    def __str__(self) -> str:
        return self.get_level_display()


class Delegation(models.Model):
    """While someone is away, a colleague acts on the cases assigned to them (委托代办)."""

    from_user = models.ForeignKey("organisation.User", on_delete=models.CASCADE, related_name="delegations_given")
    to_user = models.ForeignKey("organisation.User", on_delete=models.CASCADE, related_name="delegations_received")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("工作委托")
        verbose_name_plural = _("工作委托")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="delegation_ends_after_start")]


    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user}"
