"""``manage.py preview_documents``: render every kind's sample (samples.py) to PDF and PNG."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand

from portal.documents.rendering import render_pdf
from portal.documents.samples import RENDERABLE_KINDS, SAMPLE_ORGAN_CODE, SAMPLE_ORGAN_NAME, sample_context
from portal.documents.signing import get_signer


class Command(BaseCommand):
    help = "Render the sample of each document kind to OUTPUT/<kind>.pdf (and PNG with --png) for review."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="test-artifacts/documents", help="folder to write into")
        parser.add_argument("--kind", action="append", choices=RENDERABLE_KINDS, help="only these kinds")
        parser.add_argument("--sign", action="store_true", help="seal with the demo PKI (creates it if needed)")
        parser.add_argument("--png", action="store_true", help="also write page images with pdftoppm -r 60")

    def handle(self, *args, output: str, kind: list[str] | None, sign: bool, png: bool, **options):
        import subprocess

        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        for name in kind or RENDERABLE_KINDS:
            started = time.perf_counter()
            pdf = render_pdf(name, sample_context(name))
            rendered = time.perf_counter() - started
            if sign:
                pdf = get_signer().sign(
                    pdf, organ_code=SAMPLE_ORGAN_CODE, organ_name=SAMPLE_ORGAN_NAME, reason="样张"
                )
            path = folder / f"{name}.pdf"
            path.write_bytes(pdf)
            if png:
                subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(folder / name)], check=True)
            self.stdout.write(f"{path}  {len(pdf):>8} bytes  rendered in {rendered:.3f} s")
