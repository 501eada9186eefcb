"""Set-based reads of applications for sweeps and queues, and of delegations for the queue."""

from datetime import date, datetime, timedelta

from approvals.choices import ApplicationStatus
from approvals.clock import ONE_TIME_NOTICE_DAYS, deemed_acceptance_due
from approvals.models import Application, Delegation


def deemed_acceptance_candidates(as_of: date) -> list[Application]:
    """Filings in pre-review with no one-time notice whose five working days have run out.

    Five working days span at least five calendar days, so the SQL bound is a safe superset;
    the exact working-day test then runs on that small set.
    """
    rough = (
        Application.objects.filter(
            status=ApplicationStatus.SUBMITTED,
            notices__isnull=True,
            received_on__lt=as_of - timedelta(days=ONE_TIME_NOTICE_DAYS),
        )
        .select_related("item_version")
        .order_by("received_on", "pk")
    )
    return [application for application in rough if deemed_acceptance_due(application.received_on) < as_of]


def active_delegations(at: datetime):
    """Delegations in force at ``at`` (the absent person's cases may be acted on by the delegate)."""
    return Delegation.objects.filter(starts_at__lte=at, ends_at__gt=at)
