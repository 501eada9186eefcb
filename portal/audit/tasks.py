"""Celery entry points of the audit trail: thin, they call the services."""

from celery import shared_task

from portal.audit.context import acting_as
from portal.audit.services import SealLockBusy, seal_audit_trail


@shared_task(
    autoretry_for=(SealLockBusy,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def seal_audit_chain() -> int | None:
    """Seal what was written since the last run; returns the new block's number, if any.

    Idempotent: a doubled run finds nothing new; a missed run is caught up by the next one.
    """
    with acting_as("task"):
        block = seal_audit_trail()
    return block.number if block else None
