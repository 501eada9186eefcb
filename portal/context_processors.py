"""Template context shared by every page."""

from django.conf import settings


def portal(request):
    return {"PORTAL_NAME": "江州市政务服务网", "DEBUG": settings.DEBUG}
