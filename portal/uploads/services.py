"""Receiving files: the checks every screen and endpoint shares, storing, and sweeping orphans.

``check_upload`` is the whole acceptance test (size, emptiness, type by content, safety); the
form field and the serializer field call it, and ``store_upload`` calls it again so that no
caller can skip it. A stored file is named by a fresh UUID and the type its bytes proved, under
MEDIA_ROOT, which nothing serves directly.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import record_event
from portal.organisation.choices import Role
from portal.uploads.choices import DEFAULT_ALLOWED, FileType, UploadChannel
from portal.uploads.detection import detect_file_type
from portal.uploads.models import StoredFile

logger = logging.getLogger(__name__)

ORIGINAL_NAME_MAX_LENGTH = 200
UNNAMED = "未命名文件"
PURPOSE_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,49}")
# Characters Windows refuses in file names: a download named with them would not save.
WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
WINDOWS_RESERVED_STEMS = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in range(1, 10)} | {f"LPT{n}" for n in range(1, 10)}
)
STORAGE_ROOT = "uploads"
ORPHAN_MIN_AGE = timedelta(hours=24)
MEBIBYTE = 1024 * 1024


# --- Checking ---------------------------------------------------------------------------------


def _size_text(size: int) -> str:
    """20971520 -> "20 MB", 1536 -> "1.5 KB": how the limit is said to applicants."""
    unit, divisor = ("MB", MEBIBYTE) if size >= MEBIBYTE else ("KB", 1024)
    number = f"{size / divisor:.1f}".rstrip("0").rstrip(".")
    return f"{number} {unit}"


def unsupported_type_message(allowed: tuple[FileType, ...] = DEFAULT_ALLOWED) -> str:
    return _("仅支持 %(types)s 格式的文件") % {"types": "、".join(file_type.label for file_type in allowed)}


def too_large_message() -> str:
    return _("文件大小不能超过 %(limit)s") % {"limit": _size_text(settings.UPLOAD_MAX_BYTES)}


def empty_file_message() -> str:
    return _("文件内容为空，请重新选择文件")


def check_upload(uploaded_file, *, allowed: tuple[FileType, ...] = DEFAULT_ALLOWED) -> FileType:
    """The type ``uploaded_file``'s bytes prove it to be, or ValidationError in Chinese.

    Refuses empty files, files over ``UPLOAD_MAX_BYTES``, files that are none of ``allowed``
    (whatever their name says) and files of an allowed type that are unsafe to open.
    """
    uploaded_file = _as_django_file(uploaded_file)
    size = uploaded_file.size
    if size == 0:
        raise ValidationError(empty_file_message(), code="empty")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(too_large_message(), code="too_large")
    file_type = detect_file_type(uploaded_file)
    if file_type is None or file_type not in allowed:
        raise ValidationError(unsupported_type_message(tuple(allowed)), code="unsupported_type")
    return file_type


def sanitise_original_name(name: str) -> str:
    """The client's file name made safe to show and to offer as a download name.

    Keeps only the last path component (of either separator, so "..\\..\\boot.ini" is
    "boot.ini"), drops control and format characters (U+202E would show "gpj.exe" as "exe.jpg"),
    replaces characters Windows refuses, and keeps the extension when shortening.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(character for character in name if unicodedata.category(character)[0] != "C")
    name = WINDOWS_FORBIDDEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if name.split(".", 1)[0].upper() in WINDOWS_RESERVED_STEMS:
        name = f"_{name}"
    if len(name) > ORIGINAL_NAME_MAX_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and len(suffix) <= 10:
            name = f"{stem[: ORIGINAL_NAME_MAX_LENGTH - len(suffix) - 1].rstrip(' .')}.{suffix}"
        else:
            name = name[:ORIGINAL_NAME_MAX_LENGTH].rstrip(" .")
    return name or UNNAMED


# --- Storing ----------------------------------------------------------------------------------


def _ensure_may_upload(actor, channel: str) -> None:
    if channel not in UploadChannel.values:
        raise ValueError(f"unknown upload channel {channel!r}")
    if actor is None:
        return  # the system itself: imports, generated documents
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请登录后再上传文件。"))
    if channel == UploadChannel.WINDOW and not actor.has_role(Role.WINDOW_CLERK):
        raise PermissionDenied(_("只有窗口人员可以在窗口扫描上传材料。"))


def _as_django_file(uploaded_file) -> File:
    return uploaded_file if isinstance(uploaded_file, File) else File(uploaded_file)


def _digest(uploaded_file: File) -> tuple[int, str]:
    """Size and SHA-256 of the bytes themselves (a caller's ``size`` attribute is not proof)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        size += len(chunk)
    uploaded_file.seek(0)
    return size, digest.hexdigest()


def store_upload(
    uploaded_file,
    *,
    actor,
    purpose: str,
    channel: str = UploadChannel.WEB,
    allowed: tuple[FileType, ...] = DEFAULT_ALLOWED,
) -> StoredFile:
    """Check ``uploaded_file``, write it under a random name and record it; return the row.

    The bytes are written first, then the row and the audit entry in one transaction; if any of
    that fails the written file is deleted, so a failure leaves neither row nor file. (When the
    caller's own transaction rolls back later, ``remove_orphaned_files`` collects the file.)
    """
    _ensure_may_upload(actor, channel)
    if not PURPOSE_PATTERN.fullmatch(purpose or ""):
        raise ValueError(f"purpose {purpose!r} is not a short lower-case code like 'material'")
    uploaded_file = _as_django_file(uploaded_file)
    file_type = check_upload(uploaded_file, allowed=allowed)
    size, sha256 = _digest(uploaded_file)
    if size == 0:
        raise ValidationError(empty_file_message(), code="empty")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(too_large_message(), code="too_large")

    stored = StoredFile(
        original_name=sanitise_original_name(getattr(uploaded_file, "name", "")),
        content_type=file_type.content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
        uploaded_via=channel,
        purpose=purpose,
    )
    file_field = StoredFile._meta.get_field("file")
    name = file_field.generate_filename(stored, "")
    stored.file.name = name
    stored.full_clean()
    storage = file_field.storage
    if storage.exists(name):
        # A fresh UUID never collides; if it did, the cleanup below must not delete another's file.
        raise RuntimeError(f"{name} already exists")
    try:
        with transaction.atomic():
            saved_name = storage.save(name, uploaded_file)
            if saved_name != name:
                # A storage that rewrites names: refuse rather than point the row elsewhere.
                storage.delete(saved_name)
                raise RuntimeError(f"storage saved {name!r} as {saved_name!r}")
            stored.save(force_insert=True)
            record_event(
                "uploads.stored",
                actor=actor,
                target=stored,
                data={
                    "content_type": stored.content_type,
                    "size": size,
                    "sha256": sha256,
                    "purpose": purpose,
                    "channel": channel,
                },
            )
    except BaseException:
        # Also removes a partly written file (FileSystemStorage leaves one when a write fails).
        try:
            storage.delete(name)
        except OSError:
            logger.exception("could not remove %s after a failed upload", name)
        raise
    return stored


# --- Sweeping ---------------------------------------------------------------------------------


def _stored_names(storage, folder: str):
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for file_name in files:
        yield f"{folder}/{file_name}"
    for sub_folder in folders:
        yield from _stored_names(storage, f"{folder}/{sub_folder}")


def remove_orphaned_files(*, actor=None, min_age: timedelta = ORPHAN_MIN_AGE, batch_size: int = 1000) -> int:
    """Delete files under uploads/ that no row names and that are older than ``min_age``.

    They are left behind when a caller's transaction rolls back after ``store_upload`` wrote the
    bytes (Django has no rollback hook). ``min_age`` keeps the sweep off files whose transaction
    is still open. Level-triggered: each run recomputes from disk and database; returns the count.
    """
    storage = StoredFile._meta.get_field("file").storage
    cutoff = timezone.now() - min_age
    removed = 0

    def sweep(batch: list[str]) -> int:
        known = set(StoredFile.objects.filter(file__in=batch).values_list("file", flat=True))
        count = 0
        for name in batch:
            if name not in known and storage.get_modified_time(name) < cutoff:
                storage.delete(name)
                count += 1
        return count

    batch: list[str] = []
    for name in _stored_names(storage, STORAGE_ROOT):
        batch.append(name)
        if len(batch) >= batch_size:
            removed += sweep(batch)
            batch = []
    if batch:
        removed += sweep(batch)
    if removed:
        logger.info("removed %d orphaned uploaded files", removed)
        record_event("uploads.orphans_removed", actor=actor, data={"count": removed})
    return removed
