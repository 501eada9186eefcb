"""Handing a stored document to a browser. Permission checks belong to the calling view."""

from django.http import FileResponse

from portal.documents.models import Document


def document_response(document: Document) -> FileResponse:
    """The stored PDF as a download named after its kind and number.

    Call it only after the view has checked that the user may see what the document is about
    (documents are never served from MEDIA_URL).
    """
    name = f"{document.get_kind_display()}{document.number or document.pk}.pdf".replace("/", "-").replace(" ", "")
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
