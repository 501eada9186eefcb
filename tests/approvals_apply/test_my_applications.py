"""我的办件: the detail page with its steps and clock, withdrawal before the decision, corrections."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.choices import ApplicationStatus
from tests.approvals.conftest import at, file_online
from tests.approvals_apply.conftest import pdf_upload

pytestmark = pytest.mark.django_db


def test_withdraw_before_the_decision(client, food_item, applicant_citizen):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
    client.force_login(applicant_citizen)
    detail = client.get(reverse("apply:detail", args=[application.pk])).content.decode()
    confirm = client.get(reverse("apply:withdraw", args=[application.pk])).content.decode()

    with at(2025, 9, 23):
        response = client.post(reverse("apply:withdraw", args=[application.pk]), {"reason": "店面转让，不再经营"})

    assert f'href="{reverse("apply:withdraw", args=[application.pk])}"' in detail
    assert "确定要撤回这份申请吗？" in confirm
    assert response["Location"] == reverse("apply:detail", args=[application.pk])
    application.refresh_from_db()
    assert (application.status, application.closing_reason) == (ApplicationStatus.WITHDRAWN, "店面转让，不再经营")
    after = client.get(reverse("apply:detail", args=[application.pk])).content.decode()
    assert "申请已撤回。" in after and "已撤回" in after
    assert f'href="{reverse("apply:withdraw", args=[application.pk])}"' not in after


def test_a_draft_can_be_withdrawn_too(client, food_item, applicant_enterprise):
    application = services.start_application(
        food_item.published_version, actor=applicant_enterprise, subject_type="enterprise",
        applicant_name=applicant_enterprise.full_name, identity_code=applicant_enterprise.identity_code,
        contact_phone="13900001111")
    client.force_login(applicant_enterprise)

    client.post(reverse("apply:withdraw", args=[application.pk]), {"reason": ""})

    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_no_withdrawal_after_the_decision(client, two_step_item, applicant_citizen, clerk_district_a, approver_a):
    with at(2025, 9, 22):
        application = file_online(two_step_item, applicant_citizen, materials=(1,))
        services.accept_application(application, actor=clerk_district_a)
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="approve")
    client.force_login(applicant_citizen)

    detail = client.get(reverse("apply:detail", args=[application.pk])).content.decode()
    response = client.post(reverse("apply:withdraw", args=[application.pk]), {"reason": ""})

    assert f'href="{reverse("apply:withdraw", args=[application.pk])}"' not in detail
    assert response["Location"] == reverse("apply:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED


def test_detail_shows_the_steps_and_the_clock_once_accepted(client, food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
    client.force_login(applicant_citizen)

    with at(2025, 9, 26):
        body = client.get(reverse("apply:detail", args=[application.pk])).content.decode()

    assert "受理：通过" in body
    assert ('<p class="clock-explanation">已用 4 / 20 个工作日；承诺办结日 2025-10-24，法定期限 2025-10-24。</p>'
            in body)


def test_detail_before_acceptance_shows_the_expected_date_as_expected(client, food_item, applicant_citizen):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
    client.force_login(applicant_citizen)

    body = client.get(reverse("apply:detail", args=[application.pk])).content.decode()

    assert "<dt>预计办结日</dt><dd>2025-10-24（预计：按收件当日受理推算，以受理通知书为准）</dd>" in body
    assert "clock-explanation" not in body


def test_after_the_one_time_notice_the_applicant_uploads_and_resubmits(client, food_item, applicant_citizen,
                                                                       clerk_district_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen, materials=(1,))
        services.issue_one_time_notice(application, actor=clerk_district_a,
                                       items=[{"material": "营业执照", "requirement": "请上传营业执照副本扫描件"}])
    client.force_login(applicant_citizen)

    with at(2025, 9, 23):
        detail = client.get(reverse("apply:detail", args=[application.pk])).content.decode()
        too_early = client.post(reverse("apply:resubmit", args=[application.pk]))
        client.post(reverse("apply:material_upload", args=[application.pk, 2]), {"file": pdf_upload("营业执照.pdf")})
        client.post(reverse("apply:resubmit", args=[application.pk]))

    assert "一次性告知：请补正以下材料" in detail and "请上传营业执照副本扫描件" in detail
    assert too_early["Location"] == reverse("apply:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.notices.get().answered_at is not None


def test_the_applicant_rates_a_concluded_case_from_its_page(client, food_item, applicant_citizen, clerk_district_a,
                                                           handler_a, reviewer_a, approver_a):
    from django.urls import reverse

    from approvals import services
    from tests.approvals.conftest import at, file_online

    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="approve")
        services.conclude_application(application, actor=clerk_district_a, served_method="electronic")
    client.force_login(applicant_citizen)

    page = client.get(reverse("apply:detail", args=[application.pk]))
    client.post(reverse("apply:rate", args=[application.pk]), {"level": "4", "comment": "很快"})
    after = client.get(reverse("apply:detail", args=[application.pk]))

    assert "评价本次服务" in page.content.decode()
    assert "您的评价：满意" in after.content.decode()


@pytest.fixture
def refused_case(settings, tmp_path, food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a,
                 approver_a):
    """A case refused with two reasons and served, its documents produced as the worker would."""
    from portal.outbox.services import drain

    settings.PKI_DIR = tmp_path / "pki"
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="经现场核查，经营场所与食品安全要求不符。")
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="refuse",
                        reasons="经营场所未设置食品处理区与非食品处理区的分隔。\n从业人员未取得健康证明。")
        services.conclude_application(application, actor=clerk_district_a, served_method="electronic")
    drain()
    return application


def test_a_refusal_shows_its_reasons_the_remedy_rights_and_the_sealed_decision(client, refused_case,
                                                                              applicant_citizen):
    from portal.documents.models import Document
    from tests.documents.pdf_tools import text_of

    client.force_login(applicant_citizen)
    body = client.get(reverse("apply:detail", args=[refused_case.pk])).content.decode()
    decision = Document.objects.get(kind="refusal_decision", target_id=str(refused_case.pk))
    download = client.get(reverse("apply:document", args=[refused_case.pk, decision.pk]))

    assert "经营场所未设置食品处理区与非食品处理区的分隔。<br>从业人员未取得健康证明。" in body
    assert ("如不服本决定，您可以自收到不予行政许可决定书之日起六十日内向江州市人民政府申请行政复议，"
            "或者自收到之日起六个月内依法向江州市江城区人民法院提起行政诉讼（《中华人民共和国行政许可法》第三十八条第二款）。"
            in body)
    assert f'href="{reverse("apply:document", args=[refused_case.pk, decision.pk])}">不予行政许可决定书</a>' in body
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF-")
    assert "从业人员未取得健康证明" in text_of(pdf)


def test_only_the_applicant_downloads_their_documents(client, refused_case, applicant_enterprise, food_item,
                                                      applicant_citizen):
    from portal.documents.models import Document

    decision = Document.objects.get(kind="refusal_decision", target_id=str(refused_case.pk))
    with at(2025, 9, 22):
        other = file_online(food_item, applicant_enterprise)
    client.force_login(applicant_enterprise)

    assert client.get(reverse("apply:document", args=[refused_case.pk, decision.pk])).status_code == 404
    # Their own case's address with someone else's document number is no way round it.
    assert client.get(reverse("apply:document", args=[other.pk, decision.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("apply:document", args=[refused_case.pk, decision.pk])).status_code == 302
