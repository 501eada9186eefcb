"""Template tags for the admin pages."""

from django import template

from portal.workdays.notices import missing_year_notices

register = template.Library()


@register.simple_tag
def calendar_notices() -> list[str]:
    """Years whose holiday schedule is missing, for the admin index (TIME_RULES.md §11)."""
    return missing_year_notices()
