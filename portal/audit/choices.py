"""The event types the audit app itself records, with Chinese labels.

Other apps record free-form dotted names ("catalogue.item.published"), checked against
``EVENT_TYPE_PATTERN`` in the services rather than restricted to this enumeration.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventType(models.TextChoices):
    PERSONAL_DATA_REVEALED = "personal_data.revealed", _("查看个人信息明文")
    PERSONAL_DATA_REVEAL_REFUSED = "personal_data.reveal_refused", _("拒绝查看个人信息")
    PERSONAL_CHANGES_READ = "audit.personal_changes.read", _("查看审计记录中的个人信息")


class Channel(models.TextChoices):
    """Where an action came in (set by ``portal.audit.context``)."""

    WEB = "web", _("网页")
    API = "api", _("接口")
    TASK = "task", _("后台任务")
    COMMAND = "command", _("管理命令")
    IMPORT = "import", _("导入")
