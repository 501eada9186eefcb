"""Notifications: the in-portal inbox, and the record of each email and SMS that went out."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.notifications.choices import EXTERNAL_CHANNELS, Channel
from portal.notifications.querysets import NotificationQuerySet

# The outbox key of a channel is "<notification key>:<channel>", within the outbox's 200.
KEY_MAX_LENGTH = 180


class Notification(models.Model):
    """One message to one person: their inbox row, and the content its email and SMS carry.

    The recipient is a portal user, or nobody for a bare contact (an email address or mobile number
    given on a paper form). The addresses are copied at the time of notifying, so a later change
    of the user's phone does not redirect a message already announced. The idempotency key makes
    ``notify`` safe to call again (a retried task, a resubmitted form): the second call finds the
    first notification and creates nothing.
    """

    idempotency_key = models.CharField(_("幂等键"), max_length=KEY_MAX_LENGTH, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,  # an inbox belongs to its user and goes with them
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient_email = models.EmailField(_("接收邮箱"), blank=True)
    recipient_phone = models.CharField(_("接收手机号"), max_length=20, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    in_inbox = models.BooleanField(_("显示在站内消息中"), default=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx",
                         condition=Q(in_inbox=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(in_inbox=False) | Q(recipient__isnull=False), name="notification_inbox_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(models.Model):
    """One email or SMS of a notification that the provider accepted: the receiver's dedupe record.

    Its idempotency key is the outbox message's, so a message delivered again (the worker was
    killed after sending, before the outbox recorded it) finds this row and sends nothing.
    """

    notification = models.ForeignKey(
        Notification, verbose_name=_("消息通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    delivered_at = models.DateTimeField(_("送达服务商时间"), default=timezone.now)
    provider_reference = models.CharField(_("服务商回执"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("外部投递记录")
        verbose_name_plural = _("外部投递记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[channel.value for channel in EXTERNAL_CHANNELS]),
                name="delivery_channel_external",
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
