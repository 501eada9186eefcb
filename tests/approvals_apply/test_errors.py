"""Every form page: an error summary ("存在以下问题") at the top, each entry linked to its field."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import services
from approvals.choices import MaterialState
from tests.approvals.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(food_item, applicant_enterprise):
    with at(2025, 9, 22):
        return services.start_application(
            food_item.published_version, actor=applicant_enterprise, subject_type="enterprise",
            applicant_name=applicant_enterprise.full_name, identity_code=applicant_enterprise.identity_code,
            contact_phone="13900001111")


@pytest.fixture
def signed_in(client, applicant_enterprise):
    client.force_login(applicant_enterprise)
    return client


def test_applicant_section_lists_each_problem_linked_to_its_field(signed_in, draft):
    response = signed_in.post(reverse("apply:applicant", args=[draft.pk]),
                              {"contact_name": "", "contact_phone": "110", "contact_email": "not-an-address"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>错误：申请人信息" in body
    assert '<h2 id="error-summary-title">存在以下问题</h2>' in body
    assert '<a href="#id_contact_name">请填写联系人姓名</a>' in body
    assert '<a href="#id_contact_phone">请输入 11 位手机号码，或带区号的固定电话，如 0591-87654321。</a>' in body
    assert '<a href="#id_contact_email">请输入正确的电子邮箱地址，如 name@example.com</a>' in body
    assert '<a href="#id_identity_confirmed">请确认申请人名称和证件号码正确</a>' in body
    assert 'aria-describedby="id_contact_name-error"' in body and 'id="id_contact_name-error"' in body
    assert ' required' not in body  # server-side validation: no browser bubbles hiding the summary
    draft.refresh_from_db()
    assert draft.contact_name == ""


@pytest.mark.parametrize(("slug", "value", "message"), [
    ("address", "", "请填写经营场所地址"),
    ("scope", "", "请填写经营项目或申请内容"),
    ("staff", "", "请填写从业人员数量"),
    ("staff", "六个", "从业人员数量应为整数，如 5"),
    ("staff", "0", "从业人员数量至少为 1 人"),
])
def test_each_question_page_links_its_error_to_the_answer(signed_in, draft, slug, value, message):
    key = {"address": "business_address", "scope": "business_scope", "staff": "staff_count"}[slug]

    response = signed_in.post(reverse("apply:question", args=[draft.pk, slug]), {key: value})

    body = response.content.decode()
    assert f'<a href="#id_{key}">{message}</a>' in body
    assert f'id="id_{key}"' in body and 'aria-invalid="true"' in body
    draft.refresh_from_db()
    assert draft.form_data == {}


def test_an_upload_of_the_wrong_type_is_refused_on_the_file_field(signed_in, draft):
    script = SimpleUploadedFile("申请书.pdf", b"#!/bin/sh\necho hello\n", content_type="application/pdf")

    response = signed_in.post(reverse("apply:material_upload", args=[draft.pk, 1]), {"file": script})

    body = response.content.decode()
    assert '<a href="#id_file">仅支持 PDF、JPG、PNG、OFD、DOCX、XLSX 格式的文件</a>' in body
    assert draft.materials.get(position=1).state == MaterialState.MISSING


def test_an_upload_page_without_a_file_says_so(signed_in, draft):
    response = signed_in.post(reverse("apply:material_upload", args=[draft.pk, 1]), {})

    assert '<a href="#id_file">请选择要上传的文件</a>' in response.content.decode()


def test_submitting_an_incomplete_application_lists_what_is_missing(signed_in, draft):
    with at(2025, 9, 22):
        response = signed_in.post(reverse("apply:check", args=[draft.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#answer-contact_name">请填写申请人信息并确认证件号码</a>' in body
    assert '<a href="#answer-business_address">请回答：经营场所地址</a>' in body
    assert '<a href="#material-1">请上传必要材料：食品经营许可申请书</a>' in body
    assert '<a href="#material-3">' not in body  # optional
    assert 'id="answer-business_address"' in body and 'id="material-1"' in body
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.receipt_number is None
