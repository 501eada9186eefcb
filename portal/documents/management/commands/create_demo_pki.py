"""``manage.py create_demo_pki``: the demo root CA and a seal certificate for each organ."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.documents import pki
from portal.organisation.models import Department


class Command(BaseCommand):
    help = (
        "Generate the demo electronic-seal PKI under PKI_DIR: a root CA (“江州市电子印章演示根证书”) and one "
        "seal certificate per department. Existing certificates are kept. Never use it for real seals."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--organ", action="append", default=[], metavar="CODE",
            help="department code to issue for (repeatable); default: every active department",
        )

    def handle(self, *args, organ: list[str], **options):
        if organ:
            departments = list(Department.objects.filter(code__in=organ))
            unknown = sorted(set(organ) - {department.code for department in departments})
            if unknown:
                raise CommandError(f"unknown department codes: {', '.join(unknown)}")
        else:
            departments = list(Department.objects.filter(is_active=True))
        try:
            root = pki.ensure_root_ca()
            self.stdout.write(f"Root CA: {root}")
            for department in departments:
                credentials, created = pki.ensure_seal_certificate(department.code, department.name)
                state = "issued" if created else "kept"
                self.stdout.write(f"  {state:6} {department.code:12} {department.name}  {credentials.certificate_path}")
        except (pki.MissingCertificate, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(
            f"Demo PKI ready in {settings.PKI_DIR}. To check a signed PDF with pdfsig: "
            f"certutil -N --empty-password -d sql:DIR; certutil -A -d sql:DIR -n demo-root -t CT,C,C -i {root}; "
            "pdfsig -nssdir sql:DIR file.pdf"
        ))
