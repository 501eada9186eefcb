from datetime import date

from django.core.management.base import BaseCommand, CommandError

from portal.audit.context import acting_as
from supervision.efficiency import rollups


class Command(BaseCommand):
    help = "Recompute the efficiency rollups of every day from --since (default: the first case) to today."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day, YYYY-MM-DD")

    def handle(self, *args, since=None, **options):
        first = None
        if since:
            try:
                first = date.fromisoformat(since)
            except ValueError as error:
                raise CommandError("--since must be a date written YYYY-MM-DD") from error

        def progress(day, rows):
            self.stdout.write(f"  through {day}: {rows} rows")

        with acting_as("command"):
            result = rollups.rebuild_rollups(first=first, progress=progress)
        self.stdout.write(f"Rollups rebuilt: {result}")
