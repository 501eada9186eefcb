"""Celery entry points of the working-day calendar: thin, idempotent, enqueued after commit."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils.module_loading import import_string

from portal.audit.context import acting_as

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_published_hooks(year: int) -> None:
    """Call every hook in ``settings.WORKDAY_PUBLISHED_HOOKS`` with the year just published.

    Apps register a hook to recompute the deadlines they computed provisionally for that year
    (TIME_RULES.md §11); portal never imports the apps. Hooks must be idempotent (delivery is at
    least once). Every hook runs even if one fails; the failures are then raised together so the
    task shows as failed and the broken hook is visible in the logs.
    """
    failures = []
    with acting_as("task"):
        for path in settings.WORKDAY_PUBLISHED_HOOKS:
            try:
                import_string(path)(year)
            except Exception as error:  # one app's broken hook must not stop the others
                logger.exception("working-day hook %s failed for %s", path, year)
                failures.append(f"{path}: {error!r}")
    if failures:
        raise RuntimeError(f"working-day hooks failed for {year}: " + "; ".join(failures))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def extend_calendar() -> None:
    """Keep the table two years ahead (a yearly beat entry); idempotent."""
    from portal.workdays.services import seed_calendar

    with acting_as("task"):
        seed_calendar(actor=None)
