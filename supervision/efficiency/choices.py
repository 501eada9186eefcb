"""Kinds and statuses of efficiency scoring, with Chinese labels (DOMAIN.md §5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleVersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class RunKind(models.TextChoices):
    MONTHLY = "monthly", _("月度评估")
    ON_DEMAND = "on_demand", _("按需评估")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class SubjectKind(models.TextChoices):
    """What is scored. A window is a department's window intake: the cases its windows took in
    (the application records the intake channel, not the number of the window)."""

    DEPARTMENT = "department", _("部门")
    ITEM = "item", _("事项")
    WINDOW = "window", _("窗口")


class Figure(models.TextChoices):
    """The counted input figures of a score; each one can be opened as the list of its cases."""

    ACCEPTED = "accepted", _("受理件数")
    ONLINE = "online", _("网上申报受理件数")
    ACCEPTED_AFTER_NOTICE = "accepted_after_notice", _("经一次性告知补正后受理件数")
    CONCLUDED = "concluded", _("办结件数")
    CONCLUDED_EARLY = "concluded_early", _("提前办结件数")
    CONCLUDED_ON_TIME = "concluded_on_time", _("按时办结件数")
    OVERDUE = "overdue", _("超期件数")
    RATINGS = "ratings", _("评价件数")
    RATINGS_SATISFIED = "ratings_satisfied", _("满意评价件数")


class Indicator(models.TextChoices):
    """The seven published indicators (DOMAIN.md §5), each weighted by the rule version."""

    EARLY_COMPLETION = "early_completion", _("提前办结率")
    ON_TIME = "on_time", _("按时办结率")
    OVERDUE = "overdue", _("超期件数")
    SATISFACTION = "satisfaction", _("满意率")
    COMPRESSION = "compression", _("时限压缩率")
    ONLINE = "online", _("网上办理率")
    SUPPLEMENT = "supplement", _("补正率")
