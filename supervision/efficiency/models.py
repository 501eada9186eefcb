"""Efficiency scoring (绩效评估) and the dashboards' rollups (DOMAIN.md §5).

Data and invariants only. Rules and runs change through ``supervision.efficiency.services``;
rollups through ``supervision.efficiency.rollups``. A published rule version is never changed
(the service refuses it, and on PostgreSQL a trigger does too), and every score points at the
version that made it, so publishing new weights never changes an old score.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from approvals.choices import RatingLevel
from portal.scoping import ScopedQuerySet
from supervision.efficiency.choices import Indicator, RuleVersionStatus, RunKind, RunStatus, SubjectKind

WEIGHT_TOTAL = Decimal("100")


class ScoringRule(models.Model):
    """A set of published scoring rules (评估办法) of a region; its versions hold the weights."""

    code = models.SlugField(_("规则编码"), max_length=50, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    region = models.ForeignKey(
        "organisation.Region", verbose_name=_("适用区划"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region__path"
    scope_public = True  # the rules are published (DOMAIN.md §5: "scored by published rules")

    class Meta:
        verbose_name = _("评估规则")
        verbose_name_plural = _("评估规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


def _weight(indicator: Indicator, default: str):
    return models.DecimalField(
        _("%(indicator)s权重") % {"indicator": indicator.label}, max_digits=5, decimal_places=2,
        default=Decimal(default), validators=[MinValueValidator(Decimal("0"))],
    )


class ScoringRuleVersion(models.Model):
    """One version of a rule: the weights of the seven indicators (summing to 100) and the
    parameters that turn each figure into a share of its weight.

    A draft may be edited; publishing freezes it for good. Scores keep the version that made
    them: a later version changes later scores only.
    """

    rule = models.ForeignKey(ScoringRule, verbose_name=_("评估规则"), on_delete=models.PROTECT,
                             related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=RuleVersionStatus.choices,
                              default=RuleVersionStatus.DRAFT)

    weight_early_completion = _weight(Indicator.EARLY_COMPLETION, "20")
    weight_on_time = _weight(Indicator.ON_TIME, "20")
    weight_overdue = _weight(Indicator.OVERDUE, "15")
    weight_satisfaction = _weight(Indicator.SATISFACTION, "20")
    weight_compression = _weight(Indicator.COMPRESSION, "10")
    weight_online = _weight(Indicator.ONLINE, "10")
    weight_supplement = _weight(Indicator.SUPPLEMENT, "5")

    # The number of overdue cases at which the overdue indicator scores nothing.
    overdue_tolerance = models.PositiveIntegerField(
        _("超期件数归零线"), default=10, validators=[MinValueValidator(1)],
        help_text=_("超期件数达到该数时，该项得分为零；不足时按比例扣分。"))
    # Compression (1 − promised/statutory) that earns full marks.
    compression_target = models.DecimalField(
        _("时限压缩率满分线"), max_digits=4, decimal_places=3, default=Decimal("0.500"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))])
    # Online-filing rate that earns full marks.
    online_target = models.DecimalField(
        _("网上办理率满分线"), max_digits=4, decimal_places=3, default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))])
    # Supplementary-material rate at which the indicator scores nothing.
    supplement_tolerance = models.DecimalField(
        _("补正率归零线"), max_digits=4, decimal_places=3, default=Decimal("0.500"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))])
    # Ratings at or above this level count as satisfied (国办发〔2019〕51号: 差评 are the two lowest).
    satisfied_min_level = models.PositiveSmallIntegerField(
        _("计为满意的最低评价"), choices=RatingLevel.choices, default=RatingLevel.BASICALLY_SATISFIED)

    note = models.TextField(_("修订说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by_name = models.CharField(_("创建人"), max_length=150, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by_name = models.CharField(_("发布人"), max_length=150, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "rule__region__path"
    scope_public = True

    class Meta:
        verbose_name = _("评估规则版本")
        verbose_name_plural = _("评估规则版本")
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="efficiency_rule_version_number_unique"),
            models.CheckConstraint(
                condition=Q(weight_early_completion__gte=0) & Q(weight_on_time__gte=0) & Q(weight_overdue__gte=0)
                & Q(weight_satisfaction__gte=0) & Q(weight_compression__gte=0) & Q(weight_online__gte=0)
                & Q(weight_supplement__gte=0),
                name="efficiency_weights_not_negative",
            ),
            models.CheckConstraint(
                condition=Exact(F("weight_early_completion") + F("weight_on_time") + F("weight_overdue")
                                + F("weight_satisfaction") + F("weight_compression") + F("weight_online")
                                + F("weight_supplement"), Value(WEIGHT_TOTAL)),
                name="efficiency_weights_sum_to_100",
            ),
            models.CheckConstraint(
                condition=Q(compression_target__gt=0, compression_target__lte=1)
                & Q(online_target__gt=0, online_target__lte=1)
                & Q(supplement_tolerance__gt=0, supplement_tolerance__lte=1)
                & Q(overdue_tolerance__gte=1)
                & Q(satisfied_min_level__gte=1, satisfied_min_level__lte=5),
                name="efficiency_parameters_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status=RuleVersionStatus.DRAFT, published_at__isnull=True)
                | Q(status=RuleVersionStatus.PUBLISHED, published_at__isnull=False),
                name="efficiency_published_version_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} 第 {self.number} 版"

    @property
    def is_published(self) -> bool:
        return self.status == RuleVersionStatus.PUBLISHED

    def weight(self, indicator: str) -> Decimal:
        return getattr(self, f"weight_{indicator}")

    @property
    def weights(self) -> dict[str, Decimal]:
        return {indicator: self.weight(indicator) for indicator in Indicator.values}


class ScoringRunQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> "ScoringRunQuerySet":
        """Runs over the user's region or below (``restrict``), and runs over a region that
        contains it — a district supervisor opens the city's monthly run and sees, inside it,
        the scores of their own district (the scores themselves are restricted one by one)."""
        restricted = self.restrict(user)
        scope_path = getattr(user, "scope_path", None) if user is not None and user.is_authenticated else None
        if scope_path is None or user.is_applicant or not user.is_active:
            return restricted
        parts = scope_path.strip("/").split("/")
        enclosing = ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)]
        return self.filter(Q(pk__in=restricted.values("pk")) | Q(region_path__in=enclosing))


class ScoringRun(models.Model):
    """One scoring of a period over a region with one rule version: monthly (by beat, and then
    published as that month's ranking) or on demand (by a supervisor, for any period)."""

    rule = models.ForeignKey(ScoringRule, verbose_name=_("评估规则"), on_delete=models.PROTECT, related_name="runs")
    rule_version = models.ForeignKey(ScoringRuleVersion, verbose_name=_("规则版本"), on_delete=models.PROTECT,
                                     related_name="runs")
    region = models.ForeignKey("organisation.Region", verbose_name=_("评估范围"), on_delete=models.PROTECT,
                               related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=255, db_index=True)
    kind = models.CharField(_("类型"), max_length=16, choices=RunKind.choices)
    period_start = models.DateField(_("评估期起"))
    period_end = models.DateField(_("评估期止"))
    # The day the figures were taken on: cases due before it and not concluded in time are overdue.
    as_of = models.DateField(_("统计截止日"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    requested_by = models.ForeignKey("organisation.User", verbose_name=_("发起人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_by_name = models.CharField(_("发起人"), max_length=150, blank=True)
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    published_at = models.DateTimeField(_("排名公布时间"), null=True, blank=True)
    error = models.TextField(_("失败原因"), blank=True)

    objects = ScoringRunQuerySet.as_manager()
    scope_path_field = "region_path"

    class Meta:
        verbose_name = _("评估批次")
        verbose_name_plural = _("评估批次")
        ordering = ["-period_start", "-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")),
                                   name="efficiency_run_period_ordered"),
            # One monthly ranking per rule, region and month, whoever or whatever asks twice.
            models.UniqueConstraint(fields=["rule", "region", "period_start"], condition=Q(kind=RunKind.MONTHLY),
                                    name="efficiency_one_monthly_run_per_month"),
            models.CheckConstraint(condition=Q(published_at__isnull=True) | Q(status=RunStatus.DONE),
                                   name="efficiency_only_finished_runs_published"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class ScoreFigures(models.Model):
    """The counted inputs of a score (see ``supervision.efficiency.querysets`` for what each counts)."""

    accepted = models.PositiveIntegerField(_("受理件数"), default=0)
    online = models.PositiveIntegerField(_("网上申报受理件数"), default=0)
    accepted_after_notice = models.PositiveIntegerField(_("经一次性告知补正后受理件数"), default=0)
    promised_days = models.PositiveBigIntegerField(_("承诺时限合计（工作日）"), default=0)
    statutory_days = models.PositiveBigIntegerField(_("法定时限合计（工作日）"), default=0)
    concluded = models.PositiveIntegerField(_("办结件数"), default=0)
    concluded_early = models.PositiveIntegerField(_("提前办结件数"), default=0)
    concluded_on_time = models.PositiveIntegerField(_("按时办结件数"), default=0)
    overdue = models.PositiveIntegerField(_("超期件数"), default=0)
    ratings = models.PositiveIntegerField(_("评价件数"), default=0)
    ratings_satisfied = models.PositiveIntegerField(_("满意评价件数"), default=0)

    class Meta:
        abstract = True


class Score(ScoreFigures):
    """The score of one department, item or window in one run: its figures, each indicator's
    share of the weight (``breakdown``) and its rank among the run's subjects of its kind."""

    run = models.ForeignKey(ScoringRun, verbose_name=_("评估批次"), on_delete=models.CASCADE, related_name="scores")
    rule_version = models.ForeignKey(ScoringRuleVersion, verbose_name=_("规则版本"), on_delete=models.PROTECT,
                                     related_name="scores")
    subject_kind = models.CharField(_("评估对象类型"), max_length=16, choices=SubjectKind.choices)
    # "department:12", "item:34", "window:12": what the run's uniqueness is about.
    subject_key = models.CharField(_("评估对象"), max_length=40)
    department = models.ForeignKey("organisation.Department", verbose_name=_("部门"), on_delete=models.PROTECT,
                                   related_name="+")
    item = models.ForeignKey("catalogue.Item", verbose_name=_("事项"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    subject_name = models.CharField(_("名称"), max_length=200)
    department_name = models.CharField(_("部门名称"), max_length=100)
    region_path = models.CharField(_("区划路径"), max_length=255)
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"))
    breakdown = models.JSONField(_("得分构成"), default=list)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("评估得分")
        verbose_name_plural = _("评估得分")
        ordering = ["run", "subject_kind", "rank", "subject_name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "subject_key"], name="efficiency_one_score_per_subject"),
        ]
        indexes = [models.Index(fields=["run", "subject_kind", "rank"], name="efficiency_score_ranking")]

    def __str__(self) -> str:
        return f"{self.subject_name} {self.points}"


class RollupMeasures(models.Model):
    """What happened on a day (or in a month) to one item's cases of one department, region and
    channel. Every figure is an event with a date, so days add up to months and periods."""

    received = models.PositiveIntegerField(_("收件"), default=0)
    accepted = models.PositiveIntegerField(_("受理"), default=0)
    online = models.PositiveIntegerField(_("网上申报受理"), default=0)
    accepted_after_notice = models.PositiveIntegerField(_("补正后受理"), default=0)
    promised_days = models.PositiveBigIntegerField(_("承诺时限合计"), default=0)
    statutory_days = models.PositiveBigIntegerField(_("法定时限合计"), default=0)
    concluded = models.PositiveIntegerField(_("办结"), default=0)
    concluded_early = models.PositiveIntegerField(_("提前办结"), default=0)
    concluded_on_time = models.PositiveIntegerField(_("按时办结"), default=0)
    overdue = models.PositiveIntegerField(_("超期"), default=0)
    supplement_requests = models.PositiveIntegerField(_("一次性告知"), default=0)
    rated_level_1 = models.PositiveIntegerField(_("非常不满意"), default=0)
    rated_level_2 = models.PositiveIntegerField(_("不满意"), default=0)
    rated_level_3 = models.PositiveIntegerField(_("基本满意"), default=0)
    rated_level_4 = models.PositiveIntegerField(_("满意"), default=0)
    rated_level_5 = models.PositiveIntegerField(_("非常满意"), default=0)
    licences_issued = models.PositiveIntegerField(_("证照入库"), default=0)
    materials_reused = models.PositiveIntegerField(_("证照复用"), default=0)

    region_path = models.CharField(_("区划路径"), max_length=255)
    department = models.ForeignKey("organisation.Department", on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    item = models.ForeignKey("catalogue.Item", on_delete=models.PROTECT, related_name="+", db_index=False)
    channel = models.CharField(_("申报渠道"), max_length=16, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region_path"

    class Meta:
        abstract = True


class DailyRollup(RollupMeasures):
    """One day's figures, recomputed from the source for the days touched since the last run."""

    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "item", "channel"],
                                    name="efficiency_daily_rollup_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}/{self.item_id}/{self.channel}"


# The measure columns, in declaration order: the rollup statements name them from here.
MEASURES = [field.name for field in DailyRollup._meta.concrete_fields
            if isinstance(field, models.PositiveIntegerField | models.PositiveBigIntegerField)]


class MonthlyRollup(RollupMeasures):
    """One month's figures: the sum of its days, rewritten whenever one of its days is. The
    dashboards read only this table (a year is a few thousand rows, not millions of cases)."""

    month = models.DateField(_("月份"))  # the first day of the month

    class Meta:
        verbose_name = _("月汇总")
        verbose_name_plural = _("月汇总")
        constraints = [
            models.UniqueConstraint(fields=["month", "department", "item", "channel"],
                                    name="efficiency_monthly_rollup_unique"),
        ]
        indexes = [
            models.Index(fields=["month", "region_path"], name="efficiency_monthly_by_month"),
            models.Index(fields=["department", "month"], name="efficiency_monthly_by_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_id}/{self.item_id}/{self.channel}"


class RollupState(models.Model):
    """The rollups' bookkeeping (one row): when the last refresh started, so that the next one
    reads the audit trail from there; its row lock makes refreshes take turns."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_days = models.PositiveIntegerField(default=0)
    last_duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("汇总状态")
        verbose_name_plural = _("汇总状态")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="efficiency_rollup_state_single_row")]

    def __str__(self) -> str:
        return f"{self.last_finished_at}"
