"""The screens: who reaches which page, what it shows, and actions posted as forms."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision.rectification import services
from supervision.rectification.choices import EntryKind, RectificationStatus
from tests.rectification.conftest import at
from tests.uploads.samples import pdf_bytes

pytestmark = pytest.mark.django_db


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_anonymous_visitors_are_sent_to_sign_in(client, case):
    for url in (reverse("rectification:department_list"), reverse("rectification:supervision_list"),
                reverse("rectification:case", args=[case.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    case.refresh_from_db()
    assert case.status == RectificationStatus.OPEN


def test_applicants_are_refused(client, case, applicant_citizen):
    client.force_login(applicant_citizen)
    for url in (reverse("rectification:department_list"), reverse("rectification:supervision_list"),
                reverse("rectification:case", args=[case.pk])):
        assert client.get(url).status_code in (403, 404)
    response = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]),
                           {"submit_rectification-measures": "我自己整改"})
    assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == RectificationStatus.OPEN


def test_another_districts_supervisor_gets_404(client, case, supervisor_district_b):
    client.force_login(supervisor_district_b)

    assert client.get(reverse("rectification:case", args=[case.pk])).status_code == 404
    assert client.post(reverse("rectification:act", args=[case.pk, "require_callback"])).status_code == 404
    listing = client.get(reverse("rectification:supervision_list"))
    assert listing.status_code == 200
    assert case.application.receipt_number not in listing.content.decode()
    case.refresh_from_db()
    assert not case.callback_required


def test_staff_without_supervision_get_no_supervision_list(client, handler_a):
    assert page(client, handler_a, reverse("rectification:supervision_list")).status_code == 403


def test_the_department_lists_its_cases_and_other_departments_do_not(client, case, handler_a, market_handler_a):
    mine = page(client, handler_a, reverse("rectification:department_list"))
    theirs = page(client, market_handler_a, reverse("rectification:department_list"))

    assert mine.status_code == 200
    body = mine.content.decode()
    assert "本部门差评整改" in body and case.application.receipt_number in body and "2025-10-28" in body
    assert case.application.receipt_number not in theirs.content.decode()


def test_the_department_submits_its_rectification_with_evidence(client, case, handler_a):
    response = page(client, handler_a, reverse("rectification:case", args=[case.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "提交整改情况" in body and "申请认定无效差评" in body and "审核通过" not in body

    evidence = SimpleUploadedFile("整改报告.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]),
                           {"submit_rectification-measures": "已约谈窗口人员并致歉",
                            "submit_rectification-attachment": evidence})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == RectificationStatus.SUBMITTED
    entry = case.entries.get(kind=EntryKind.RECTIFICATION_SUBMITTED)
    assert (entry.text, entry.attachment.original_name) == ("已约谈窗口人员并致歉", "整改报告.pdf")
    download = client.get(reverse("rectification:attachment", args=[case.pk, entry.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_bad_input_comes_back_as_a_chinese_message(client, case, handler_a):
    client.force_login(handler_a)

    response = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]),
                           {"submit_rectification-measures": ""}, follow=True)
    wrong_file = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]),
                             {"submit_rectification-measures": "已整改",
                              "submit_rectification-attachment": SimpleUploadedFile("a.pdf", b"MZ not a pdf")},
                             follow=True)

    assert response.status_code == 200
    assert "整改情况（采取的措施、结果）：该字段是必填项。" in response.content.decode()
    assert wrong_file.status_code == 200 and "仅支持" in wrong_file.content.decode()
    case.refresh_from_db()
    assert case.status == RectificationStatus.OPEN
    assert client.post(reverse("rectification:act", args=[case.pk, "no_such_action"])).status_code == 404


def test_another_department_sees_the_case_but_its_submission_is_refused(client, case, market_handler_a):
    client.force_login(market_handler_a)

    response = client.post(reverse("rectification:act", args=[case.pk, "submit_rectification"]),
                           {"submit_rectification-measures": "代为整改"}, follow=True)

    assert "只有被评价部门的办件人员可以“提交整改情况”" in response.content.decode()
    case.refresh_from_db()
    assert case.status == RectificationStatus.OPEN


def test_the_supervisor_filters_overdue_cases_with_a_red_badge(client, rate, supervisor_district_a):
    late = rate(2).rectification
    on_time = rate(1, on=(2025, 11, 3)).rectification
    services.sweep_overdue(on=date(2025, 11, 4))

    client.force_login(supervisor_district_a)
    everything = client.get(reverse("rectification:supervision_list")).content.decode()
    overdue = client.get(reverse("rectification:supervision_list"), {"overdue": "on"}).content.decode()

    assert late.application.receipt_number in everything and on_time.application.receipt_number in everything
    assert late.application.receipt_number in overdue and on_time.application.receipt_number not in overdue
    assert 'class="badge badge-red">已逾期' in overdue


def test_the_supervisor_filters_by_status_and_unknown_filters_are_explained(client, case, supervisor_district_a):
    client.force_login(supervisor_district_a)

    submitted = client.get(reverse("rectification:supervision_list"), {"status": "submitted"}).content.decode()
    bogus = client.get(reverse("rectification:supervision_list"), {"status": "bogus"})

    assert case.application.receipt_number not in submitted
    assert bogus.status_code == 200
    assert "选择一个有效的选项" in bogus.content.decode()


def test_the_supervisor_decides_on_the_case_page(client, case, handler_a, supervisor_district_a):
    services.request_invalidity(case, actor=handler_a, ground="malicious", reasons="同一人连续恶意差评")
    client.force_login(supervisor_district_a)

    body = client.get(reverse("rectification:case", args=[case.pk])).content.decode()
    assert "认定为无效差评（不计入满意度）" in body and "同一人连续恶意差评" in body and "恶意差评" in body

    response = client.post(reverse("rectification:act", args=[case.pk, "judge_invalid"]),
                           {"judge_invalid-opinion": "经核实属恶意差评"}, follow=True)

    assert "已办理：认定无效差评。" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.rating_excluded) == (RectificationStatus.INVALID, True)


def test_a_callback_is_recorded_from_the_case_page(client, case, handler_a):
    client.force_login(handler_a)

    with at(2025, 10, 10):
        client.post(reverse("rectification:act", args=[case.pk, "record_callback"]), {
            "record_callback-called_on": "2025-10-10", "record_callback-method": "phone",
            "record_callback-satisfaction": "4", "record_callback-note": "申请人认可整改"})
        bad = client.post(reverse("rectification:act", args=[case.pk, "record_callback"]), {
            "record_callback-called_on": "10/10/2025", "record_callback-method": "phone",
            "record_callback-satisfaction": "4"}, follow=True)
        body = client.get(reverse("rectification:case", args=[case.pk])).content.decode()

    assert "请按“年-月-日”填写回访日期。" in bad.content.decode()
    assert case.callbacks.count() == 1
    assert "申请人认可整改" in body and "电话回访" in body


def test_admins_list_cases_and_set_the_policy_in_the_admin(client, case, admin_city):
    from portal.audit.models import AuditEntry
    from portal.organisation.services import ensure_role_groups

    ensure_role_groups()
    client.force_login(admin_city)

    listing = client.get(reverse("admin:rectification_rectificationcase_changelist"))
    added = client.post(reverse("admin:rectification_rectificationpolicy_add"),
                        {"deadline_working_days": "12", "callback_required_by_default": "on"})

    assert listing.status_code == 200 and case.application.receipt_number in listing.content.decode()
    assert added.status_code == 302
    assert services.current_policy().deadline_working_days == 12
    assert AuditEntry.objects.filter(event_type="rectification.policy.changed").count() == 1
