"""The supervision notice (督办通知书) as a sealed PDF, produced off the request path.

``issue_notice`` enqueues a ``supervision.document`` outbox message in the transaction that
issues the notice; the outbox delivers it at least once to ``produce_for_outbox``, which renders
``templates/documents/supervision_notice.html`` and seals it with the issuing organ's seal (the
supervision office, 电子监察室) through ``portal.documents`` — idempotent on the message key.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from approvals.clock import BEIJING
from approvals.documents import public_url
from portal.documents.choices import DocumentKind
from portal.documents.models import Document
from supervision.models import SupervisionNotice

KIND = DocumentKind.SUPERVISION_NOTICE.value


def document_key(notice: SupervisionNotice) -> str:
    return f"document:{KIND}:{notice.pk}"


def build_context(notice: SupervisionNotice) -> dict[str, Any]:
    """What the template lists at its top, from the notice's records."""
    from supervision.notice_services import item_facts

    issued_on = notice.issued_at.astimezone(BEIJING).date()
    items = (notice.items.select_related("warning__application__item_version", "warning__sub_case")
             .order_by("pk"))
    return {
        "organ_name": notice.organ.name,
        "number": notice.number,
        "date": issued_on,
        "department_name": notice.department.name,
        "cases": [item_facts(item, on=issued_on) for item in items],
        "answer_within_days": notice.answer_within_days,
        "answer_due": notice.answer_due,
        "answer_url": public_url(reverse("supervision:notice", args=[notice.pk])),
        "seal_purpose": "电子监察专用章",
    }


def produce_for_outbox(payload: dict[str, Any], key: str) -> None:
    """Outbox handler: render and seal the notice (quietly nothing if it is gone or a draft)."""
    from portal.documents.services import produce_document

    notice = (SupervisionNotice.objects.select_related("department", "organ__region")
              .filter(pk=payload["notice"], status="issued").first())
    if notice is None:
        return
    produce_document(KIND, context=build_context(notice), organ=notice.organ, target=notice, key=key)


def notice_document(notice: SupervisionNotice) -> Document | None:
    """The sealed PDF of an issued notice, once the worker has produced it."""
    return Document.objects.filter(idempotency_key=document_key(notice), kind=KIND).first()
