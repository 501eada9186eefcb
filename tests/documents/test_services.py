"""produce_document: rendered, sealed, stored and recorded once per key."""

import hashlib
from unittest import mock

import pytest
from django.core.files.storage import default_storage

from portal.audit.models import AuditEntry
from portal.documents import services
from portal.documents.models import Document
from portal.documents.samples import sample_context
from portal.documents.services import IdempotencyKeyReused, produce_document
from portal.documents.views import document_response
from tests.documents.pdf_tools import pdfsig, text_of

pytestmark = pytest.mark.django_db


def produce(kind="approval_decision", *, organ, target, key="approval_decision:item:1", **options):
    return produce_document(kind, context=sample_context(kind), organ=organ, target=target, key=key, **options)


def stored_files(settings) -> list[str]:
    folder = settings.MEDIA_ROOT / "documents"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_produced_document_is_stored_sealed_and_recorded(
    settings, bureau_city, item_city, admin_city, trusting_nss_database
):
    # when
    document = produce(organ=bureau_city, target=item_city, actor=admin_city)
    # then the row describes the file
    document.refresh_from_db()
    content = default_storage.open(document.file.name).read()
    assert document.kind == "approval_decision"
    assert (document.target_type, document.target_id) == ("catalogue.item", str(item_city.pk))
    assert document.organ == bureau_city
    assert document.number == "江审批许字〔2026〕第 00012 号"
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.signed is True
    # under an unguessable name
    assert document.file.name.startswith("documents/") and len(document.file.name) == len("documents/") + 32 + 4
    # sealed by the organ
    report = pdfsig(content, trusting_nss_database)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "准予行政许可决定书" in text_of(content)
    # and recorded in the audit trail
    entry = AuditEntry.objects.get(event_type="documents.produced")
    assert (entry.target_type, entry.target_id) == ("documents.document", str(document.pk))
    assert entry.actor_username == "admin_city"
    assert entry.data == {
        "kind": "approval_decision", "number": document.number, "about": f"catalogue.item:{item_city.pk}",
        "organ": "C-SPJ", "sha256": document.sha256, "size": document.size, "signed": True,
        "key": "approval_decision:item:1",
    }


def test_the_organ_name_printed_is_the_organs_own(bureau_a, item_a):
    context = sample_context("refusal_decision")  # says 江州市行政审批局

    document = produce_document("refusal_decision", context=context, organ=bureau_a, target=item_a, key="k")

    text = text_of(document.file.open("rb").read())
    assert "江城区行政审批局" in text
    assert "江州市行政审批局" not in text


def test_the_same_key_returns_the_same_document_without_rendering_again(settings, bureau_city, item_city):
    first = produce(organ=bureau_city, target=item_city)

    with mock.patch.object(services, "render_pdf", side_effect=AssertionError("rendered twice")):
        second = produce(organ=bureau_city, target=item_city)

    assert second.pk == first.pk
    assert Document.objects.count() == 1
    assert AuditEntry.objects.filter(event_type="documents.produced").count() == 1
    assert len(stored_files(settings)) == 1


def test_a_key_of_another_kind_is_refused(bureau_city, item_city):
    produce(organ=bureau_city, target=item_city, key="shared-key")

    with pytest.raises(IdempotencyKeyReused):
        produce("refusal_decision", organ=bureau_city, target=item_city, key="shared-key")


def test_a_lost_race_returns_the_winners_document_and_removes_its_own_file(settings, bureau_city, item_city):
    # given another worker's document appears between our check and our insert
    winner = produce(organ=bureau_city, target=item_city, key="raced")
    real_existing = services._existing
    with mock.patch.object(services, "_existing", side_effect=[None, real_existing("raced", "approval_decision")]):
        # when
        result = produce(organ=bureau_city, target=item_city, key="raced")
    # then
    assert result.pk == winner.pk
    assert Document.objects.count() == 1
    assert stored_files(settings) == [winner.file.name.rsplit("/", 1)[1]]
    assert AuditEntry.objects.filter(event_type="documents.produced").count() == 1


def test_without_an_organ_or_when_asked_the_document_is_not_signed(bureau_city, item_city):
    unsigned = produce("receipt", organ=bureau_city, target=item_city, key="receipt:1", sign=False)
    anonymous = produce("receipt", organ=None, target=None, key="receipt:2")

    for document in (unsigned, anonymous):
        assert document.signed is False
        assert b"/ByteRange" not in document.file.open("rb").read()
    assert (anonymous.target_type, anonymous.target_id, anonymous.organ) == ("", "", None)
    assert anonymous.number == ""


def test_document_response_is_a_pdf_download(bureau_city, item_city):
    document = produce(organ=bureau_city, target=item_city)

    response = document_response(document)

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == document.sha256
