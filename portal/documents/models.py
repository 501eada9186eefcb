"""Produced documents: the PDF as issued, with its fingerprint and what it is about."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.documents.choices import DocumentKind


def random_document_name(instance: "Document", filename: str) -> str:
    """An unguessable name under documents/: a file's name must not reveal or enumerate cases."""
    return f"documents/{secrets.token_hex(16)}.pdf"


class Document(models.Model):
    """One issued document (notice, decision, licence, receipt), exactly as it left the portal.

    Written once by ``services.produce_document`` and never changed: a correction is a new
    document, and the signature inside the file would expose any edit anyway. ``sha256`` lets a
    reader check the stored file without a PDF library. The target is a generic reference
    (model label and primary key) because documents belong to applications, licences and
    supervision cases alike and this app must not depend on any of them.
    """

    kind = models.CharField(_("文书种类"), max_length=32, choices=DocumentKind.choices)
    target_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    organ = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("出具机关"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    number = models.CharField(_("文号"), max_length=64, blank=True)
    file = models.FileField(_("文件"), upload_to=random_document_name, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    signed = models.BooleanField(_("已加盖电子签章"), default=False)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # Callers derive it from what the document is for ("approval_decision:application:42"), so
    # a retried task finds the document it already produced instead of issuing a second one.
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("电子文书")
        verbose_name_plural = _("电子文书")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="documents_target_idx")]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label} {self.number}" if self.number else f"{label} #{self.pk}"
