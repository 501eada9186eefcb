from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EfficiencyConfig(AppConfig):
    """Its own app inside ``supervision`` (label "efficiency"), so that its migrations stay apart
    from the time-limit warnings of the supervision app proper."""

    name = "supervision.efficiency"
    label = "efficiency"
    verbose_name = _("绩效评估")
