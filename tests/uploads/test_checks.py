"""What is accepted is decided by the bytes: each type, disguises, size, and hostile content."""

import pytest
from django.core.exceptions import ValidationError

from portal.uploads import detection
from portal.uploads.choices import FileType
from portal.uploads.services import check_upload
from tests.uploads import samples
from tests.uploads.samples import upload

ALL_TYPES_MESSAGE = "仅支持 PDF、JPG、PNG、OFD、DOCX、XLSX 格式的文件"


def refusal(content: bytes, name: str = "材料.pdf", **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(content, name), **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (samples.pdf_bytes, FileType.PDF),
        (samples.jpeg_bytes, FileType.JPEG),
        (samples.png_bytes, FileType.PNG),
        (samples.ofd_bytes, FileType.OFD),
        (samples.docx_bytes, FileType.DOCX),
        (samples.xlsx_bytes, FileType.XLSX),
    ],
)
def test_each_allowed_type_is_recognised_by_its_content_under_any_name(build, expected):
    assert check_upload(upload(build(), "no-extension")) == expected


@pytest.mark.parametrize(
    "content",
    [samples.EXECUTABLE, samples.HTML, b"%!PS-Adobe-3.0\n", b"GIF89a\x01\x00\x01\x00", "纯文本".encode()],
    ids=["exe", "html", "postscript", "gif", "text"],
)
def test_other_content_renamed_to_pdf_is_refused_naming_the_allowed_types(content):
    error = refusal(content, "营业执照.pdf")

    assert error.messages == [ALL_TYPES_MESSAGE]
    assert error.code == "unsupported_type"


def test_the_message_names_only_the_types_the_caller_allows():
    error = refusal(samples.png_bytes(), "照片.png", allowed=(FileType.PDF, FileType.OFD))

    assert error.messages == ["仅支持 PDF、OFD 格式的文件"]


def test_a_pdf_named_png_is_a_pdf():
    assert check_upload(upload(samples.pdf_bytes(), "照片.png")) == FileType.PDF


def test_png_signature_without_its_header_chunk_is_refused():
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).code == "unsupported_type"


def test_size_limit_from_settings(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024

    assert check_upload(upload(samples.pdf_of_size(1024 * 1024))) == FileType.PDF
    error = refusal(samples.pdf_of_size(1024 * 1024 + 1))
    assert error.messages == ["文件大小不能超过 1 MB"]
    assert error.code == "too_large"


def test_default_limit_is_20_mb_and_said_so():
    assert refusal(samples.pdf_of_size(20 * 1024 * 1024 + 1)).messages == ["文件大小不能超过 20 MB"]


def test_empty_file_is_refused():
    error = refusal(b"")

    assert error.messages == ["文件内容为空，请重新选择文件"]
    assert error.code == "empty"


# --- ZIP-based types ---------------------------------------------------------------------------


def test_zip_bomb_is_refused_without_being_expanded():
    bomb = samples.zip_bomb_bytes(detection.ZIP_MAX_UNCOMPRESSED_BYTES + 8 * 1024 * 1024)

    assert len(bomb) < 1024 * 1024
    error = refusal(bomb, "申请书.docx")
    assert error.code == "zip_too_large"
    assert error.messages == ["文件解压后体积过大，无法接收。"]


def test_archive_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(detection, "ZIP_MAX_MEMBERS", 5)
    crowded = samples.docx_bytes(**{f"word/media/image{n}.png": b"x" for n in range(3)})

    assert refusal(crowded, "申请书.docx").code == "zip_too_many_members"


def test_macro_enabled_word_document_is_refused():
    docm = samples.docx_bytes(samples.WORD_MACRO_MAIN, **{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})

    assert refusal(docm, "申请书.docx").code == "office_macros"


def test_macro_content_type_alone_is_not_a_docx():
    assert refusal(samples.docx_bytes(samples.WORD_MACRO_MAIN), "申请书.docx").code == "unsupported_type"


@pytest.mark.parametrize(
    "members",
    [
        {"readme.txt": b"hello"},  # any other zip
        {"Doc_0/Document.xml": b"<ofd:Document/>"},  # OFD without OFD.xml at the root
        {"OFD.xml": b"<html><body>not an OFD</body></html>"},
        {"[Content_Types].xml": samples.CONTENT_TYPES_XML.format(part="word/document.xml",
                                                                 content_type=samples.WORD_MAIN)},  # no word/
    ],
    ids=["plain-zip", "ofd-without-root", "ofd-wrong-root", "docx-without-word"],
)
def test_archives_that_are_not_one_of_the_types_are_refused(members):
    assert refusal(samples.zip_bytes(members), "电子证照.ofd").code == "unsupported_type"


def test_archive_with_traversing_member_names_is_refused():
    archive = samples.zip_bytes({"OFD.xml": b"<ofd:OFD>", "../../etc/cron.d/job": b"* * * * * root sh"})

    assert refusal(archive, "电子证照.ofd").code == "zip_unsafe_member"


def test_truncated_archive_is_refused():
    assert refusal(samples.docx_bytes()[:200], "申请书.docx").code == "unsupported_type"


# --- PDF with active content -------------------------------------------------------------------


def test_pdf_with_javascript_open_action_is_refused():
    pdf = samples.pdf_bytes(b"<< /S /JavaScript /JS (app.alert(1)) >>", catalog_extra=b"/OpenAction 4 0 R ")

    error = refusal(pdf)
    assert error.code == "pdf_active_content"
    assert error.messages == ["PDF 文件含有脚本、附件或启动程序等动态内容，请重新导出或扫描后上传。"]


def test_pdf_with_launch_action_spelt_with_name_escapes_is_refused():
    pdf = samples.pdf_bytes(b"<< /S /L#61unch /F (cmd.exe) >>", catalog_extra=b"/OpenAction 4 0 R ")

    assert refusal(pdf).code == "pdf_active_content"


def test_pdf_with_javascript_hidden_in_a_compressed_object_stream_is_refused():
    pdf = samples.pdf_with_object_stream(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")

    assert b"JavaScript" not in pdf
    assert refusal(pdf).code == "pdf_active_content"


def test_pdf_with_harmless_compressed_object_stream_is_accepted():
    pdf = samples.pdf_with_object_stream(b"5 0 << /Title (Business licence) /Producer (Scanner) >>")

    assert check_upload(upload(pdf)) == FileType.PDF


def test_pdf_with_object_stream_in_an_uninspectable_encoding_is_refused():
    pdf = samples.pdf_with_object_stream(b"5 0 << /S /JavaScript >>", b"/Filter [/ASCIIHexDecode /FlateDecode]")

    assert refusal(pdf).code == "pdf_uninspectable"


def test_encrypted_pdf_is_refused():
    pdf = samples.pdf_bytes(b"<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",
                            trailer_extra=b"/Encrypt 4 0 R ")

    assert refusal(pdf).messages == ["不支持加密的文件，请去除密码保护后重新上传。"]


def test_pdf_cut_short_is_refused():
    assert refusal(samples.pdf_bytes()[:-20]).code == "pdf_truncated"
