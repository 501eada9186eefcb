"""Settings of the Celery worker, beat and client processes the worker tests start: the portal's,
plus the test handlers (the processes read DATABASE_URL and REDIS_URL from their environment)."""

from portal.settings import *  # noqa: F403
from portal.settings import OUTBOX_HANDLERS
from tests.outbox.receivers import TEST_HANDLERS

OUTBOX_HANDLERS = {**OUTBOX_HANDLERS, **TEST_HANDLERS}

# Only for `celery beat` started by a test with the default file scheduler: beat's drain, faster.
CELERY_BEAT_SCHEDULE = {
    "outbox: drain": {
        "task": "portal.outbox.tasks.drain_outbox",
        "schedule": 1.0,
        "options": {"expires": 0.9},
    }
}
