"""The kinds of file the portal accepts and the channels they arrive by, with Chinese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileType(models.TextChoices):
    """An accepted kind of file, named by the extension it is stored under.

    The label is what applicants read in "仅支持 PDF、JPG…": the names they know from their files.
    """

    PDF = "pdf", "PDF"
    JPEG = "jpg", "JPG"
    PNG = "png", "PNG"
    OFD = "ofd", "OFD"  # GB/T 33190, China's fixed-layout format for electronic documents and licences
    DOCX = "docx", "DOCX"
    XLSX = "xlsx", "XLSX"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self]

    @property
    def extension(self) -> str:
        return self.value

    @classmethod
    def from_content_type(cls, content_type: str) -> "FileType":
        for file_type, known in CONTENT_TYPES.items():
            if known == content_type:
                return file_type
        raise ValueError(f"no accepted file type has the content type {content_type!r}")


CONTENT_TYPES: dict[FileType, str] = {
    FileType.PDF: "application/pdf",
    FileType.JPEG: "image/jpeg",
    FileType.PNG: "image/png",
    FileType.OFD: "application/ofd",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Extensions a client may give a file of each type without the download name being corrected.
EXTENSION_ALIASES: dict[FileType, frozenset[str]] = {
    FileType.JPEG: frozenset({"jpg", "jpeg", "jpe"}),
}

# Everything above; a caller narrows it for a slot that takes, say, only images.
DEFAULT_ALLOWED: tuple[FileType, ...] = tuple(FileType)


class UploadChannel(models.TextChoices):
    """How a file came in: the applicant online, a department's system, or a clerk's scanner."""

    WEB = "web", _("网上申报")
    API = "api", _("系统接口")
    WINDOW = "window", _("窗口扫描")
