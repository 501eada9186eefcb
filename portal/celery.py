"""The Celery application.

Delivery guarantees come from the database (outbox tables drained by beat-driven tasks), not from
the broker: the embedded filesystem broker used when ``REDIS_URL`` is unset loses a task whose
worker dies mid-run, and even Redis can lose an unacknowledged message on restart.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
