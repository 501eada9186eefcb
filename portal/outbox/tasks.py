"""Celery entry point of the outbox: thin, idempotent, driven by beat and nudged after commits."""

from celery import shared_task

from portal.audit.context import acting_as


@shared_task(acks_late=True, reject_on_worker_lost=True)
def drain_outbox() -> dict[str, int]:
    """Deliver the outbox messages that are due (beat: every minute; ``enqueue``: after commit).

    A doubled run delivers nothing twice (claims are exclusive); a missed or lost run is caught up
    by the next, because what to deliver is read from the database each time.
    """
    from portal.outbox.services import drain

    with acting_as("task"):
        return drain().as_dict()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purge_delivered_outbox() -> int:
    """Daily: delete delivered messages past their retention; waiting and dead ones stay."""
    from portal.outbox.services import purge_delivered

    with acting_as("task"):
        return purge_delivered()
