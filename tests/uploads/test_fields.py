"""Screens and the API refuse the same files with the same words."""

import pytest
from django import forms
from rest_framework import serializers

from portal.uploads.api.serializers import UploadSerializerField
from portal.uploads.choices import FileType
from portal.uploads.forms import UploadField
from tests.uploads import samples
from tests.uploads.samples import upload


class MaterialForm(forms.Form):
    file = UploadField()


class PhotoForm(forms.Form):
    file = UploadField(allowed=(FileType.JPEG, FileType.PNG))


class MaterialSerializer(serializers.Serializer):
    file = UploadSerializerField()


def form_errors(content: bytes, name: str, form_class=MaterialForm) -> list[str]:
    form = form_class(data={}, files={"file": upload(content, name)})
    form.is_valid()
    return form.errors.get("file", [])


def api_errors(content: bytes, name: str) -> list[str]:
    serializer = MaterialSerializer(data={"file": upload(content, name)})
    serializer.is_valid()
    return [str(message) for message in serializer.errors.get("file", [])]


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (samples.pdf_bytes(), "营业执照.pdf", []),
        (samples.pdf_bytes(), "照片.png", []),
        (samples.EXECUTABLE, "营业执照.pdf", ["仅支持 PDF、JPG、PNG、OFD、DOCX、XLSX 格式的文件"]),
        (b"", "空白.pdf", ["文件内容为空，请重新选择文件"]),
        (samples.docx_bytes(samples.WORD_MACRO_MAIN, **{"word/vbaProject.bin": b"x"}), "申请书.docx",
         ["不支持含有宏或 ActiveX 控件的 Office 文件，请另存为普通文档后上传。"]),
    ],
    ids=["pdf", "pdf-named-png", "exe", "empty", "macros"],
)
def test_form_field_and_serializer_field_agree(content, name, expected):
    assert form_errors(content, name) == expected
    assert api_errors(content, name) == expected


def test_size_limit_is_the_same_on_both(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    oversized = samples.pdf_of_size(1024 * 1024 + 1)

    assert form_errors(oversized, "a.pdf") == api_errors(oversized, "a.pdf") == ["文件大小不能超过 1 MB"]


def test_form_field_narrowed_to_images_says_so_and_hints_the_picker():
    assert form_errors(samples.pdf_bytes(), "照片.jpg", PhotoForm) == ["仅支持 JPG、PNG 格式的文件"]
    assert 'accept=".jpg,.jpeg,.png"' in str(PhotoForm()["file"])


def test_missing_file_is_required_on_both():
    form = MaterialForm(data={}, files={})
    serializer = MaterialSerializer(data={})

    assert not form.is_valid() and not serializer.is_valid()
    assert form.errors["file"] == ["请选择要上传的文件"]
    assert [str(message) for message in serializer.errors["file"]] == ["请选择要上传的文件"]
