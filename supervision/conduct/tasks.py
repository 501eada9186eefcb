"""Celery entry points of the conduct app: thin, idempotent, level-triggered (beat runs them)."""

from celery import shared_task

from portal.audit.context import acting_as


@shared_task(acks_late=True, ignore_result=True)
def sweep_key_events() -> dict:
    """Bring the key-event ledger up to date; a missed or doubled run changes nothing."""
    from supervision.conduct import services

    with acting_as("task"):
        return services.sweep_key_events()


@shared_task(acks_late=True, ignore_result=True)
def sweep_conduct_rules() -> dict:
    """Evaluate every enabled off-system processing rule; re-running adds no duplicate flag."""
    from supervision.conduct import services

    with acting_as("task"):
        return services.sweep_conduct_rules()
