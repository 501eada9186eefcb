"""The key-event ledger and the off-system processing rules with their flags (DOMAIN.md §5).

Data and invariants only. Rows of ``KeyEvent`` and ``ConductFlag`` are written by the sweeps in
``supervision.conduct.services`` (INSERT … SELECT … ON CONFLICT DO NOTHING, so a doubled run adds
nothing); rules are tuned and flags reviewed through the same module, with audit entries.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from portal.scoping import ScopedQuerySet
from supervision.conduct.choices import KeyEventKind, ReviewVerdict, RuleCode


class KeyEvent(models.Model):
    """One key event of one case: a refusal to accept, a refusal, a request for supplementary
    materials, a deemed acceptance, an extension (or a statutory limit passed).

    ``occurrence_key`` tells apart the events of one kind that a case can have more than once (a
    one-time notice and each later pause for supplementary materials: "notice:12", "pause:40");
    for the kinds that happen at most once per case it is empty. Unique per (case, kind, key):
    the sweep inserts blindly and the constraint keeps one row per event.
    """

    application = models.ForeignKey("approvals.Application", verbose_name=_("办件"), on_delete=models.PROTECT,
                                    related_name="key_events")
    kind = models.CharField(_("事件类型"), max_length=32, choices=KeyEventKind.choices)
    occurrence_key = models.CharField(_("事件标识"), max_length=64, blank=True, default="")
    department = models.ForeignKey("organisation.Department", verbose_name=_("办理部门"), on_delete=models.PROTECT,
                                   related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=255)
    occurred_on = models.DateField(_("发生日期"))
    occurred_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), db_default=Now())

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("关键事件")
        verbose_name_plural = _("关键事件")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind", "occurrence_key"], name="key_event_once"),
        ]
        indexes = [
            models.Index(fields=["region_path", "occurred_on"], name="key_event_scope_period"),
            models.Index(fields=["kind", "occurred_on"], name="key_event_kind_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class ConductRule(models.Model):
    """One rule that flags possible off-system processing (体外循环), readable and tunable by
    supervisors: what it detects and why in plain Chinese, its parameters and whether it runs.

    ``parameters`` holds the values of the parameters its definition declares
    (``supervision.conduct.rules``); every change goes through ``tune_rule``, which validates,
    raises ``version`` and writes the before/after values to the audit trail.
    """

    code = models.CharField(_("规则编码"), max_length=32, choices=RuleCode.choices, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    description = models.TextField(_("规则说明"))
    parameters = models.JSONField(_("参数"), default=dict)
    enabled = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by_name = models.CharField(_("修改人"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("体外循环监察规则")
        verbose_name_plural = _("体外循环监察规则")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ConductFlag(models.Model):
    """A step that a rule found suspicious, with the figures that made it so.

    Unique per (rule, step, parameters): the sweep can run any number of times; after a
    supervisor tunes a rule, the new parameters give rows of their own, and tuning back finds
    the earlier rows (and their reviews) again. ``figures`` holds what was measured and the
    threshold it passed; ``explanation`` says it in a sentence.
    """

    rule = models.ForeignKey(ConductRule, verbose_name=_("规则"), on_delete=models.PROTECT, related_name="flags")
    rule_version = models.PositiveIntegerField(_("规则版本"))
    parameters_hash = models.CharField(_("参数指纹"), max_length=16)
    step = models.ForeignKey("approvals.Step", verbose_name=_("办理环节"), on_delete=models.PROTECT,
                             related_name="+")
    application = models.ForeignKey("approvals.Application", verbose_name=_("办件"), on_delete=models.PROTECT,
                                    related_name="conduct_flags")
    department = models.ForeignKey("organisation.Department", verbose_name=_("办理部门"), on_delete=models.PROTECT,
                                   related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=255)
    occurred_on = models.DateField(_("环节办理日期"))
    figures = models.JSONField(_("测算数据"), default=dict)
    detected_at = models.DateTimeField(_("发现时间"), db_default=Now())

    review_verdict = models.CharField(_("复核结论"), max_length=16, choices=ReviewVerdict.choices, blank=True,
                                      db_default="")
    review_note = models.TextField(_("复核说明"), blank=True, db_default="")
    reviewed_by = models.ForeignKey("organisation.User", verbose_name=_("复核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_by_name = models.CharField(_("复核人"), max_length=100, blank=True, db_default="")
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("体外循环线索")
        verbose_name_plural = _("体外循环线索")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "step", "parameters_hash"], name="conduct_flag_once"),
            # A review is whole: a verdict comes with its note, its reviewer and its time.
            models.CheckConstraint(
                condition=(Q(review_verdict="") & Q(reviewed_at__isnull=True))
                | (~Q(review_verdict="") & ~Q(review_note="") & ~Q(reviewed_by_name="")
                   & Q(reviewed_at__isnull=False)),
                name="conduct_flag_review_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["region_path", "occurred_on"], name="conduct_flag_scope_period"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} #{self.step_id}"

    @property
    def is_reviewed(self) -> bool:
        return bool(self.review_verdict)

    @property
    def explanation(self) -> str:
        from supervision.conduct.rules import explain

        return explain(self.rule.code, self.figures)
