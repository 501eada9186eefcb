"""Set-based reads of applications for sweeps and queues, and of delegations for the queue."""

from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from approvals.choices import ApplicationStatus, SubCaseStatus
from approvals.clock import ONE_TIME_NOTICE_DAYS, deemed_acceptance_due
from approvals.models import Application, Delegation, SubCase


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


def subcases_in_progress() -> QuerySet[SubCase]:
    """Joint cases' sub-cases still waiting for their department's opinion (TIME_RULES §10: they
    light up like their cases). ``promised_due`` is stored and kept current on resume and
    extension, so the monitoring sweep compares it in SQL; while the case is paused
    (``application__is_paused``) the clock stands still, as the case's does, and
    ``approvals.services.subcase_clock_of`` gives the exact figures for one sub-case.
    """
    return (SubCase.objects.filter(status=SubCaseStatus.OPEN, application__status=ApplicationStatus.IN_PROGRESS)
            .select_related("application", "department")
            .order_by("promised_due", "pk"))


def active_delegations(at: datetime):
    """Delegations in force at ``at`` (the absent person's cases may be acted on by the delegate)."""
    return Delegation.objects.filter(starts_at__lte=at, ends_at__gt=at)
