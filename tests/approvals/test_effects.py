"""Lifecycle events leave outbox messages that, once drained, are sealed documents and notices."""

import pytest

from approvals import services
from approvals.models import Application
from portal.documents.models import Document
from portal.notifications.models import Notification
from portal.notifications.sms import LoggingSmsBackend
from portal.outbox.models import OutboxMessage
from portal.outbox.services import drain
from tests.approvals.conftest import at, file_online
from tests.documents.conftest import trusting_nss_database  # noqa: F401 (a fixture)
from tests.documents.pdf_tools import pdfsig, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def document_folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PKI_DIR = tmp_path / "pki"
    LoggingSmsBackend.clear()


@pytest.fixture
def concluded(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="approve")
        return services.conclude_application(application, actor=clerk_district_a, served_method="electronic")


def documents_of(application: Application) -> dict[str, Document]:
    return {document.kind: document for document in Document.objects.filter(target_id=str(application.pk))}


def test_documents_are_queued_in_the_transaction_and_produced_by_the_drain(concluded):
    queued = set(OutboxMessage.objects.filter(kind="approvals.document").values_list("idempotency_key", flat=True))
    assert queued == {f"document:{kind}:{concluded.pk}" for kind in
                      ("receipt", "acceptance_notice", "approval_decision", "licence")}
    assert Document.objects.count() == 0  # nothing rendered on the request path

    drain()

    documents = documents_of(concluded)
    assert set(documents) == {"receipt", "acceptance_notice", "approval_decision", "licence"}
    assert documents["licence"].signed and documents["approval_decision"].signed
    assert not documents["receipt"].signed


def test_the_licence_pdf_carries_its_number_and_a_valid_trusted_seal(concluded, trusting_nss_database):  # noqa: F811
    drain()
    licence_pdf = documents_of(concluded)["licence"].file.read()

    text = text_of(licence_pdf)
    signature = pdfsig(licence_pdf, trusting_nss_database)

    assert concluded.licence.number in text.replace(" ", "")
    assert "Signature Validation: Signature is Valid." in signature
    assert "Certificate Validation: Certificate is Trusted." in signature


def test_draining_twice_issues_no_second_document(concluded):
    drain()
    OutboxMessage.objects.update(status="pending", available_at=OutboxMessage.objects.first().created_at)

    drain()

    assert Document.objects.filter(target_id=str(concluded.pk)).count() == 4


def test_the_applicant_is_notified_at_each_step(concluded):
    drain()

    subjects = list(Notification.objects.filter(recipient=concluded.applicant).order_by("pk")
                    .values_list("subject", flat=True))
    assert subjects == ["已收到您的申请", "您的申请已受理", "审批决定已作出", "您的办件已办结"]
    assert len(LoggingSmsBackend.sent()) == 4


def test_a_rolled_back_action_leaves_no_outbox_message(food_item, applicant_citizen, clerk_district_b):
    from django.core.exceptions import PermissionDenied

    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        before = OutboxMessage.objects.count()
        with pytest.raises(PermissionDenied):
            services.accept_application(application, actor=clerk_district_b)

    assert OutboxMessage.objects.count() == before


def test_progress_page_offers_the_sealed_documents_for_download(client, concluded):
    from django.urls import reverse

    drain()
    page = client.post(reverse("approvals:progress"), {"receipt_number": concluded.receipt_number,
                                                       "identity_code": "11010519491231002X"})
    links = [d["token"] for d in page.context["documents"]]

    response = client.get(reverse("approvals:progress_document", args=[links[-1]]))

    assert len(links) == 4
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_forged_download_token_is_404(client, concluded):
    from django.urls import reverse

    drain()

    assert client.get(reverse("approvals:progress_document", args=["forged:token"])).status_code == 404


def test_the_applicant_rates_once_after_conclusion(concluded, applicant_citizen, clerk_district_a):
    from approvals.transitions import TransitionRefused

    rating = services.rate_application(concluded, actor=applicant_citizen, level=5, comment="当场办结，很方便")

    assert (rating.level, rating.get_level_display()) == (5, "非常满意")
    with pytest.raises(TransitionRefused, match="已评价"):
        services.rate_application(concluded, actor=applicant_citizen, level=1)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rate_application(concluded, actor=clerk_district_a, level=3)


def test_approvals_are_published_with_citizen_names_masked(client, concluded):
    from django.urls import reverse

    body = client.get(reverse("approvals:publicity")).content.decode()

    assert concluded.decision.document_number in body
    assert "张*" in body and "张伟" not in body
