"""Uploaded files, stored under random names outside the web root."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.uploads.choices import CONTENT_TYPES, EXTENSION_ALIASES, FileType, UploadChannel
from portal.uploads.querysets import StoredFileQuerySet


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    """``uploads/<yyyy>/<mm>/<uuid hex>.<detected extension>``.

    The client's ``filename`` is ignored on purpose: it could collide, traverse, or carry an
    extension that contradicts the content. The month folders keep directories small.
    """
    today = timezone.localdate()
    return f"uploads/{today:%Y}/{today:%m}/{instance.id.hex}.{instance.file_type.extension}"


class StoredFile(models.Model):
    """One uploaded file: its bytes were checked for type and size before this row existed.

    Rows are written only by ``services.store_upload`` and never changed (a corrected scan is a
    new file). Nothing serves MEDIA_ROOT: the bytes are reached through views that check who may
    see them and then call ``serving.serve_stored_file``. ``original_name`` is for display only;
    it may name a person, so it stays out of the audit trail and of ``str()``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("文件"), upload_to=stored_file_path, max_length=100, editable=False)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(
        _("文件类型"),
        max_length=100,
        choices=[(content_type, file_type.label) for file_type, content_type in CONTENT_TYPES.items()],
    )
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256 摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        "organisation.User",
        verbose_name=_("上传人"),
        null=True,  # null: the system itself (imports, generated documents)
        blank=True,
        # Who submitted a material is evidence: accounts are deactivated, not deleted.
        on_delete=models.PROTECT,
        related_name="stored_files",
    )
    uploaded_via = models.CharField(_("上传渠道"), max_length=16, choices=UploadChannel.choices)
    purpose = models.CharField(_("用途"), max_length=50)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = StoredFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["uploaded_by", "-created_at"], name="uploads_by_uploader")]

    def __str__(self) -> str:
        return f"{self.file_type.label} {self.pk}"

    @property
    def file_type(self) -> FileType:
        return FileType.from_content_type(self.content_type)

    @property
    def download_name(self) -> str:
        """The name a download is saved under: the original, with the extension the bytes earned.

        A PDF uploaded as "扫描件.png" downloads as "扫描件.pdf", so the reviewer's desktop opens it
        with the right program, and no download can end in .html or .exe.
        """
        file_type = self.file_type
        stem, dot, suffix = self.original_name.rpartition(".")
        accepted = EXTENSION_ALIASES.get(file_type, frozenset({file_type.extension}))
        if dot and stem and suffix.lower() in accepted:
            return self.original_name
        base = stem if dot and stem else self.original_name
        return f"{base}.{file_type.extension}"
