"""HTML templates to PDF with WeasyPrint.

Speed depends on one system library. WeasyPrint embeds a subset of each font it uses; with
HarfBuzz's subsetter (Debian: libharfbuzz-subset0) a page set in Noto Serif CJK takes well under
a second, while its fallback, fontTools in pure Python, spends about six seconds taking apart the
CJK font collection. ``font_subsetting_backend`` reports which path WeasyPrint will take, by the
same test WeasyPrint makes in ``weasyprint.pdf.fonts.Font.subset``; the tests and the health
check insist on "harfbuzz".
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from portal.documents.choices import DocumentKind

# 4.1.0 brought hb_set_add_sorted_array, which WeasyPrint's HarfBuzz subsetting needs.
HARFBUZZ_SUBSET_MINIMUM = (4, 1, 0)


def font_subsetting_backend() -> str:
    """"harfbuzz" when WeasyPrint will subset fonts with libharfbuzz-subset, else "fonttools"."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is not None and harfbuzz.hb_version_atleast(*HARFBUZZ_SUBSET_MINIMUM):
        return "harfbuzz"
    return "fonttools"


def template_name(kind: str) -> str:
    return f"documents/{DocumentKind(kind).value}.html"


def render_html(kind: str, context: dict) -> str:
    """The document's HTML, from ``templates/documents/<kind>.html``."""
    return render_to_string(template_name(kind), context)


def render_pdf(kind: str, context: dict) -> bytes:
    """The document as PDF bytes (unsigned)."""
    from weasyprint import HTML  # imported late: loading Pango costs startup time for every process

    html = render_html(kind, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
