"""``{% time_light application %}``: the yellow/red badge of a case in a work list.

Reads the annotations of ``supervision.querysets.with_time_lights`` (``time_light``,
``remaining_working_days``), so a list of fifty cases costs no query per row. A case without
them (not on the clock yet) shows nothing.
"""

from django import template

from supervision.choices import WarningColour

register = template.Library()


@register.inclusion_tag("supervision/_time_light.html")
def time_light(application):
    light = getattr(application, "time_light", None)
    return {
        "light": light if light in WarningColour.values else "",
        "label": WarningColour(light).label if light in WarningColour.values else "",
    }
