"""Public pages of the lifecycle: progress lookup without sign-in, and licence verification."""

from django import forms
from django.core import signing
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from approvals import services
from approvals.choices import LicenceStatus
from approvals.documents import remedies
from approvals.models import Application, Decision, Licence, LicenceVerification
from portal.audit.masking import mask_name
from portal.documents.models import Document
from portal.organisation.choices import SubjectType

LOOKUP_ATTEMPTS_PER_WINDOW = 20
LOOKUP_WINDOW_SECONDS = 600


class ProgressLookupForm(forms.Form):
    receipt_number = forms.CharField(label=_("办件编号"), max_length=32)
    identity_code = forms.CharField(label=_("申请人证件号码"), max_length=18,
                                    help_text=_("身份证号码或统一社会信用代码"))


def progress_lookup(request):
    """Receipt number plus the applicant's ID: the pair is the key, no account needed. Posted,
    so the ID never lands in a URL or an access log; attempts are throttled per address."""
    form = ProgressLookupForm(request.POST or None)
    application = None
    if request.method == "POST" and form.is_valid():
        throttle_key = f"progress-lookup:{request.META.get('REMOTE_ADDR', '')}"
        attempts = cache.get_or_set(throttle_key, 0, LOOKUP_WINDOW_SECONDS)
        if attempts >= LOOKUP_ATTEMPTS_PER_WINDOW:
            form.add_error(None, _("查询过于频繁，请十分钟后再试。"))
        else:
            cache.incr(throttle_key)
            application = (
                Application.objects.select_related("item_version", "department")
                .prefetch_related("steps", "pauses")
                .filter(receipt_number=form.cleaned_data["receipt_number"].strip().upper(),
                        identity_code=form.cleaned_data["identity_code"].strip().upper())
                .first()
            )
            if application is None:
                form.add_error(None, _("没有找到与该办件编号和证件号码相符的办件，请核对后重试。"))
    context = {"form": form, "application": application}
    if application is not None:
        context["documents"] = [
            {"label": document.get_kind_display(), "number": document.number,
             "token": DOCUMENT_SIGNER.sign_object({"document": document.pk, "application": application.pk})}
            for document in Document.objects.filter(target_type="approvals.application",
                                                    target_id=str(application.pk)).order_by("created_at")
        ]
    if application is not None and application.accepted_on:
        context["clock"] = services.clock_of(application)
    if application is not None:
        context["decision"] = Decision.objects.filter(application=application).first()
        context["remedies"] = remedies()
    return render(request, "approvals/progress.html", context, status=200)


# A download link from the progress page is good for an hour; it names one document of one case.
DOCUMENT_SIGNER = signing.TimestampSigner(salt="approvals.progress.document")
DOCUMENT_LINK_SECONDS = 3600


def progress_document(request, token: str):
    """Download a document found through the progress lookup (receipt number + ID proved it)."""
    from portal.documents.views import document_response

    try:
        claims = DOCUMENT_SIGNER.unsign_object(token, max_age=DOCUMENT_LINK_SECONDS)
    except signing.BadSignature as error:
        raise Http404("下载链接无效或已过期，请重新查询。") from error
    document = get_object_or_404(Document, pk=claims["document"], target_type="approvals.application",
                                 target_id=str(claims["application"]))
    return document_response(document)


def publicity(request):
    """Art. 40: approvals are published; the public may consult them (personal data masked)."""
    from django.core.paginator import Paginator

    from approvals.choices import DecisionOutcome

    decisions = (Decision.objects.filter(outcome=DecisionOutcome.APPROVE)
                 .select_related("application__item_version", "application__department")
                 .order_by("-decided_at"))
    page = Paginator(decisions, 30).get_page(request.GET.get("page"))
    rows = [{
        "number": decision.document_number,
        "item": decision.application.item_version.name,
        "holder": (mask_name(decision.application.applicant_name)
                   if decision.application.subject_type == SubjectType.CITIZEN
                   else decision.application.applicant_name),
        "organ": decision.application.department.name,
        "decided_on": decision.decided_at,
    } for decision in page.object_list]
    return render(request, "approvals/publicity.html", {"page": page, "rows": rows})


class LicenceLookupForm(forms.Form):
    number = forms.CharField(label=_("证照编号"), max_length=64)


def verify_licence_by_number(request):
    form = LicenceLookupForm(request.GET or None)
    licence = None
    if form.is_bound and form.is_valid():
        licence = Licence.objects.filter(number=form.cleaned_data["number"].strip()).first()
        if licence is None:
            form.add_error("number", _("证照库中没有该编号的证照。"))
        else:
            _log_verification(request, licence, "number")
    return render(request, "approvals/licence_verify.html", {"form": form, "licence": _public_view(licence)})


def verify_licence_by_token(request, token: str):
    """The QR code's address: an unguessable token, so licences cannot be enumerated."""
    licence = get_object_or_404(Licence, verification_token=token)
    _log_verification(request, licence, "qr")
    return render(request, "approvals/licence_verify.html",
                  {"form": LicenceLookupForm(), "licence": _public_view(licence)})


def _log_verification(request, licence: Licence, method: str) -> None:
    LicenceVerification.objects.create(licence=licence, method=method,
                                       remote_address=request.META.get("REMOTE_ADDR") or None,
                                       status_shown=licence.status)


def _public_view(licence: Licence | None) -> dict | None:
    """What the public may see: a citizen holder's name is masked, codes are not shown."""
    if licence is None:
        return None
    citizen = licence.application is not None and licence.application.subject_type == SubjectType.CITIZEN
    return {
        "number": licence.number,
        "name": licence.licence_name,
        "holder": mask_name(licence.holder_name) if citizen else licence.holder_name,
        "scope": licence.scope,
        "organ": licence.department.name,
        "issued_on": licence.issued_on,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "status": licence.get_status_display(),
        "is_valid": licence.status == LicenceStatus.VALID,
    }
