"""Who may reach which stored files, in one place."""

from django.db import models


class StoredFileQuerySet(models.QuerySet):
    def owned_by(self, user) -> "StoredFileQuerySet":
        """The files ``user`` uploaded; nothing for anonymous visitors.

        Everyone else reaches a file through the object it is attached to (an application's
        material, a notice's evidence), whose own scoping decides.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(uploaded_by=user)
