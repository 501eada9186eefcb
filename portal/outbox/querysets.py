"""Which outbox messages are due, and how large the backlog is."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q

from portal.outbox.choices import OutboxStatus


def due_condition(now: datetime, *, max_attempts: int) -> Q:
    """Waiting messages whose next attempt has come, and messages whose deliverer's lease ran out
    (its worker was killed or lost its database) that still have attempts left."""
    return Q(status=OutboxStatus.PENDING, available_at__lte=now) | Q(
        status=OutboxStatus.DELIVERING, lease_until__lt=now, attempts__lt=max_attempts
    )


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now: datetime, *, max_attempts: int) -> OutboxMessageQuerySet:
        return self.filter(due_condition(now, max_attempts=max_attempts))

    def undelivered(self) -> OutboxMessageQuerySet:
        """Still to be delivered: waiting for an attempt or being delivered right now."""
        return self.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DELIVERING])

    def delivered_before(self, cutoff: datetime) -> OutboxMessageQuerySet:
        """Delivered before ``cutoff``: done, and kept only for inspection.

        ``created_at`` is redundant (a message is delivered after it is created) but lets the
        (status, created_at) index find the rows without a scan of every delivered message.
        """
        return self.filter(status=OutboxStatus.DELIVERED, delivered_at__lt=cutoff, created_at__lt=cutoff)

    def abandoned(self, now: datetime, *, max_attempts: int) -> OutboxMessageQuerySet:
        """Leases that ran out on the last allowed attempt: the message keeps killing its worker."""
        return self.filter(status=OutboxStatus.DELIVERING, lease_until__lt=now, attempts__gte=max_attempts)
