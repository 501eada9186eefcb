"""Kinds and statuses of catalogue items, with Chinese labels (DOMAIN.md §2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemNature(models.TextChoices):
    """The "9+X" classes of administrative power."""

    LICENSING = "licensing", _("行政许可")
    PENALTY = "penalty", _("行政处罚")
    COERCION = "coercion", _("行政强制")
    LEVY = "levy", _("行政征收")
    PAYMENT = "payment", _("行政给付")
    INSPECTION = "inspection", _("行政检查")
    CONFIRMATION = "confirmation", _("行政确认")
    REWARD = "reward", _("行政奖励")
    ADJUDICATION = "adjudication", _("行政裁决")
    OTHER = "other", _("其他行政权力")


class ItemStatus(models.TextChoices):
    KEPT = "kept", _("保留")
    CANCELLED = "cancelled", _("取消")
    FILING = "filing", _("改为备案")
    DELEGATED = "delegated", _("下放")


class ItemLevel(models.TextChoices):
    CITY = "city", _("市级")
    DISTRICT = "district", _("区县级")
    STREET = "street", _("街道/乡镇级")


class ProcedureChain(models.TextChoices):
    FIVE_STEP = "five_step", _("五环节（受理、承办、审核、批准、办结）")
    TWO_STEP = "two_step", _("一审一核（受理审核、批准办结）")


class SpecialProcedure(models.TextChoices):
    """Special procedures whose time is not counted in the limit (Administrative Licensing Law art. 45)."""

    HEARING = "hearing", _("听证")
    TENDERING = "tendering", _("招标")
    AUCTION = "auction", _("拍卖")
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")


class HandlingClass(models.TextChoices):
    """The "six kinds" of handling (办件类型)."""

    IMMEDIATE = "immediate", _("即办件")
    COMMITMENT = "commitment", _("承诺件")
    JOINT = "joint", _("联办件")
    REPORT = "report", _("上报件")
    SUPPLEMENT = "supplement", _("补办件")
    REPLY = "reply", _("答复件")


class ServiceCategory(models.TextChoices):
    ENTERPRISE_SETUP = "enterprise_setup", _("企业设立")
    INVESTMENT = "investment", _("投资")
    FIXED_ASSET_INVESTMENT = "fixed_asset_investment", _("固定资产投资")
    QUALIFICATION = "qualification", _("资质资格")
    OTHER = "other", _("其他")


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("个人办事")
    ENTERPRISE = "enterprise", _("法人办事")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件及复印件")
    ELECTRONIC = "electronic", _("电子材料")
