"""Storing: random names, the row and the bytes together or neither, the audit entry, orphans."""

import hashlib
import os
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError

from portal.audit.services import entries_for
from portal.uploads import services
from portal.uploads.choices import FileType, UploadChannel
from portal.uploads.models import StoredFile
from portal.uploads.services import remove_orphaned_files, sanitise_original_name, store_upload
from tests.uploads import samples
from tests.uploads.samples import stored_paths, upload

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"uploads/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png|ofd|docx|xlsx)")


@pytest.mark.parametrize(
    ("build", "name", "content_type", "extension"),
    [
        (samples.pdf_bytes, "营业执照.pdf", "application/pdf", "pdf"),
        (samples.jpeg_bytes, "身份证正面.jpeg", "image/jpeg", "jpg"),
        (samples.png_bytes, "场地照片.png", "image/png", "png"),
        (samples.ofd_bytes, "电子证照.ofd", "application/ofd", "ofd"),
        (samples.docx_bytes, "申请书.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "docx"),
        (samples.xlsx_bytes, "从业人员名单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "xlsx"),
    ],
)
def test_each_allowed_type_is_stored_under_a_random_name_with_its_detected_extension(
    applicant_enterprise, media_root, build, name, content_type, extension
):
    content = build()

    stored = store_upload(upload(content, name), actor=applicant_enterprise, purpose="material")

    stored.refresh_from_db()
    assert STORED_NAME.fullmatch(stored.file.name)
    assert stored.file.name.endswith(f"/{stored.id.hex}.{extension}")
    assert (media_root / stored.file.name).read_bytes() == content
    assert stored.original_name == name
    assert stored.content_type == content_type
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.uploaded_by == applicant_enterprise
    assert stored.uploaded_via == UploadChannel.WEB
    assert stored.purpose == "material"


def test_stored_name_never_contains_the_clients_name(applicant_enterprise):
    stored = store_upload(upload(samples.pdf_bytes(), "report-2026.pdf"), actor=applicant_enterprise,
                          purpose="material")

    assert "report" not in stored.file.name
    assert "2026.pdf" not in stored.file.name


def test_a_pdf_named_png_is_stored_and_offered_as_a_pdf(applicant_enterprise):
    stored = store_upload(upload(samples.pdf_bytes(), "扫描件.png"), actor=applicant_enterprise, purpose="material")

    assert stored.file_type == FileType.PDF
    assert stored.content_type == "application/pdf"
    assert stored.file.name.endswith(".pdf")
    assert stored.original_name == "扫描件.png"
    assert stored.download_name == "扫描件.pdf"


def test_renamed_executable_is_refused_and_nothing_is_written(applicant_enterprise, media_root):
    with pytest.raises(ValidationError) as caught:
        store_upload(upload(samples.EXECUTABLE, "营业执照.pdf"), actor=applicant_enterprise, purpose="material")

    assert caught.value.messages == ["仅支持 PDF、JPG、PNG、OFD、DOCX、XLSX 格式的文件"]
    assert StoredFile.objects.count() == 0
    assert stored_paths(media_root) == []


def test_size_is_measured_from_the_bytes_not_taken_from_the_caller(applicant_enterprise, settings, media_root):
    settings.UPLOAD_MAX_BYTES = 2048
    lying = upload(samples.pdf_of_size(4096))
    lying.size = 1000

    with pytest.raises(ValidationError) as caught:
        store_upload(lying, actor=applicant_enterprise, purpose="material")

    assert caught.value.messages == ["文件大小不能超过 2 KB"]
    assert stored_paths(media_root) == []


def test_no_orphan_file_when_the_database_write_fails(applicant_enterprise, media_root, monkeypatch):
    def failing_audit(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "record_event", failing_audit)

    with pytest.raises(DatabaseError):
        store_upload(upload(samples.pdf_bytes()), actor=applicant_enterprise, purpose="material")

    assert StoredFile.objects.count() == 0
    assert stored_paths(media_root) == []


def test_no_orphan_file_when_the_row_cannot_be_inserted(applicant_enterprise, media_root, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(StoredFile, "save", failing_save)

    with pytest.raises(DatabaseError):
        store_upload(upload(samples.png_bytes(), "照片.png"), actor=applicant_enterprise, purpose="material")

    assert stored_paths(media_root) == []


def test_storing_is_audited_without_personal_data(applicant_citizen):
    stored = store_upload(upload(samples.jpeg_bytes(), "张三身份证.jpg"), actor=applicant_citizen,
                          purpose="material")

    [entry] = entries_for(stored)
    assert entry.event_type == "uploads.stored"
    assert entry.actor_id == applicant_citizen.pk
    assert entry.data == {
        "content_type": "image/jpeg",
        "size": stored.size,
        "sha256": stored.sha256,
        "purpose": "material",
        "channel": "web",
    }
    assert "张三" not in entry.target_repr
    assert "身份证" not in str(entry.data)


def test_window_uploads_are_for_window_clerks(clerk_district_a, applicant_enterprise, media_root):
    stored = store_upload(upload(samples.pdf_bytes()), actor=clerk_district_a, purpose="material",
                          channel=UploadChannel.WINDOW)

    assert stored.uploaded_via == UploadChannel.WINDOW
    with pytest.raises(PermissionDenied):
        store_upload(upload(samples.pdf_bytes()), actor=applicant_enterprise, purpose="material",
                     channel=UploadChannel.WINDOW)
    assert StoredFile.objects.count() == 1


def test_anonymous_visitors_cannot_upload_but_the_system_can(media_root):
    with pytest.raises(PermissionDenied):
        store_upload(upload(samples.pdf_bytes()), actor=AnonymousUser(), purpose="material")

    stored = store_upload(upload(samples.pdf_bytes()), actor=None, purpose="licence.copy")

    assert stored.uploaded_by is None
    assert stored_paths(media_root) == [stored.file.name]


def test_allowed_types_narrow_what_a_slot_takes(applicant_enterprise):
    with pytest.raises(ValidationError) as caught:
        store_upload(upload(samples.docx_bytes(), "照片.docx"), actor=applicant_enterprise, purpose="photo",
                     allowed=(FileType.JPEG, FileType.PNG))

    assert caught.value.messages == ["仅支持 JPG、PNG 格式的文件"]


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\System32\\boot.pdf", "boot.pdf"),
        ("C:\\Users\\张三\\Desktop\\营业执照.pdf", "营业执照.pdf"),
        ("/var/www/html/shell.php.pdf", "shell.php.pdf"),
        ("..", "未命名文件"),
        ("", "未命名文件"),
        ("合同\u202efdp.exe", "合同fdp.exe"),  # a right-to-left override would show "合同exe.pdf"
        ("a\x00b\r\nc.pdf", "abc.pdf"),
        ('评审"意见"<1>.pdf', "评审_意见__1_.pdf"),
        ("  .hidden.pdf  ", "hidden.pdf"),
        ("CON.pdf", "_CON.pdf"),
    ],
)
def test_original_names_are_neutralised(client_name, kept):
    assert sanitise_original_name(client_name) == kept


def test_long_original_names_are_shortened_keeping_the_extension():
    name = sanitise_original_name("很长的材料名称" * 40 + ".docx")

    assert name == ("很长的材料名称" * 40)[:195] + ".docx"
    assert len(name) == 200


def test_traversal_in_the_clients_name_cannot_move_the_stored_file(applicant_enterprise, media_root):
    stored = store_upload(upload(samples.pdf_bytes(), "../../../../tmp/evil.pdf"), actor=applicant_enterprise,
                          purpose="material")

    assert stored.original_name == "evil.pdf"
    assert stored_paths(media_root) == [stored.file.name]
    assert STORED_NAME.fullmatch(stored.file.name)


# --- Orphans ----------------------------------------------------------------------------------


def test_sweep_removes_old_files_no_row_names(applicant_enterprise, media_root):
    kept = store_upload(upload(samples.pdf_bytes()), actor=applicant_enterprise, purpose="material")
    folder = media_root / "uploads" / "2026" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    old_orphan = folder / ("a" * 32 + ".pdf")
    fresh_orphan = folder / ("b" * 32 + ".pdf")
    old_orphan.write_bytes(samples.pdf_bytes())
    fresh_orphan.write_bytes(samples.pdf_bytes())
    two_days_ago = time.time() - timedelta(days=2).total_seconds()
    os.utime(old_orphan, (two_days_ago, two_days_ago))
    os.utime(media_root / kept.file.name, (two_days_ago, two_days_ago))

    removed = remove_orphaned_files()

    assert removed == 1
    assert stored_paths(media_root) == sorted([kept.file.name, "uploads/2026/01/" + "b" * 32 + ".pdf"])


def test_sweep_with_nothing_stored_removes_nothing(db):
    assert remove_orphaned_files() == 0
