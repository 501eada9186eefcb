"""Celery entry points of monitoring: thin, idempotent, level-triggered."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from portal.audit.context import acting_as


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The database went away mid-run (failover, restart): nothing was committed but the run's start
    # record; try again shortly rather than wait for beat's next run.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def sweep_time_limits() -> dict:
    """Raise and clear the time-limit lights (beat: every five minutes). Recomputed from the
    database each run, so a missed, doubled, concurrent or killed run changes nothing."""
    from supervision import services

    with acting_as("task"):
        run = services.sweep_time_limits()
    return {"run": run.pk, "raised": run.raised, "cleared": run.cleared}
