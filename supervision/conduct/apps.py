from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    """Key events (不予受理, 不予许可, 补正告知, 视为受理, 延期) and off-system processing (体外循环)."""

    name = "supervision.conduct"
    label = "conduct"
    verbose_name = _("办理行为监察")
