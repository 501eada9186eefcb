"""The whole online filing, as an applicant does it: sign up, start from the guide, the task list,
one question a page, uploads, check your answers, submit, the confirmation."""

import re

import pytest
from django.urls import reverse

from approvals.choices import ApplicationStatus, MaterialState
from approvals.models import Application
from portal.uploads.models import StoredFile
from tests.approvals.conftest import at
from tests.approvals_apply.conftest import pdf_upload

pytestmark = pytest.mark.django_db


def section_statuses(response) -> list[str]:
    body = response.content.decode()
    return re.findall(r'id="section-\d-status">([^<（]+)', body)


def test_sign_up_start_fill_upload_check_submit_and_confirmation(client, food_item):
    code = food_item.implementation_code
    start = reverse("apply:start", args=[code])

    # Not signed in: the guide's "在线申报" leads to sign-in, which offers sign-up.
    response = client.get(start)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={start}"

    response = client.post(reverse("apply:signup"), {
        "subject_type": "enterprise", "full_name": "江州宏信餐饮管理有限公司", "identity_code": "91350100M000100Y43",
        "phone": "13900001111", "username": "hongxin", "password1": "Jiangzhou-2026!",
        "password2": "Jiangzhou-2026!", "next": start})
    assert response["Location"] == start

    with at(2025, 9, 22, 10):
        response = client.get(start)
        application = Application.objects.get()
        assert response["Location"] == reverse("apply:task_list", args=[application.pk])
        assert (application.status, application.channel, application.applicant.username, application.identity_code,
                application.applicant_name, application.contact_phone) == (
            ApplicationStatus.DRAFT, "online", "hongxin", "91350100M000100Y43", "江州宏信餐饮管理有限公司", "13900001111")
        assert client.get(start)["Location"] == response["Location"]  # resumes, never a second draft
        assert Application.objects.count() == 1

        task_list = client.get(response["Location"])
        assert task_list.status_code == 200
        assert section_statuses(task_list) == ["未开始", "未开始", "未开始", "暂不能开始"]
        assert "已完成 0/3 个部分" in task_list.content.decode()

        # 1 申请人信息
        response = client.post(reverse("apply:applicant", args=[application.pk]), {
            "contact_name": "王芳", "contact_phone": "0591-87654321", "contact_email": "wangfang@example.com",
            "identity_confirmed": "on"})
        assert response["Location"] == reverse("apply:task_list", args=[application.pk])

        # 2 申请表: one question a page, each leading to the next
        first = client.get(reverse("apply:question", args=[application.pk, "address"]))
        assert '<h1><label for="id_business_address">经营场所地址是什么？</label></h1>' in first.content.decode()
        form = re.search(r'<form method="post" novalidate>.*?</form>', first.content.decode(), re.S).group()
        assert re.findall(r'<(?:input|textarea|select)[^>]*name="(\w+)"', form) == [
            "csrfmiddlewaretoken", "business_address"]  # one question on the page
        response = client.post(reverse("apply:question", args=[application.pk, "address"]),
                               {"business_address": "江州市江城区滨江路 88 号 1 层"})
        assert response["Location"] == reverse("apply:question", args=[application.pk, "scope"])
        assert section_statuses(client.get(reverse("apply:task_list", args=[application.pk]))) == [
            "已完成", "进行中", "未开始", "暂不能开始"]
        response = client.post(response["Location"], {"business_scope": "热食类食品制售"})
        assert response["Location"] == reverse("apply:question", args=[application.pk, "staff"])
        response = client.post(response["Location"], {"staff_count": "6"})
        assert response["Location"] == reverse("apply:task_list", args=[application.pk])

        # 3 申请材料: upload the two required ones
        materials = client.get(reverse("apply:materials", args=[application.pk]))
        assert "食品经营许可申请书" in materials.content.decode()
        for position, name in ((1, "申请书.pdf"), (2, "营业执照.pdf")):
            response = client.post(reverse("apply:material_upload", args=[application.pk, position]),
                                   {"file": pdf_upload(name)})
            assert response["Location"] == reverse("apply:materials", args=[application.pk])
        assert section_statuses(client.get(reverse("apply:task_list", args=[application.pk]))) == [
            "已完成", "已完成", "已完成", "未开始"]

        # 4 核对您的申请
        check = client.get(reverse("apply:check", args=[application.pk]))
        body = check.content.decode()
        assert "核对您的申请" in body
        for text in ("江州市江城区滨江路 88 号 1 层", "热食类食品制售", "6 人", "王芳", "0591-87654321", "营业执照.pdf"):
            assert text in body
        assert f'href="{reverse("apply:question", args=[application.pk, "scope"])}?return=check"' in body
        assert f'href="{reverse("apply:material_upload", args=[application.pk, 1])}?return=check"' in body

        # a change link comes back to the check page
        response = client.post(reverse("apply:question", args=[application.pk, "staff"]) + "?return=check",
                               {"staff_count": "8"})
        assert response["Location"] == reverse("apply:check", args=[application.pk])

        response = client.post(reverse("apply:check", args=[application.pk]))
        assert response["Location"] == reverse("apply:confirmation", args=[application.pk])

    application.refresh_from_db()
    assert (application.status, application.receipt_number, str(application.received_on)) == (
        ApplicationStatus.SUBMITTED, "JZ2025092200001", "2025-09-22")
    assert application.form_data == {"business_address": "江州市江城区滨江路 88 号 1 层",
                                     "business_scope": "热食类食品制售", "staff_count": 8}
    assert (application.contact_name, application.contact_email) == ("王芳", "wangfang@example.com")
    provided = application.materials.filter(state=MaterialState.PROVIDED).order_by("position")
    assert [m.position for m in provided] == [1, 2]
    stored = StoredFile.objects.get(original_name="营业执照.pdf")
    assert provided[1].stored_file == stored
    assert provided[1].note == f"网上申报上传：营业执照.pdf（文件编号 {stored.pk}）"

    with at(2025, 9, 22, 10, 5):
        confirmation = client.get(reverse("apply:confirmation", args=[application.pk]))
    body = confirmation.content.decode()
    assert '<strong id="receipt-number">JZ2025092200001</strong>' in body
    # Accepted on the receipt day, 20 working days: the National Day holiday and its make-up days counted.
    assert '<span class="summary-label">预计办结日</span><span class="summary-value">2025-10-24</span>' in body
    assert "预计办结日：2025年10月24日。这是按“收件当日即受理”推算的预计日期" in body
    # Five working days for the pre-review: Sunday 09-28 was a make-up working day.
    assert '<span class="summary-label">预审最迟</span><span class="summary-value">2025-09-28</span>' in body
    assert "本事项最多跑一次" in body

    # and it is in 我的办件
    listing = client.get(reverse("apply:my_applications")).content.decode()
    assert "JZ2025092200001" in listing and "待预审" in listing


def test_a_second_click_on_submit_shows_the_same_confirmation(client, food_item, applicant_enterprise):
    from approvals import services

    with at(2025, 9, 22):
        application = services.start_application(
            food_item.published_version, actor=applicant_enterprise, subject_type="enterprise",
            applicant_name=applicant_enterprise.full_name, identity_code=applicant_enterprise.identity_code,
            contact_phone="13900001111", contact_name="王芳",
            form_data={"business_address": "滨江路 88 号", "business_scope": "热食类食品制售", "staff_count": 3})
        for position in (1, 2):
            services.record_material(application, position, actor=applicant_enterprise, state="provided")
        client.force_login(applicant_enterprise)
        first = client.post(reverse("apply:check", args=[application.pk]))
        second = client.post(reverse("apply:check", args=[application.pk]))

    assert first["Location"] == second["Location"] == reverse("apply:confirmation", args=[application.pk])
    application.refresh_from_db()
    assert application.receipt_number == "JZ2025092200001"


def test_zero_trip_item_says_so_and_an_immediate_item_is_expected_the_same_day(client, bureau_a,
                                                                               applicant_enterprise):
    from approvals import services
    from tests.factories import ItemFactory

    item = ItemFactory(name="户外广告设施设置审批", department=bureau_a, level="district", handling_class="immediate",
                       promised_limit=0, max_trips=0, publish=True)
    with at(2025, 9, 22):
        application = services.start_application(
            item.published_version, actor=applicant_enterprise, subject_type="enterprise",
            applicant_name=applicant_enterprise.full_name, identity_code=applicant_enterprise.identity_code,
            contact_phone="13900001111")
        services.record_material(application, 1, actor=applicant_enterprise, state="provided")
        services.submit_application(application, actor=applicant_enterprise)
        client.force_login(applicant_enterprise)
        body = client.get(reverse("apply:confirmation", args=[application.pk])).content.decode()

    assert "本事项零跑动" in body
    assert '<span class="summary-label">预计办结日</span><span class="summary-value">2025-09-22</span>' in body


def test_licence_in_the_library_is_fetched_instead_of_uploaded(client, food_item, applicant_enterprise, bureau_a):
    from datetime import date

    from approvals.models import Licence

    Licence.objects.create(number="YZ-0001", item_version=food_item.published_version, licence_name="营业执照",
                           holder_name="江州宏信餐饮管理有限公司", holder_code="91350100M000100Y43", department=bureau_a,
                           region_path=bureau_a.region.path, issued_on=date(2024, 1, 2), valid_from=date(2024, 1, 2))
    client.force_login(applicant_enterprise)
    applicant_enterprise.phone = "13900001111"
    applicant_enterprise.save(update_fields=["phone"])

    with at(2025, 9, 22):
        client.get(reverse("apply:start", args=[food_item.implementation_code]))
        application = Application.objects.get()
        body = client.get(reverse("apply:materials", args=[application.pk])).content.decode()
        upload = client.get(reverse("apply:material_upload", args=[application.pk, 2]))

    assert "已从电子证照库调取" in body and "营业执照（YZ-0001）" in body
    assert reverse("apply:material_upload", args=[application.pk, 2]) not in body
    assert upload["Location"] == reverse("apply:materials", args=[application.pk])


def test_an_account_without_a_phone_is_asked_for_one_before_the_draft(client, food_item, applicant_enterprise):
    client.force_login(applicant_enterprise)
    start = reverse("apply:start", args=[food_item.implementation_code])

    page = client.get(start)
    refused = client.post(start, {"contact_phone": "12"})
    assert Application.objects.count() == 0
    started = client.post(start, {"contact_phone": "13900001111"})

    assert "窗口预审时，打哪个电话联系您？" in page.content.decode()
    assert '<a href="#id_contact_phone">请输入 11 位手机号码' in refused.content.decode()
    assert started["Location"] == reverse("apply:task_list", args=[Application.objects.get().pk])


def test_an_item_for_enterprises_only_is_not_filed_by_a_citizen(client, food_item, applicant_citizen):
    client.force_login(applicant_citizen)

    response = client.get(reverse("apply:start", args=[food_item.implementation_code]))

    assert response.status_code == 403
    assert "该事项只受理企业及其他组织的申请" in response.content.decode()
    assert Application.objects.count() == 0
