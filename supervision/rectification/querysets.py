"""Scoping and reusable filters of rectification cases; what other apps read (STYLE.md: an app reads
another's data through its querysets)."""

from datetime import date

from django.db import models

from portal.scoping import ScopedQuerySet
from supervision.rectification.choices import AWAITING_REVIEW, CLOSED_STATUSES, DEPARTMENT_TURN


class RectificationCaseQuerySet(ScopedQuerySet):
    def open(self) -> "RectificationCaseQuerySet":
        """Not yet closed: with the department or waiting for the supervisor."""
        return self.exclude(status__in=CLOSED_STATUSES)

    def awaiting_review(self) -> "RectificationCaseQuerySet":
        return self.filter(status__in=AWAITING_REVIEW)

    def overdue(self) -> "RectificationCaseQuerySet":
        return self.filter(is_overdue=True)

    def newly_overdue(self, today: date) -> "RectificationCaseQuerySet":
        """The sweep's candidates: the department's turn, past the deadline, not yet flagged.

        The deadline day itself is still in time (TIME_RULES §3: "n working days after d" is the
        day the n-th working day falls; the case is late from the day after)."""
        return self.filter(status__in=DEPARTMENT_TURN, is_overdue=False, deadline__lt=today)

    def of_department(self, department_id: int | None) -> "RectificationCaseQuerySet":
        return self.filter(department_id=department_id) if department_id else self.none()

    def excluded_rating_ids(self) -> models.QuerySet:
        """Ids of ratings judged invalid (无效差评): left out of satisfaction scores.

        A ``values`` queryset, so a scorer can use it as a sub-query:
        ``Rating.objects.exclude(pk__in=RectificationCase.objects.excluded_rating_ids())``.
        """
        return self.filter(rating_excluded=True).values("rating_id")


def excluded_rating_ids() -> models.QuerySet:
    """Module-level shortcut for the efficiency scoring: ratings judged invalid, as a sub-query."""
    from supervision.rectification.models import RectificationCase

    return RectificationCase.objects.excluded_rating_ids()
