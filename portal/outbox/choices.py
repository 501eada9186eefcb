"""Statuses of an outbox message and the audit events the outbox records, with Chinese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待投递")
    DELIVERING = "delivering", _("投递中")
    DELIVERED = "delivered", _("已投递")
    DEAD = "dead", _("投递失败")


class OutboxEventType(models.TextChoices):
    MESSAGE_DEAD = "outbox.message.dead", _("消息多次投递失败，已停止重试")
    MESSAGE_RETRIED = "outbox.message.retried", _("失败消息重新投递")
    DELIVERED_PURGED = "outbox.delivered.purged", _("已投递消息超过保留期，已删除")
