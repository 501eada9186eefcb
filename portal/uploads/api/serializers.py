"""The upload field for the API: the same checks and messages as the screens' ``UploadField``."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portal.uploads.choices import DEFAULT_ALLOWED, FileType
from portal.uploads.services import check_upload


class UploadSerializerField(serializers.FileField):
    """A write-only file field that accepts only what ``check_upload`` accepts.

    The validated value is the uploaded file itself; pass it to ``store_upload`` with
    ``channel=UploadChannel.API``.
    """

    default_error_messages = {"required": _("请选择要上传的文件")}

    def __init__(self, *, allowed: tuple[FileType, ...] = DEFAULT_ALLOWED, **kwargs):
        self.allowed = tuple(allowed)
        kwargs.setdefault("write_only", True)
        # DRF's own empty-file refusal has its own wording; check_upload says it instead.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        uploaded_file = super().to_internal_value(data)
        try:
            check_upload(uploaded_file, allowed=self.allowed)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from error
        return uploaded_file
