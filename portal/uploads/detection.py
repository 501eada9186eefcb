"""What a file is, decided by its bytes alone: the client's name and declared type are never asked.

PDF, JPEG and PNG are recognised by their signatures. OFD, DOCX and XLSX are all ZIP archives, so
the archive is opened (its central directory only; nothing is extracted) and told apart by its
members: ``OFD.xml`` at the root (GB/T 33190 §7.4), or ``[Content_Types].xml`` naming a Word or
Excel main part (ECMA-376 Part 2). On the way, the checks refuse what a reviewer's desktop should
never open: archives that would expand to far more than they weigh or hold thousands of members,
Office files with macros or ActiveX, and PDFs carrying scripts, launch actions, embedded files or
encryption that hides their objects from this inspection.

``detect_file_type`` answers None for a file that is none of the known types and raises
``ValidationError`` for one that is, but is unsafe; ``services.check_upload`` turns None into the
"仅支持 …" message.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.uploads.choices import FileType

HEAD_BYTES = 16
PDF_SIGNATURE = b"%PDF-"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
ZIP_SIGNATURE = b"PK\x03\x04"

# A reader looks for the end marker in the last kilobyte (the PDF 1.7 implementation notes); a
# file without one was cut short on its way here.
PDF_TAIL_BYTES = 1024

# Zip bombs: limits on what the archive declares. Python's zipfile (and every careful reader)
# stops at the declared size and fails the CRC past it, so declared sizes bound real expansion.
# A 20 MB spreadsheet expands to 100–200 MB of XML; a 300-page OFD has about a thousand members.
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
# The small XML parts that identify the type are read, within this limit each.
ZIP_MAX_MANIFEST_BYTES = 1024 * 1024

WORD_MAIN_PART = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN_PART = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
OFD_ROOT_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?OFD[\s>/]")

# Names in a PDF that make it act rather than display: scripts (a JavaScript action always names
# /S /JavaScript), launching programs, carried files, Flash/3D media and XFA forms (which script).
PDF_ACTIVE_NAMES = frozenset({b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"XFA"})
# A name token: "/" and the regular characters after it (PDF 32000-1 §7.2.2 delimiters excluded).
PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# An indirect object's dictionary followed by its stream: where object streams (which hold further
# dictionaries, compressed, out of reach of a byte scan) start. The lazy match stops at the ">>"
# that the keyword "stream" follows, so nested dictionaries inside do not end it early.
PDF_STREAM_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\s*<<(.{0,4096}?)>>\s*stream(?:\r\n|\n|\r)", re.DOTALL)
PDF_MAX_INFLATED_BYTES = 64 * 1024 * 1024

ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
              NotImplementedError, RuntimeError)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def detect_file_type(file: IO[bytes]) -> FileType | None:
    """The accepted type these bytes are, or None; raises ValidationError when it is one but unsafe.

    Reads from the start and leaves the file positioned at the start again.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    try:
        if head.startswith(PDF_SIGNATURE):
            return _inspect_pdf(file)
        if head.startswith(PNG_SIGNATURE):
            # The first chunk of every PNG is IHDR (ISO/IEC 15948 §5.6).
            return FileType.PNG if head[12:16] == b"IHDR" else None
        if head.startswith(JPEG_SIGNATURE):
            return FileType.JPEG
        if head.startswith(ZIP_SIGNATURE):
            return _inspect_zip(file)
        return None
    finally:
        file.seek(0)


# --- ZIP-based types ---------------------------------------------------------------------------


def _inspect_zip(file: IO[bytes]) -> FileType | None:
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            _check_archive_shape(members)
            names = {member.filename: member for member in members}
            if "OFD.xml" in names:
                return FileType.OFD if _ofd_root_is_valid(archive, names["OFD.xml"]) else None
            if "[Content_Types].xml" in names:
                return _office_type(archive, names)
            return None
    except ZIP_ERRORS:
        return None  # not a readable archive: not one of ours


def _check_archive_shape(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise _refuse(_("压缩包内的文件数量过多，无法接收。"), "zip_too_many_members")
    if sum(member.file_size for member in members) > ZIP_MAX_UNCOMPRESSED_BYTES:
        raise _refuse(_("文件解压后体积过大，无法接收。"), "zip_too_large")
    names = [member.filename for member in members]
    if len(set(names)) != len(names):
        # Two members under one name: different readers would open different ones.
        raise _refuse(_("文件结构异常（存在重名部件），无法接收。"), "zip_duplicate_member")
    for member in members:
        name = member.filename
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or ".." in parts or ":" in parts[0]:
            raise _refuse(_("文件结构异常（部件路径不安全），无法接收。"), "zip_unsafe_member")
        if member.flag_bits & 0x1:
            raise _refuse(_("不支持加密的文件，请去除密码保护后重新上传。"), "encrypted")


def _read_manifest(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes | None:
    if member.file_size > ZIP_MAX_MANIFEST_BYTES:
        return None
    with archive.open(member) as handle:
        return handle.read(ZIP_MAX_MANIFEST_BYTES + 1)


def _ofd_root_is_valid(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    content = _read_manifest(archive, entry)
    return bool(content) and OFD_ROOT_ELEMENT.search(content[:4096]) is not None


def _office_type(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> FileType | None:
    lowered = [name.lower() for name in names]
    # Macros (vbaProject.bin) and ActiveX controls run code when the document is opened.
    if any(name.endswith("vbaproject.bin") or "/activex/" in name for name in lowered):
        raise _refuse(_("不支持含有宏或 ActiveX 控件的 Office 文件，请另存为普通文档后上传。"), "office_macros")
    content_types = _read_manifest(archive, names["[Content_Types].xml"])
    if not content_types:
        return None
    if WORD_MAIN_PART in content_types and any(name.startswith("word/") for name in names):
        return FileType.DOCX
    if EXCEL_MAIN_PART in content_types and any(name.startswith("xl/") for name in names):
        return FileType.XLSX
    return None  # macro-enabled (docm, xlsm), templates, PowerPoint and the like


# --- PDF ---------------------------------------------------------------------------------------


def _inspect_pdf(file: IO[bytes]) -> FileType:
    """A PDF that ends properly and has no active content, else ValidationError.

    The bytes are scanned for the names of active content, including names spelt with ``#xx``
    escapes, and so are the decompressed object streams where a PDF 1.5+ file may hide them.
    Encrypted PDFs are refused: their object streams cannot be read without the key.
    """
    data = file.read()
    if b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
        raise _refuse(_("PDF 文件不完整或已损坏，请重新生成后上传。"), "pdf_truncated")
    names = _pdf_names(data)
    if b"Encrypt" in names:
        raise _refuse(_("不支持加密的文件，请去除密码保护后重新上传。"), "encrypted")
    _refuse_active_names(names)
    budget = PDF_MAX_INFLATED_BYTES
    for match in PDF_STREAM_OBJECT.finditer(data):
        dictionary_names = _pdf_names(match.group(1))
        if b"ObjStm" not in dictionary_names:
            continue
        filters = dictionary_names & _PDF_FILTERS
        if filters - {b"FlateDecode"} or b"Predictor" in dictionary_names:
            raise _refuse(_("PDF 文件使用了无法检查的压缩方式，请重新导出或扫描后上传。"), "pdf_uninspectable")
        start = match.end()
        end = data.find(b"endstream", start)
        if end < 0:
            raise _refuse(_("PDF 文件不完整或已损坏，请重新生成后上传。"), "pdf_truncated")
        raw = data[start:end]
        if filters:
            inflater = zlib.decompressobj()
            try:
                content = inflater.decompress(raw, budget + 1)
            except zlib.error as error:
                raise _refuse(_("PDF 文件不完整或已损坏，请重新生成后上传。"), "pdf_truncated") from error
        else:
            content = raw
        budget -= len(content)
        if budget < 0:
            raise _refuse(_("PDF 文件使用了无法检查的压缩方式，请重新导出或扫描后上传。"), "pdf_uninspectable")
        _refuse_active_names(_pdf_names(content))
    return FileType.PDF


_PDF_FILTERS = frozenset({
    b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"FlateDecode", b"RunLengthDecode",
    b"CCITTFaxDecode", b"JBIG2Decode", b"DCTDecode", b"JPXDecode", b"Crypt", b"AHx", b"A85", b"LZW",
    b"Fl", b"RL", b"CCF", b"DCT",
})


def _pdf_names(data: bytes) -> set[bytes]:
    """Every name token in ``data``, with ``#xx`` escapes decoded (so /J#61vaScript is JavaScript)."""
    names = set()
    for match in PDF_NAME.finditer(data):
        name = match.group(1)
        if b"#" in name:
            name = PDF_NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), name)
        names.add(name)
    return names


def _refuse_active_names(names: set[bytes]) -> None:
    if names & PDF_ACTIVE_NAMES:
        raise _refuse(
            _("PDF 文件含有脚本、附件或启动程序等动态内容，请重新导出或扫描后上传。"), "pdf_active_content"
        )
