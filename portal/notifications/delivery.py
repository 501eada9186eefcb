"""The outbox handler that sends a notification's email or SMS: idempotent on the outbox key.

Order of operations, and why. Inside one transaction the ``Delivery`` row is inserted first, then
the provider is called, then the row gets the provider's reference and the transaction commits:

* a provider error rolls the row back, so the outbox's retry sends again;
* a second delivery of the same key running at the same time (a drain that overran its lease)
  waits on the unique index until the first commits, then finds the row and sends nothing;
* a delivery after a committed one finds the row and sends nothing (the dedupe);
* the one gap: the worker dies after the provider accepted and before the commit. The row rolls
  back with the connection and the message is sent again. At least once is the contract: a rare
  duplicate email or SMS is acceptable, a lost one is not. The email's Message-ID is derived from
  the key, so mail systems that drop repeated Message-IDs hide even that duplicate.

The transaction stays open during the provider call, which the call's timeout bounds. On
PostgreSQL that holds only this key's index entry; on the embedded SQLite setup it holds the
database's write lock, which is acceptable for development only.
"""

from __future__ import annotations

import hashlib
import logging
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from portal.notifications.choices import Channel
from portal.notifications.models import Delivery, Notification
from portal.notifications.sms import get_sms_backend

logger = logging.getLogger(__name__)

# Seconds a provider call may take before it counts as a failed attempt.
SEND_TIMEOUT_SECONDS = 30


def deliver_notification(payload: dict, key: str) -> None:
    """Send the email or SMS named by ``payload`` unless the delivery ``key`` was already made."""
    if Delivery.objects.filter(idempotency_key=key).exists():
        return
    notification = Notification.objects.filter(pk=payload["notification_id"]).first()
    if notification is None:
        # Deleted with its recipient since it was announced: there is no one left to tell.
        logger.info("notification %s no longer exists; delivery %s dropped", payload["notification_id"], key)
        return
    channel = Channel(payload["channel"])
    with transaction.atomic():
        delivery, created = Delivery.objects.get_or_create(
            idempotency_key=key, defaults={"notification": notification, "channel": channel}
        )
        if not created:
            return  # delivered meanwhile by a concurrent attempt, which we waited for
        if channel == Channel.EMAIL:
            reference = _send_email(notification, key)
        elif channel == Channel.SMS:
            reference = _send_sms(notification)
        else:
            raise ValueError(f"channel {channel!r} is not delivered through the outbox")
        delivery.provider_reference = reference[:200]
        delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["provider_reference", "delivered_at"])


def message_id_for(key: str) -> str:
    """A Message-ID that is the same for every attempt of one delivery."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portal.invalid"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}@{domain}>"


def _send_email(notification: Notification, key: str) -> str:
    if not notification.recipient_email:
        raise ValueError(f"notification {notification.pk} has no email address")
    body = notification.body + (f"\n\n{notification.link}" if notification.link else "")
    message_id = message_id_for(key)
    message = EmailMessage(
        subject=notification.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient_email],
        headers={"Message-ID": message_id},
        connection=get_connection(timeout=SEND_TIMEOUT_SECONDS),
    )
    if message.send() != 1:
        raise RuntimeError(f"the email backend did not send notification {notification.pk}")
    return message_id


def _send_sms(notification: Notification) -> str:
    if not notification.recipient_phone:
        raise ValueError(f"notification {notification.pk} has no mobile number")
    text = f"{notification.subject}：{notification.body}"
    if notification.link:
        text += f" {notification.link}"
    return get_sms_backend().send(notification.recipient_phone, text)
