"""Whose notifications a screen may show."""

from __future__ import annotations

from django.db import models


class NotificationQuerySet(models.QuerySet):
    def inbox_of(self, user) -> NotificationQuerySet:
        """The signed-in user's own inbox: nobody reads another person's notifications."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user, in_inbox=True)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)
