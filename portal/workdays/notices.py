"""The admin notice for years whose holiday schedule is not yet published (TIME_RULES.md §11).

While a year is unpublished, deadlines reaching into it skip weekends only and are provisional;
the people who can publish it must be told on the pages they see. ``add_missing_year_messages``
is used by the calendar admin's lists and is meant for the admin index too.
"""

from django.contrib import messages
from django.utils.translation import gettext as _

from portal.workdays.table import missing_years


def missing_year_notices() -> list[str]:
    """One sentence per unpublished year from this year through two years ahead."""
    return [
        _("%(year)d 年节假日安排尚未发布：期限按仅跳过周末计算，结果为临时值。") % {"year": year}
        for year in missing_years()
    ]


def add_missing_year_messages(request) -> list[str]:
    """Add each notice to ``request`` as a django.contrib.messages warning; return them."""
    notices = missing_year_notices()
    for notice in notices:
        messages.warning(request, notice)
    return notices
