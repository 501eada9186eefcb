import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "portal.documents"
    label = "documents"
    verbose_name = _("电子文书")

    def ready(self):
        # WeasyPrint reports every layout step at INFO ("Step 5 - Creating layout - Page 1").
        # Quiet it unless the LOGGING setting has chosen a level for it.
        progress = logging.getLogger("weasyprint.progress")
        if progress.level == logging.NOTSET:
            progress.setLevel(logging.WARNING)
