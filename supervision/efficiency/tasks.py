"""Celery entry points of efficiency scoring: thin, take ids, idempotent, acknowledged late."""

import logging

from celery import shared_task
from django.db import OperationalError

from portal.audit.context import acting_as

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             autoretry_for=(OperationalError,), retry_backoff=5, retry_jitter=True, max_retries=5)
def compute_scoring_run(run_id: int) -> None:
    """Score one run; a run already done or deleted is left alone (a second delivery is harmless).
    A lost connection is retried with backoff; any other failure is recorded on the run."""
    from supervision.efficiency import services

    with acting_as("task"):
        try:
            services.compute_scoring_run(run_id)
        except OperationalError:
            raise
        except Exception as error:  # recorded on the run for the supervisor to see; not retried
            logger.exception("scoring run %s failed", run_id)
            services.mark_run_failed(run_id, f"{error.__class__.__name__}: {error}")


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def ensure_monthly_runs() -> int:
    """Daily, level-triggered: last month's run of every rule exists and is queued until done."""
    from supervision.efficiency import services

    with acting_as("task"):
        return len(services.ensure_monthly_runs())


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def refresh_rollups() -> dict:
    """Every ten minutes: recompute the rollups of the days touched since the last refresh."""
    from supervision.efficiency import rollups

    with acting_as("task"):
        return rollups.refresh_rollups()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_recent_rollups() -> dict:
    """Nightly safety net: the last two months of rollups recomputed whole."""
    from supervision.efficiency import rollups

    with acting_as("task"):
        return rollups.recompute_recent()
