"""Celery entry points for uploads: thin, they call the services."""

from celery import shared_task

from portal.audit.context import acting_as
from portal.uploads import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def remove_orphaned_files() -> int:
    """Daily: delete stored files whose transaction never committed (see the service)."""
    with acting_as("task"):
        return services.remove_orphaned_files(actor=None)
