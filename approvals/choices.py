"""Statuses and kinds of the application lifecycle, with Chinese labels (DOMAIN.md §3–§4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.catalogue.choices import SpecialProcedure


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待预审")
    CORRECTION = "correction", _("待补正")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    IN_PROGRESS = "in_progress", _("办理中")
    APPROVED = "approved", _("准予许可")
    REFUSED = "refused", _("不予许可")
    CONCLUDED = "concluded", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")
    TERMINATED = "terminated", _("已终止")


OPEN_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION, ApplicationStatus.IN_PROGRESS)
FINAL_STATUSES = (
    ApplicationStatus.NOT_ACCEPTED,
    ApplicationStatus.CONCLUDED,
    ApplicationStatus.WITHDRAWN,
    ApplicationStatus.TERMINATED,
)


class ApplicationKind(models.TextChoices):
    """A new licence, or what a holder asks of an existing one (each an application of its own)."""

    NEW = "new", _("新办")
    CHANGE = "change", _("变更")
    RENEWAL = "renewal", _("延续")
    CANCELLATION = "cancellation", _("注销")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申报")
    WINDOW = "window", _("窗口受理")
    API = "api", _("系统接口")


class StepKind(models.TextChoices):
    """Steps of the two chains: the classic five, and the reformed "一审一核" two."""

    ACCEPT = "accept", _("受理")
    HANDLE = "handle", _("承办")
    REVIEW = "review", _("审核")
    APPROVE = "approve", _("批准")
    CONCLUDE = "conclude", _("办结")
    ACCEPT_REVIEW = "accept_review", _("受理审核")
    APPROVE_CONCLUDE = "approve_conclude", _("批准办结")


class StepOutcome(models.TextChoices):
    PASSED = "passed", _("通过")
    RETURNED = "returned", _("退回")


# What stops the clock: supplementary materials, and the special procedures of art. 45 — the
# catalogue's list, so that the statute's eight procedures are written down once.
PauseReason = models.TextChoices(
    "PauseReason",
    [("SUPPLEMENT", ("supplement", _("补正材料"))),
     *((member.name, (member.value, member.label)) for member in SpecialProcedure)],
)


class SubCaseStatus(models.TextChoices):
    """A joint case's sub-case in one participating department (协办件)."""

    OPEN = "open", _("协办中")
    CONCLUDED = "concluded", _("已出具意见")
    CANCELLED = "cancelled", _("随主件终结")


class SubCaseOpinion(models.TextChoices):
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("不同意")


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", _("准予许可")
    REFUSE = "refuse", _("不予许可")


class ServiceMethod(models.TextChoices):
    """How a document was served (送达): remedy periods run from service."""

    IN_PERSON = "in_person", _("窗口直接送达")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达")


class MaterialState(models.TextChoices):
    PROVIDED = "provided", _("已提交")
    REUSED = "reused", _("证照复用")
    MISSING = "missing", _("缺少")
    DEFICIENT = "deficient", _("需补正")


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("吊销/撤销")
    EXPIRED = "expired", _("已过期")
    CANCELLED = "cancelled", _("已注销")


class RatingLevel(models.IntegerChoices):
    """The national good-bad review's five levels (国办发〔2019〕51号)."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")
