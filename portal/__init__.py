"""The government-services portal project: settings, Celery app, shared pieces and public pages."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
