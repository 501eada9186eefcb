"""The upload field for screens: the same checks as the API and as ``store_upload``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.uploads.choices import DEFAULT_ALLOWED, FileType
from portal.uploads.services import check_upload


def accept_attribute(allowed: tuple[FileType, ...]) -> str:
    """The ``accept`` hint for the file picker (a convenience: the bytes are what get checked)."""
    extensions = []
    for file_type in allowed:
        extensions.append(f".{file_type.extension}")
        if file_type == FileType.JPEG:
            extensions.append(".jpeg")
    return ",".join(extensions)


class UploadField(forms.FileField):
    """A file field that accepts only what ``check_upload`` accepts, with its Chinese messages.

    The cleaned value is the uploaded file itself; pass it to ``store_upload``.
    """

    default_error_messages = {"required": _("请选择要上传的文件")}

    def __init__(self, *, allowed: tuple[FileType, ...] = DEFAULT_ALLOWED, **kwargs):
        self.allowed = tuple(allowed)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": accept_attribute(self.allowed)}))
        # Django's own empty-file refusal has its own wording; check_upload says it instead.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def to_python(self, data):
        uploaded_file = super().to_python(data)
        if uploaded_file is not None:
            check_upload(uploaded_file, allowed=self.allowed)
        return uploaded_file
