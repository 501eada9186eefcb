"""Producing documents: render, seal, store and record — once per idempotency key."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction

from portal.audit.services import record_event
from portal.documents.choices import DocumentKind
from portal.documents.models import Document
from portal.documents.rendering import render_pdf
from portal.documents.signing import get_signer
from portal.organisation.models import Department

logger = logging.getLogger(__name__)

EVENT_PRODUCED = "documents.produced"


class IdempotencyKeyReused(ValueError):
    """The key already names a document of another kind: two callers derive keys the same way."""


def _target_reference(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if target.pk is None:
        raise ValueError("save the target before producing a document about it")
    return target._meta.label_lower, str(target.pk)


def _existing(key: str, kind: str) -> Document | None:
    document = Document.objects.select_related("organ").filter(idempotency_key=key).first()
    if document is not None and document.kind != kind:
        raise IdempotencyKeyReused(f"key {key!r} already names a {document.kind}, not a {kind}")
    return document


def produce_document(
    kind: str,
    *,
    context: dict,
    organ: Department | None,
    target: models.Model | None,
    key: str,
    sign: bool = True,
    actor=None,
) -> Document:
    """Render ``templates/documents/<kind>.html`` with ``context``, seal it and store it.

    Idempotent on ``key``: when a document with this key exists it is returned unchanged and
    nothing is rendered, so a retried task (at-least-once delivery) issues no second document.
    The PDF carries the organ's PAdES signature when ``sign`` is true and an organ is given.
    The organ's name replaces any ``organ_name`` in the context, so the printed name, the seal
    and the certificate always agree.

    Rendering and signing (a fraction of a second) happen outside any transaction of ours; the
    row and its audit event ("documents.produced") are written together. When two workers race
    on one key, the unique constraint lets one row win and the loser deletes its file and
    returns the winner's document. A caller's enclosing transaction that rolls back leaves an
    unreferenced file behind (storage is not transactional): harmless, and findable by name.
    """
    kind = DocumentKind(kind).value
    existing = _existing(key, kind)
    if existing is not None:
        return existing
    target_type, target_id = _target_reference(target)

    context = dict(context)
    if organ is not None:
        context["organ_name"] = organ.name
    pdf = render_pdf(kind, context)
    signed = bool(sign and organ is not None)
    if signed:
        pdf = get_signer().sign(
            pdf,
            organ_code=organ.code,
            organ_name=organ.name,
            reason=f"{DocumentKind(kind).label}电子签章",
            location=organ.region.name if organ.region_id else "江州市",
        )

    document = Document(
        kind=kind,
        target_type=target_type,
        target_id=target_id,
        organ=organ,
        number=str(context.get("number") or "")[:64],
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        signed=signed,
        idempotency_key=key,
    )
    document.file.save("document.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            document.save()
            record_event(
                EVENT_PRODUCED,
                actor=actor,
                target=document,
                data={
                    "kind": kind,
                    "number": document.number,
                    "about": f"{target_type}:{target_id}" if target_type else "",
                    "organ": organ.code if organ is not None else "",
                    "sha256": document.sha256,
                    "size": document.size,
                    "signed": signed,
                    "key": key,
                },
            )
    except IntegrityError:
        document.file.delete(save=False)
        winner = _existing(key, kind)
        if winner is None:  # not a duplicate key after all
            raise
        logger.info("document %s was produced concurrently; using the other worker's", key)
        return winner
    except BaseException:
        document.file.delete(save=False)
        raise
    return document
