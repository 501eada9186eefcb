"""Handing a stored file back: always as a download, never as something the browser renders."""

import logging
from urllib.parse import quote

from django.http import FileResponse, Http404

from portal.uploads.models import StoredFile

logger = logging.getLogger(__name__)

# Even if a browser were persuaded to render the response, it gets no scripts, no fetches, no
# plugins and a unique origin.
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"


def attachment_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the real one as RFC 5987 ``filename*``.

    Browsers since 2012 read ``filename*``; the ASCII form, with everything else replaced by "_",
    is for the rest (RFC 6266 §4.3).
    """
    fallback = "".join(
        character if " " <= character <= "~" and character not in '"\\%;' else "_" for character in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def serve_stored_file(stored_file: StoredFile) -> FileResponse:
    """The file as an attachment with its detected type. Callers check permission first."""
    try:
        handle = stored_file.file.storage.open(stored_file.file.name, "rb")
    except FileNotFoundError as error:
        logger.error("stored file %s is missing from storage (%s)", stored_file.pk, stored_file.file.name)
        raise Http404("文件不存在或已被删除。") from error
    response = FileResponse(handle, content_type=stored_file.content_type)
    response["Content-Disposition"] = attachment_disposition(stored_file.download_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Applicants' materials carry personal data: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
