"""Celery entry points of rectification: thin, idempotent, level-triggered."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.audit.context import acting_as


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The database went away mid-run: nothing was committed; try again shortly.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def sweep_overdue_rectifications() -> dict:
    """Mark rectifications past their working-day deadline overdue and warn once per case (beat:
    hourly). Recomputed from the database each run, so a missed or doubled run changes nothing."""
    from supervision.rectification import services

    with acting_as("task"):
        return services.sweep_overdue()
