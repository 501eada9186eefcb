"""Joint approval on the staff screens: the participating department's queue and the case page."""

from datetime import date

import pytest
from django.urls import reverse

from approvals.choices import SubCaseStatus
from approvals.models import SubCase
from tests.approvals.conftest import accepted_joint_case, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint_case(joint_item, applicant_citizen, clerk_city):
    with at(2026, 1, 5):
        return accepted_joint_case(joint_item, applicant_citizen, clerk_city)


def subcase_url(application, subcase, action):
    return reverse("approvals:subcase_act", args=[application.pk, subcase.pk, action])


def test_the_participating_departments_queue_lists_its_sub_case(client, joint_case, market_handler_a,
                                                                police_handler):
    client.force_login(market_handler_a)
    with at(2026, 1, 6):
        page = client.get(reverse("approvals:queue")).content.decode()

    assert "协办待认领" in page
    assert joint_case.receipt_number in page and "特种设备核查" in page and "2026-02-02" in page

    client.force_login(police_handler)
    with at(2026, 1, 6):
        other = client.get(reverse("approvals:queue")).content.decode()
    assert joint_case.receipt_number not in other


def test_the_case_page_shows_both_clocks(client, joint_case, health_handler):
    client.force_login(health_handler)
    with at(2026, 1, 8):
        page = client.get(reverse("approvals:staff_case", args=[joint_case.pk])).content.decode()

    assert "已用 3 / 45 个工作日" in page  # the lead case's own clock, unchanged
    assert "协办：江州市卫生健康委员会 3/10 个工作日" in page
    assert "协办：江城区市场监督管理局 3/20 个工作日" in page
    assert "2026-01-19" in page and "2026-02-02" in page
    assert page.count("出具协办意见") == 1  # only for the department's own sub-case


def test_an_overdue_sub_case_is_marked(client, joint_case, approver_city):
    client.force_login(approver_city)
    with at(2026, 1, 20):
        page = client.get(reverse("approvals:staff_case", args=[joint_case.pk])).content.decode()

    assert "协办：江州市卫生健康委员会 11/10 个工作日" in page
    assert page.count("已超期") == 1


def test_the_department_claims_and_concludes_from_the_case_page(client, joint_case, market_a, market_handler_a):
    subcase = SubCase.objects.get(application=joint_case, department=market_a)
    client.force_login(market_handler_a)

    with at(2026, 1, 7):
        page = client.get(reverse("approvals:staff_case", args=[joint_case.pk]))
        assert page.status_code == 200  # a district department on a city case: seen as a participant
        client.post(subcase_url(joint_case, subcase, "claim"))
        response = client.post(subcase_url(joint_case, subcase, "conclude"),
                               {"opinion": "agree", "opinion_text": "现场核查合格。"}, follow=True)

    subcase.refresh_from_db()
    assert (subcase.status, subcase.assignee, subcase.opinion_text) == (SubCaseStatus.CONCLUDED, market_handler_a,
                                                                         "现场核查合格。")
    assert "同意：现场核查合格。" in response.content.decode()


def test_a_bad_opinion_is_refused_in_chinese_and_nothing_changes(client, joint_case, health_city, health_handler):
    subcase = SubCase.objects.get(application=joint_case, department=health_city)
    client.force_login(health_handler)

    with at(2026, 1, 7):
        response = client.post(subcase_url(joint_case, subcase, "conclude"),
                               {"opinion": "disagree", "opinion_text": "  "}, follow=True)

    assert "不同意的，须写明理由和依据。" in response.content.decode()
    subcase.refresh_from_db()
    assert subcase.status == SubCaseStatus.OPEN


def test_another_department_is_told_why_and_another_district_finds_nothing(client, joint_case, health_city,
                                                                           police_handler, handler_district_b):
    subcase = SubCase.objects.get(application=joint_case, department=health_city)

    client.force_login(police_handler)
    with at(2026, 1, 7):
        refused = client.post(subcase_url(joint_case, subcase, "conclude"),
                              {"opinion": "agree", "opinion_text": "同意"}, follow=True)
    assert "只有协办部门的人员可以办理该协办件。" in refused.content.decode()

    client.force_login(handler_district_b)
    with at(2026, 1, 7):
        assert client.get(reverse("approvals:staff_case", args=[joint_case.pk])).status_code == 404
        assert client.post(subcase_url(joint_case, subcase, "conclude"),
                           {"opinion": "agree", "opinion_text": "同意"}).status_code == 404

    subcase.refresh_from_db()
    assert (subcase.status, subcase.promised_due) == (SubCaseStatus.OPEN, date(2026, 1, 19))


def test_the_lead_sees_why_it_cannot_decide_yet(client, joint_case, approver_city):
    client.force_login(approver_city)
    with at(2026, 1, 7):
        client.post(reverse("approvals:act", args=[joint_case.pk, "claim"]))
        response = client.post(reverse("approvals:act", args=[joint_case.pk, "decide"]),
                               {"outcome": "approve", "reasons": ""}, follow=True)

    assert "以下协办部门尚未出具协办意见，不能作出决定：江州市卫生健康委员会、江城区市场监督管理局。" in response.content.decode()
    joint_case.refresh_from_db()
    assert joint_case.status == "in_progress"
