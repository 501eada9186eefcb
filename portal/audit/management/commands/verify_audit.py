"""``manage.py verify_audit``: exit 0 with one OK line, or non-zero naming the first tampered entry."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit.services import verify_all, verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hashes and check them against the seal blocks and the signed seal file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chain", help="verify only this chain, e.g. catalogue.item:42")

    def handle(self, *args, chain: str | None = None, **options):
        result = verify_chain(chain) if chain else verify_all()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(result.summary()))
            return
        for problem in result.ordered_problems():
            self.stderr.write(f"[{problem.kind}] {problem.message}")
        raise CommandError(result.summary(), returncode=1)
