"""Celery entry points of the portal's own tables: thin, idempotent, run by beat."""

from celery import shared_task

from portal.audit.context import acting_as


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purge_idempotency_keys() -> int:
    """Daily: forget idempotency keys past their retention (``portal.idempotency``)."""
    from portal.idempotency import purge_expired_keys

    with acting_as("task"):
        return purge_expired_keys()
