"""The documents of the lifecycle, built from an application and produced off the request path.

Services enqueue ``approvals.document`` outbox messages in the same transaction as the change;
the outbox delivers each at least once to ``produce_for_outbox``, which renders and seals it
through ``portal.documents`` — idempotent on the message key, so a retry issues no second copy.
The organ that issues (and seals) is the application's department: the approval bureau for its
decisions ("one seal governs approval"), a department for what it issues itself.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from approvals.choices import DecisionOutcome, MaterialState
from approvals.models import Application
from portal.audit.masking import mask_phone
from portal.catalogue.choices import MaterialForm

DOCUMENT_MESSAGE = "approvals.document"
ACCEPTANCE_LAW = "《中华人民共和国行政许可法》第三十二条"


def enqueue_document(application: Application, kind: str) -> None:
    """Ask for ``kind`` about ``application``; call inside the transaction that made it due."""
    from portal.outbox.services import enqueue

    enqueue(DOCUMENT_MESSAGE, key=f"document:{kind}:{application.pk}",
            payload={"kind": kind, "application": application.pk})


def produce_for_outbox(payload: dict[str, Any], key: str) -> None:
    """Outbox handler: render and seal the document (returns quietly if the case is gone)."""
    from portal.documents.services import produce_document

    application = (Application.objects.select_related("item_version", "department__region", "filed_by")
                   .filter(pk=payload["application"]).first())
    if application is None:
        return
    kind = payload["kind"]
    produce_document(kind, context=build_context(application, kind), organ=application.department,
                     target=application, key=key, sign=kind != "receipt")


def public_url(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def _local(moment: datetime | None):
    from approvals.clock import BEIJING

    return moment.astimezone(BEIJING).replace(tzinfo=None) if moment else None


def _common(application: Application) -> dict[str, Any]:
    return {
        "organ_name": application.department.name,
        "applicant_name": application.applicant_name,
        "item_name": application.item_version.name,
        "receipt_number": application.receipt_number,
        "submitted_on": application.received_on,
        "contact_name": application.contact_name or application.applicant_name,
        "contact_phone": mask_phone(application.contact_phone),
    }


def remedies() -> dict[str, str]:
    """Where to apply for reconsideration and where to sue: printed on refusals, shown on pages."""
    return {"reconsideration_organ": settings.RECONSIDERATION_ORGAN, "court": settings.ADMINISTRATIVE_COURT}


def _legal_basis(application: Application) -> str:
    return (application.item_version.content.get("legal_basis") or "").splitlines()[0][:200]


def build_context(application: Application, kind: str) -> dict[str, Any]:
    """The context each template lists at its top, from the application's records."""
    builders = {
        "receipt": _receipt,
        "acceptance_notice": _acceptance_notice,
        "non_acceptance_notice": _non_acceptance_notice,
        "correction_notice": _correction_notice,
        "approval_decision": _approval_decision,
        "refusal_decision": _refusal_decision,
        "licence": _licence,
    }
    return builders[kind](application)


def _receipt(application: Application) -> dict[str, Any]:
    provided = [m for m in application.materials.all() if m.state in (MaterialState.PROVIDED, MaterialState.REUSED)]
    forms = {m["position"]: m["form"] for m in application.item_version.content["materials"]}
    copies = {m["position"]: m["copies"] for m in application.item_version.content["materials"]}
    from approvals.clock import Clock

    expected = Clock(accepted_on=application.received_on, promised_limit=application.promised_limit,
                     statutory_limit=application.statutory_limit, today=application.received_on).promised_due
    return {
        **_common(application),
        "item_code": application.item_version.implementation_code,
        "date": application.received_on,
        "applicant_code": application.identity_code,
        "applicant_contact": application.contact_name or application.applicant_name,
        "applicant_phone": mask_phone(application.contact_phone),
        "received_at": _local(application.submitted_at),
        "window": "江州市政务服务中心" if application.channel == "window" else "江州市政务服务网（网上申报）",
        "clerk_name": str(application.filed_by) if application.filed_by else "网上申报",
        "materials": [{"name": m.name, "form": str(MaterialForm(forms.get(m.position, "original")).label),
                       "copies": copies.get(m.position, 1)} for m in provided],
        "promised_limit": application.promised_limit,
        "expected_finish_date": expected,
        "progress_url": public_url(reverse("approvals:progress")),
        "hall_phone": "12345",
    }


def _number(application: Application, word: str) -> str:
    year = (application.accepted_on or application.received_on).year
    return f"江审批{word}字〔{year}〕第 {application.pk:05d} 号"


def _acceptance_notice(application: Application) -> dict[str, Any]:
    return {
        **_common(application),
        "number": _number(application, "受"),
        "date": application.accepted_on,
        "accepted_on": application.accepted_on,
        "statutory_limit": application.statutory_limit,
        "promised_limit": application.promised_limit,
        "expected_finish_date": application.promised_due,
    }


def _non_acceptance_notice(application: Application) -> dict[str, Any]:
    return {
        **_common(application), **remedies(),
        "number": _number(application, "不受"),
        "date": application.received_on,
        "reason": application.closing_reason,
        "legal_basis": ACCEPTANCE_LAW,
        "competent_organ": "",
    }


def _correction_notice(application: Application) -> dict[str, Any]:
    notice = application.notices.order_by("issued_at").first()
    return {
        **_common(application),
        "number": _number(application, "补"),
        "date": _local(notice.issued_at).date(),
        "items": [{"material": item["material"], "problem": item.get("problem", "需补正"),
                   "requirement": item["requirement"]} for item in notice.items],
        "answer_within_days": 20,
        "submit_to": "江州市政务服务中心综合受理窗口或江州市政务服务网",
    }


def _approval_decision(application: Application) -> dict[str, Any]:
    decision = application.decision
    licence = getattr(application, "licence", None)
    return {
        **_common(application),
        "number": decision.document_number,
        "date": _local(decision.decided_at).date(),
        "applicant_code": application.identity_code,
        "accepted_on": application.accepted_on,
        "legal_basis": _legal_basis(application),
        "licence_number": licence.number if licence else "（办结时核发）",
        "licence_scope": [licence.scope if licence else application.item_version.name],
        "valid_from": licence.valid_from if licence else None,
        "valid_until": licence.valid_until if licence else None,
        "delivery_days": 10,
    }


def _refusal_decision(application: Application) -> dict[str, Any]:
    decision = application.decision
    return {
        **_common(application), **remedies(),
        "number": decision.document_number,
        "date": _local(decision.decided_at).date(),
        "accepted_on": application.accepted_on,
        "reasons": [line for line in decision.reasons.splitlines() if line.strip()],
        "legal_basis": _legal_basis(application),
    }


def _licence(application: Application) -> dict[str, Any]:
    licence = application.licence
    content = application.item_version.content
    return {
        "organ_name": application.department.name,
        "date": licence.issued_on,
        "licence_name": licence.licence_name if licence.licence_name.endswith("证") else f"{licence.licence_name}证",
        "number": licence.number,
        "holder_name": licence.holder_name,
        "holder_code": licence.holder_code,
        "legal_representative": application.contact_name or "",
        "address": application.form_data.get("address", ""),
        "item_name": application.item_version.name,
        "scope": [licence.scope],
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "verification_url": public_url(reverse("approvals:licence_verify_token", args=[licence.verification_token])),
        "supervising_organ": content.get("regulator_name") or application.department.name,
        "complaint_phone": "12345",
    }


DECISION_DOCUMENT = {DecisionOutcome.APPROVE: "approval_decision", DecisionOutcome.REFUSE: "refusal_decision"}
