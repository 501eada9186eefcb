"""The supervision-notice screens: who may see and do what (STYLE.md: a permission matrix for
every endpoint, and the side effect did not happen where it must not)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import notice_services
from supervision.models import Appeal, Explanation, Fault, SupervisionNotice
from tests.approvals.conftest import at
from tests.supervision.notice_fixtures import (  # noqa: F401 (fixtures)
    draft,
    handler_district_b,
    issued,
    pki_folder,
    red_cases,
    supervision_office,
    supervisor_district_b,
)
from tests.uploads import samples

pytestmark = pytest.mark.django_db
D = date


def status_of(client, request, persona, method, url, data=None):
    if persona is None:
        client.logout()
    else:
        client.force_login(request.getfixturevalue(persona))
    with at(2025, 10, 15, 9):
        response = client.post(url, data or {}) if method == "post" else client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "login"
    return response.status_code


@pytest.fixture
def issued_notice(draft, supervisor_district_a):
    return issued(draft, supervisor_district_a)


@pytest.fixture
def explained_item(issued_notice, handler_a):
    item = issued_notice.items.order_by("pk").first()
    with at(2025, 10, 14, 9):
        notice_services.explain_item(item, actor=handler_a, text="材料需要外省协查，已于次日办结。")
    item.refresh_from_db()
    return item


@pytest.fixture
def recorded_fault(explained_item, supervisor_district_a):
    with at(2025, 10, 14, 10):
        return notice_services.record_fault(explained_item, actor=supervisor_district_a, reason="协查不属于暂停计时情形。")


@pytest.fixture
def appealed_fault(recorded_fault, approver_a):
    with at(2025, 10, 14, 11):
        notice_services.appeal_fault(recorded_fault, actor=approver_a, reasons="协查函已按规定报批，应暂停计时。")
    recorded_fault.refresh_from_db()
    return recorded_fault


# --- Lists and pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), [
    (None, "login"), ("applicant_citizen", 403), ("clerk_district_a", 403), ("outsider", 403),
    ("supervisor_district_a", 200), ("supervisor_city", 200), ("supervisor_district_b", 200), ("handler_a", 200),
])
def test_who_may_open_the_list(client, request, draft, persona, expected):
    assert status_of(client, request, persona, "get", reverse("supervision:notices")) == expected


def test_the_list_shows_supervisors_their_region_and_departments_their_issued_notices(
        client, draft, supervisor_district_a, supervisor_district_b, handler_a):
    pages = {}
    for user in (supervisor_district_a, supervisor_district_b, handler_a):
        client.force_login(user)
        pages[user.username] = list(client.get(reverse("supervision:notices")).context["notices"])
    issued(draft, supervisor_district_a)
    client.force_login(handler_a)
    after_issue = list(client.get(reverse("supervision:notices")).context["notices"])

    assert [notice.pk for notice in pages["supervisor_a"]] == [draft.pk]
    assert pages["supervisor_b"] == [] and pages["handler_a"] == []  # a draft is the supervisors' alone
    assert [notice.pk for notice in after_issue] == [draft.pk]


@pytest.mark.parametrize(("persona", "expected"), [
    (None, "login"), ("applicant_citizen", 403), ("clerk_district_a", 403), ("supervisor_district_b", 404),
    ("handler_district_b", 404), ("handler_a", 200), ("supervisor_district_a", 200), ("supervisor_city", 200),
])
def test_who_may_open_an_issued_notice(client, request, issued_notice, persona, expected):
    assert status_of(client, request, persona, "get", reverse("supervision:notice", args=[issued_notice.pk])) \
        == expected


def test_the_supervisor_s_draft_page_lists_the_cases_and_offers_to_issue(client, draft, red_cases,
                                                                          supervisor_district_a):
    client.force_login(supervisor_district_a)
    with at(2025, 10, 13, 9):
        body = client.get(reverse("supervision:notice", args=[draft.pk])).content.decode()

    assert all(case.receipt_number in body for case in red_cases)
    assert "审核无误，签发督办通知书" in body
    assert "<dt>超期（工作日）</dt><dd>1</dd>" in body  # due Sat 2025-10-11 (a working day), one day later


# --- Issue ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected", "status"), [
    (None, "login", "draft"), ("applicant_citizen", 403, "draft"), ("clerk_district_a", 403, "draft"),
    ("supervisor_district_b", 404, "draft"), ("handler_a", 404, "draft"), ("supervisor_district_a", 302, "issued"),
])
def test_who_may_issue(client, request, draft, persona, expected, status):
    assert status_of(client, request, persona, "post", reverse("supervision:notice_issue", args=[draft.pk])) == expected
    assert SupervisionNotice.objects.get().status == status


def test_an_issued_notice_s_department_may_not_issue_it_again(client, issued_notice, approver_a):
    client.force_login(approver_a)
    assert client.post(reverse("supervision:notice_issue", args=[issued_notice.pk])).status_code == 403


def test_issuing_twice_answers_with_a_message_not_an_error(client, issued_notice, supervisor_district_a):
    client.force_login(supervisor_district_a)
    response = client.post(reverse("supervision:notice_issue", args=[issued_notice.pk]), follow=True)

    assert "当前状态为“已签发”，不能执行“签发督办通知书”。" in response.content.decode()


# --- Explain --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected", "explained"), [
    (None, "login", False), ("applicant_citizen", 403, False), ("handler_district_b", 404, False),
    ("supervisor_district_a", 403, False), ("clerk_district_a", 403, False), ("handler_a", 302, True),
])
def test_who_may_explain(client, request, issued_notice, persona, expected, explained):
    item = issued_notice.items.first()
    url = reverse("supervision:notice_item", args=[item.pk, "explain"])
    assert status_of(client, request, persona, "post", url, {"text": "外省协查导致超期两个工作日。"}) == expected
    assert Explanation.objects.filter(item=item).exists() is explained


def test_an_explanation_with_a_file_and_a_bad_one(client, issued_notice, handler_a, supervisor_district_a):
    first, second = issued_notice.items.order_by("pk")
    client.force_login(handler_a)
    with at(2025, 10, 14, 9):
        client.post(reverse("supervision:notice_item", args=[first.pk, "explain"]),
                    {"text": "见附件协查函。", "attachment": SimpleUploadedFile("协查函.pdf", samples.pdf_bytes())})
        refused = client.post(reverse("supervision:notice_item", args=[second.pk, "explain"]),
                              {"text": "短"}, follow=True)
        not_a_pdf = client.post(reverse("supervision:notice_item", args=[second.pk, "explain"]),
                                {"text": "见附件。附件附件", "attachment": SimpleUploadedFile("a.pdf", b"#!/bin/sh\n")},
                                follow=True)
    client.force_login(supervisor_district_a)
    download = client.get(reverse("supervision:notice_attachment", args=[first.pk]))

    assert Explanation.objects.get(item=first).attachment.original_name == "协查函.pdf"
    assert "请写明超期的原因（不少于 5 个字）。" in refused.content.decode()
    assert not_a_pdf.status_code == 200 and not Explanation.objects.filter(item=second).exists()
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")


# --- Accept and fault -----------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected", "status"), [
    (None, "login", "explained"), ("applicant_citizen", 403, "explained"),
    ("supervisor_district_b", 404, "explained"), ("approver_a", 403, "explained"),
    ("supervisor_district_a", 302, "accepted"),
])
def test_who_may_accept(client, request, explained_item, persona, expected, status):
    url = reverse("supervision:notice_item", args=[explained_item.pk, "accept"])
    assert status_of(client, request, persona, "post", url, {"note": "属实"}) == expected
    explained_item.refresh_from_db()
    assert explained_item.status == status


@pytest.mark.parametrize(("persona", "expected", "faults"), [
    (None, "login", 0), ("applicant_citizen", 403, 0), ("supervisor_district_b", 404, 0), ("approver_a", 403, 0),
    ("supervisor_city", 302, 1),
])
def test_who_may_record_a_fault(client, request, explained_item, persona, expected, faults):
    url = reverse("supervision:notice_item", args=[explained_item.pk, "fault"])
    assert status_of(client, request, persona, "post", url, {"reason": "理由不成立，应当认定过错。"}) == expected
    assert Fault.objects.count() == faults


# --- Appeal and its decision ----------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected", "appeals"), [
    (None, "login", 0), ("applicant_citizen", 403, 0), ("handler_district_b", 404, 0), ("handler_a", 403, 0),
    ("supervisor_district_a", 403, 0), ("approver_a", 302, 1),
])
def test_who_may_appeal(client, request, recorded_fault, persona, expected, appeals):
    url = reverse("supervision:notice_fault", args=[recorded_fault.pk, "appeal"])
    assert status_of(client, request, persona, "post", url, {"reasons": "协查函已报批，应暂停计时。"}) == expected
    assert Appeal.objects.count() == appeals


def test_a_second_appeal_is_refused_with_a_clear_message(client, appealed_fault, approver_a):
    client.force_login(approver_a)
    response = client.post(reverse("supervision:notice_fault", args=[appealed_fault.pk, "appeal"]),
                           {"reasons": "再次申诉，请再复核。"}, follow=True)

    assert "每项过错认定只能申诉一次，本项已申诉。" in response.content.decode()
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(("persona", "expected", "status"), [
    (None, "login", "appealed"), ("applicant_citizen", 403, "appealed"), ("supervisor_district_b", 404, "appealed"),
    ("approver_a", 403, "appealed"), ("supervisor_district_a", 403, "appealed"),  # recorded it: must stand aside
    ("supervisor_city", 302, "upheld"),
])
def test_who_may_decide_an_appeal(client, request, appealed_fault, persona, expected, status):
    url = reverse("supervision:notice_fault", args=[appealed_fault.pk, "decide"])
    assert status_of(client, request, persona, "post", url, {"decision": "upheld", "reasons": "协查不属暂停情形。"}) \
        == expected
    appealed_fault.refresh_from_db()
    assert appealed_fault.status == status


def test_the_pdf_is_served_to_the_department_once_produced(client, issued_notice, handler_a):
    from portal.outbox.services import drain

    client.force_login(handler_a)
    before = client.get(reverse("supervision:notice_document", args=[issued_notice.pk]), follow=True)
    drain()
    after = client.get(reverse("supervision:notice_document", args=[issued_notice.pk]))

    assert "督办通知书正在生成，请稍后刷新。" in before.content.decode()
    assert after["Content-Type"] == "application/pdf"
    assert b"".join(after.streaming_content).startswith(b"%PDF")
