"""Template context shared by every page."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _


def portal(request):
    return {"PORTAL_NAME": _("江州市政务服务网"), "DEBUG": settings.DEBUG}
