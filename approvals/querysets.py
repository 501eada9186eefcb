"""Set-based reads of applications for sweeps and queues."""

from datetime import date, timedelta

from approvals.choices import ApplicationStatus
from approvals.clock import ONE_TIME_NOTICE_DAYS, deemed_acceptance_due
from approvals.models import Application


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
