"""``manage.py audit_grants --role portal_app``: make the audit tables append-only for that role."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit.grants import GrantsNotSupported, apply_audit_grants


class Command(BaseCommand):
    help = "Grant the application role full DML except UPDATE, DELETE, TRUNCATE on the audit tables (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the database role the portal connects as")

    def handle(self, *args, role: str, **options):
        try:
            report = apply_audit_grants(role)
        except (GrantsNotSupported, ValueError) as error:
            raise CommandError(str(error)) from error
        for statement in report.statements:
            self.stdout.write(statement)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"WARNING: {warning}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {role} DML on schema {report.schema}; audit tables "
                f"{', '.join(report.audit_tables)} are SELECT and INSERT only."
            )
        )
