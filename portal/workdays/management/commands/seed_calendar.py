"""``manage.py seed_calendar``: fill the working-day calendar from the chinesecalendar package.

Idempotent: years already in the table are left as they are (admins may have corrected them).
The seeding migration runs the same code, so a fresh database already has the calendar; run this
yearly (or the ``extend_calendar`` task) to keep the table two years ahead.
"""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.audit.context import acting_as
from portal.workdays import services
from portal.workdays.choices import YearStatus
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.schedule import FIRST_DATE, package_covers
from portal.workdays.seeding import recompute_ordinals


class Command(BaseCommand):
    help = "Seed the working-day calendar (2004 through this year + 2) from the chinesecalendar package."

    def add_arguments(self, parser):
        parser.add_argument("--through-year", type=int, help="last year to hold (default: this year + 2)")
        parser.add_argument(
            "--publish-covered",
            action="store_true",
            help="publish provisional years that the installed chinesecalendar package now covers",
        )
        parser.add_argument(
            "--recompute-ordinals",
            action="store_true",
            help="renumber every working-day ordinal from 2004-01-01",
        )

    def handle(self, *args, through_year=None, publish_covered=False, recompute_ordinals=False, **options):
        with acting_as("command"):
            inserted = services.seed_calendar(through_year=through_year, actor=None)
            self.stdout.write(f"years inserted: {', '.join(map(str, inserted)) or 'none'}")
            if recompute_ordinals:
                with transaction.atomic():
                    list(CalendarYear.objects.select_for_update())
                    changed = self._recompute()
                self.stdout.write(f"ordinals renumbered: {changed}")
            provisional = CalendarYear.objects.filter(status=YearStatus.PROVISIONAL).values_list("year", flat=True)
            for year in [year for year in provisional if package_covers(year)]:
                if publish_covered:
                    services.publish_year(year, days=None, actor=None)
                    self.stdout.write(f"published {year} from the chinesecalendar package")
                else:
                    self.stdout.write(
                        f"the chinesecalendar package now covers {year}: publish it in the admin "
                        "or run seed_calendar --publish-covered"
                    )

    @staticmethod
    def _recompute() -> int:
        from portal.workdays import table

        changed = recompute_ordinals(CalendarDay, datetime.date(FIRST_DATE.year, 1, 1))
        table.invalidate_after_edit()
        return changed
