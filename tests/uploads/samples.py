"""Small real files of each kind, built byte by byte, and hostile ones."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{part}"/></Relationships>'
)


def pdf_bytes(*extra_objects: bytes, catalog_extra: bytes = b"", trailer_extra: bytes = b"") -> bytes:
    """A valid one-page PDF with a correct cross-reference table; extra objects are numbered from 4."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_offset = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n" % xref_offset + b"%%EOF\n"
    return bytes(out)


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly ``size`` bytes (a string object pads it; %%EOF stays at the end)."""
    padding = 0
    for _ in range(5):
        pdf = pdf_bytes(b"(" + b"x" * padding + b")")
        if len(pdf) == size:
            return pdf
        padding += size - len(pdf)
    raise AssertionError(f"could not build a PDF of {size} bytes")


def pdf_with_object_stream(content: bytes, dictionary_extra: bytes = b"/Filter /FlateDecode") -> bytes:
    """A PDF whose object 4 is an object stream holding ``content`` (compressed unless told)."""
    data = zlib.compress(content) if b"FlateDecode" in dictionary_extra else content
    stream = (
        b"<< /Type /ObjStm /N 1 /First 4 " + dictionary_extra + b" /Length %d >>\nstream\n" % len(data)
        + data + b"\nendstream"
    )
    return pdf_bytes(stream, catalog_extra=b"/OpenAction 5 0 R ")


def png_bytes() -> bytes:
    """A 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A JFIF header and the end-of-image marker."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes(main_content_type: str = WORD_MAIN, **extra_members: bytes) -> bytes:
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES_XML.format(part="word/document.xml", content_type=main_content_type),
        "_rels/.rels": ROOT_RELS.format(part="word/document.xml"),
        "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>营业执照复印件</w:t></w:r></w:p></w:body></w:document>",
        **extra_members,
    })


def xlsx_bytes() -> bytes:
    return zip_bytes({
        "[Content_Types].xml": CONTENT_TYPES_XML.format(part="xl/workbook.xml", content_type=EXCEL_MAIN),
        "_rels/.rels": ROOT_RELS.format(part="xl/workbook.xml"),
        "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="从业人员" sheetId="1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData/></worksheet>",
    })


def ofd_bytes() -> bytes:
    return zip_bytes({
        "OFD.xml": '<?xml version="1.0" encoding="UTF-8"?>'
        '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0C1D4F7159954EEEDE517F7285E84DC4</ofd:DocID></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": '<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>',
        "Doc_0/Pages/Page_0/Content.xml": '<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"/>',
    })


def zip_bomb_bytes(expanded_bytes: int) -> bytes:
    """A docx whose one extra member is ``expanded_bytes`` of zeros: about a thousandth of that on disk."""
    buffer = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/image1.png", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(expanded_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/')</script></body></html>"


def upload(content: bytes, name: str = "材料.pdf") -> SimpleUploadedFile:
    """What a browser sends; the declared content type is deliberately meaningless."""
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def stored_paths(media_root) -> list[str]:
    return sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file())
