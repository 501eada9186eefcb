from django.core.management.base import BaseCommand

from portal.audit.context import acting_as
from supervision.efficiency import rollups, services


class Command(BaseCommand):
    help = ("Create the platform's default scoring rule (published, default weights) if there is none, and "
            "build the dashboards' rollups if they were never built. Idempotent.")

    def handle(self, *args, **options):
        with acting_as("command"):
            rule = services.ensure_default_rule()
            state = rollups.freshness()
            built = state is not None and state.last_started_at is not None
            result = rollups.refresh_rollups() if built else rollups.rebuild_rollups()
        self.stdout.write(f"Scoring rule: {rule.name if rule else 'none (no region yet)'}; rollups: {result}")
