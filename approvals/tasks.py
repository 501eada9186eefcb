"""Celery entry points of the approvals app: thin, idempotent, level-triggered."""

from celery import shared_task

from portal.audit.context import acting_as


@shared_task(acks_late=True, ignore_result=True)
def deem_overdue_filings_accepted() -> int:
    """Art. 32 sweep: recomputed from the database each run, so a missed or doubled run changes nothing."""
    from approvals import services

    with acting_as("task"):
        return services.deem_overdue_filings_accepted()


@shared_task(acks_late=True, ignore_result=True)
def licence_sweep() -> dict:
    """Daily: renewal reminders (art. 50) and expiry of lapsed licences; level-triggered."""
    from approvals import services

    with acting_as("task"):
        return services.licence_sweep()
