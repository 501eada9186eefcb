"""Kinds of documents the portal produces, with the Chinese names printed on them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """One template per kind: ``templates/documents/<value>.html``."""

    RECEIPT = "receipt", _("收件回执")
    ACCEPTANCE_NOTICE = "acceptance_notice", _("受理通知书")
    NON_ACCEPTANCE_NOTICE = "non_acceptance_notice", _("不予受理通知书")
    CORRECTION_NOTICE = "correction_notice", _("补正材料通知书")
    APPROVAL_DECISION = "approval_decision", _("行政许可决定书")
    REFUSAL_DECISION = "refusal_decision", _("不予行政许可决定书")
    LICENCE = "licence", _("行政许可证件")
    SUPERVISION_NOTICE = "supervision_notice", _("督办通知书")
