"""``manage.py seal_audit``: seal new audit entries into a block and sign it (also a beat task)."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit.context import acting_as
from portal.audit.services import SealLockBusy, seal_audit_trail


class Command(BaseCommand):
    help = "Seal audit entries written since the last block and write the signed seal file."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for in-flight writers")

    def handle(self, *args, wait: float, **options):
        with acting_as("command"):
            try:
                block = seal_audit_trail(wait_seconds=wait)
            except SealLockBusy as error:
                raise CommandError(str(error)) from error
        if block is None:
            self.stdout.write("Nothing new to seal.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Sealed block #{block.number}: {block.entry_count} entries "
                    f"({block.after_entry_id}, {block.through_entry_id}] in {len(block.chain_heads)} chains."
                )
            )
