"""Notifying people: the inbox row now, email and SMS through the outbox after commit.

``notify`` is what other apps call, inside the transaction of the change they announce, so the
announcement exists exactly when the change does. The inbox row is written directly; each external
channel becomes one outbox message, delivered at least once by ``delivery.deliver_notification``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.notifications.choices import EXTERNAL_CHANNELS, Channel
from portal.notifications.models import KEY_MAX_LENGTH, Notification
from portal.outbox import services as outbox
from portal.transactions import insert_or_get, unit

logger = logging.getLogger(__name__)

# The outbox kind whose handler is ``portal.notifications.delivery.deliver_notification``.
OUTBOX_KIND = "notification.send"
ALL_CHANNELS = (Channel.INBOX, Channel.EMAIL, Channel.SMS)


def _validated_link(link: str) -> str:
    link = (link or "").strip()
    # Shown as a link in the inbox: a path on this site or a web address, never "javascript:".
    if link and not (
        (link.startswith("/") and not link.startswith("//")) or link.startswith(("https://", "http://"))
    ):
        raise ValueError(f"a notification link must be a path on this site or an http(s) address, got {link!r}")
    return link


def notify(
    *,
    recipient=None,
    email: str = "",
    phone: str = "",
    subject: str,
    body: str,
    link: str = "",
    key: str,
    channels: Iterable[str] = ALL_CHANNELS,
) -> Notification:
    """Tell someone something, once, through the inbox and/or email and SMS; return the notification.

    ``recipient`` is a user (their inbox, and their email and phone unless given), or None for a
    bare contact reached only by ``email``/``phone``. Channels without an address are skipped (a
    user with no mobile number gets no SMS); when no requested channel can reach anyone the call
    is refused, as that is a mistake of the caller. ``key`` identifies the announcement
    ("approvals.application:42:accepted"): a second call with it returns the first notification
    and creates nothing. Call it inside the transaction of the change it announces; standing
    alone it opens its own.
    """
    channels = {Channel(channel) for channel in channels}
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"an idempotency key of 1 to {KEY_MAX_LENGTH} characters is required")
    subject = " ".join((subject or "").split())  # one line: it becomes an email header
    if not subject or not (body or "").strip():
        raise ValueError("a notification needs a subject and a body")
    link = _validated_link(link)
    email = (email or getattr(recipient, "email", "") or "").strip()
    phone = (phone or getattr(recipient, "phone", "") or "").strip()
    addresses = {Channel.EMAIL: email, Channel.SMS: phone}
    in_inbox = Channel.INBOX in channels and recipient is not None
    external = [channel for channel in EXTERNAL_CHANNELS if channel in channels and addresses[channel]]
    skipped = sorted(channel for channel in EXTERNAL_CHANNELS if channel in channels and not addresses[channel])
    if not in_inbox and not external:
        raise ValueError("none of the requested channels can reach this recipient")

    with unit():
        notification, created = insert_or_get(Notification(
            idempotency_key=key,
            recipient=recipient,
            recipient_email=email if Channel.EMAIL in external else "",
            recipient_phone=phone if Channel.SMS in external else "",
            subject=subject,
            body=body,
            link=link,
            in_inbox=in_inbox,
        ), "idempotency_key")
        if not created:
            return notification
        for channel in external:
            outbox.enqueue(
                OUTBOX_KIND,
                key=f"{key}:{channel}",
                payload={"notification_id": notification.pk, "channel": str(channel)},
            )
    if skipped:
        logger.debug("notification %s: no address for %s, skipped", notification.pk, ", ".join(skipped))
    return notification


def mark_read(notification: Notification, *, actor) -> bool:
    """Mark one of the actor's own notifications read; False when it already was."""
    if notification.recipient_id is None or notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied("只能标记自己的消息。")
    read_at = timezone.now()
    # Conditional: the first reading time stays, however often the button is pressed.
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=read_at)
    if updated:
        notification.read_at = read_at
    return bool(updated)


def mark_all_read(*, actor) -> int:
    """Mark every unread notification in the actor's inbox read; returns how many."""
    return Notification.objects.inbox_of(actor).unread().update(read_at=timezone.now())
