"""The outbox table: side effects that must not be lost, committed with the change that causes them.

Why a table and not just a Celery message: a message sent to the broker is lost when the broker
restarts without persistence, when a worker dies holding it, or when the process that would send it
dies between its commit and the send. A row written in the same transaction as the change exists if
and only if the change does, and a task that beat runs every minute delivers whatever is still
waiting, whatever happened to the messages that were meant to trigger it.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.outbox.choices import OutboxStatus
from portal.outbox.querysets import OutboxMessageQuerySet

KEY_MAX_LENGTH = 200


class OutboxMessage(models.Model):
    """One side effect to deliver at least once: a kind (which handler), a payload and a key.

    The idempotency key is unique, so enqueueing the same effect twice stores it once, and it is
    passed to the handler, which uses it to recognise (and skip) an effect it already applied: at
    least once delivery plus a deduplicating receiver is effectively once.

    Written only by ``portal.outbox.services``. ``attempts`` counts attempts started (a claim
    increments it), so a message whose handler kills its worker every time still ends up dead; a
    claim is identified by the pair (id, attempts), which lets a worker that overran its lease see
    that another has taken the message over.
    """

    kind = models.CharField(_("类型"), max_length=100)
    idempotency_key = models.CharField(_("幂等键"), max_length=KEY_MAX_LENGTH, unique=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(_("已尝试次数"), default=0)
    available_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    lease_until = models.DateTimeField(_("租约到期时间"), null=True, blank=True)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("可靠投递消息")
        verbose_name_plural = _("可靠投递消息")
        indexes = [
            # The drain's two questions, each answered from a small partial index.
            models.Index(fields=["available_at"], condition=Q(status=OutboxStatus.PENDING),
                         name="outbox_pending_due_idx"),
            models.Index(fields=["lease_until"], condition=Q(status=OutboxStatus.DELIVERING),
                         name="outbox_lease_expiry_idx"),
            # The backlog's counts and oldest age, per status.
            models.Index(fields=["status", "created_at"], name="outbox_status_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.DELIVERING) | Q(lease_until__isnull=False),
                name="outbox_delivering_has_lease",
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="outbox_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"
