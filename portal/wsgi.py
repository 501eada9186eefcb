"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# What the worker has loaded so far (Django, the apps, the URL conf) lives as long as the worker:
# out of the collector's sight, it is not walked again by every full collection during requests.
gc.freeze()
