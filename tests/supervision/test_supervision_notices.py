"""Red → supervision notice (督办通知书): drafting, issue with its sealed PDF, explanation,
outcome, fault and the one appeal, all in the audit trail (DOMAIN.md §5)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.models import AuditEntry
from portal.audit.services import chain_for
from portal.documents.models import Document
from portal.notifications.models import Notification
from portal.outbox import services as outbox
from supervision import notice_services, services
from supervision.documents import notice_document
from supervision.models import Appeal, Fault, NoticeItem, SupervisionNotice, TimeLimitWarning
from tests.approvals.conftest import at
from tests.documents.conftest import trusting_nss_database  # noqa: F401 (a fixture)
from tests.documents.pdf_tools import pdfsig, text_of
from tests.supervision.conftest import accepted
from tests.supervision.notice_fixtures import (  # noqa: F401 (fixtures)
    draft,
    handler_district_b,
    issued,
    pki_folder,
    red_cases,
    supervision_office,
    supervisor_district_b,
)

pytestmark = pytest.mark.django_db
D = date


# --- Drafting -------------------------------------------------------------------------------------


def test_the_sweep_drafts_one_notice_per_department_and_day_listing_its_red_cases(draft, red_cases, bureau_a):
    assert (draft.day, draft.status, draft.number) == (D(2025, 10, 13), "draft", None)
    listed = set(draft.items.values_list("warning__application_id", flat=True))
    assert listed == {case.pk for case in red_cases}
    assert set(draft.items.values_list("status", flat=True)) == {"awaiting"}
    drafted = AuditEntry.objects.get(event_type="supervision.supervisionnotice.drafted")
    assert (drafted.chain, drafted.data["items_added"], drafted.data["new_draft"]) == (chain_for(draft), 2, True)


def test_drafting_twice_makes_one_draft_and_lists_each_warning_once(draft, red_cases):
    with at(2025, 10, 13, 0, 10):
        services.sweep_time_limits()
    with at(2025, 10, 13, 0, 15):
        added = notice_services.draft_supervision_notices(on=D(2025, 10, 13))

    assert added == {}
    assert SupervisionNotice.objects.count() == 1
    assert NoticeItem.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionNotice.objects.create(department=draft.department, day=draft.day)
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeItem.objects.create(notice=draft, warning=draft.items.first().warning)


def test_a_case_turning_red_later_that_day_joins_today_s_draft(draft, item_10, applicant_citizen,
                                                                clerk_district_a):
    later = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 23))  # due 10-13: red on 10-14
    with at(2025, 10, 14, 0, 5):
        services.sweep_time_limits()

    tomorrow = SupervisionNotice.objects.get(day=D(2025, 10, 14))
    assert list(tomorrow.items.values_list("warning__application_id", flat=True)) == [later.pk]
    assert draft.items.count() == 2  # yesterday's draft keeps its own


def test_a_red_after_today_s_notice_was_issued_waits_for_tomorrow_s_draft(draft, supervisor_district_a, item_10,
                                                                           applicant_citizen, clerk_district_a):
    issued(draft, supervisor_district_a)
    with at(2025, 10, 13, 11):  # a case found red only now (an accepted case with a past due)
        fresh = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 13, 11, 5):
        services.sweep_time_limits()
    assert NoticeItem.objects.filter(warning__application=fresh).count() == 0
    assert SupervisionNotice.objects.count() == 1
    with at(2025, 10, 14, 0, 5):
        services.sweep_time_limits()

    assert NoticeItem.objects.get(warning__application=fresh).notice.day == D(2025, 10, 14)


# --- Issue ----------------------------------------------------------------------------------------


def test_issuing_numbers_the_notice_seals_its_pdf_and_tells_the_department(
        draft, red_cases, supervisor_district_a, supervision_office, approver_a, trusting_nss_database):
    notice = issued(draft, supervisor_district_a)
    second = SupervisionNotice.objects.create(department=notice.department, day=D(2025, 10, 14))
    NoticeItem.objects.create(notice=second, warning=TimeLimitWarning.objects.create(
        application=red_cases[0], colour="yellow", epoch=9, department=notice.department, raised_at=timezone.now(),
        crossed_on=D(2025, 10, 14), remaining_working_days=1))
    second = issued(second, supervisor_district_a, D(2025, 10, 14))
    with at(2025, 10, 13, 10, 1):
        outbox.drain()

    assert (notice.status, notice.number, notice.answer_due, notice.organ) == (
        "issued", "江监督字〔2025〕第00001号", D(2025, 10, 20), supervision_office)
    assert second.number == "江监督字〔2025〕第00002号"
    document = notice_document(notice)
    pdf = document.file.read()
    text = text_of(pdf)
    assert document.signed and document.organ == supervision_office
    assert "督办通知书" in text and "江监督字〔2025〕第00001号" in text and "江城区行政审批局：" in text
    assert all(case.receipt_number in text for case in red_cases)
    assert "2025-10-11" in text and "5个工作日内（2025年10月20日前）" in text
    report = pdfsig(pdf, trusting_nss_database)
    assert "Signature Validation: Signature is Valid." in report
    told = Notification.objects.get(idempotency_key=f"supervision.notice:{notice.pk}:issued:user:{approver_a.pk}")
    assert "请于 2025-10-20 前逐件书面说明理由" in told.body
    assert AuditEntry.objects.filter(chain=chain_for(notice), event_type="supervision.supervisionnotice.issue").exists()


def test_issue_is_refused_twice_and_without_a_supervision_office(draft, supervisor_district_a, supervision_office):
    from portal.organisation import services as organisation

    supervision_office.is_active = False
    organisation.save_department(supervision_office, actor=None)
    with pytest.raises(ValidationError, match="未找到该部门上级的电子监察室"):
        issued(draft, supervisor_district_a)
    supervision_office.is_active = True
    organisation.save_department(supervision_office, actor=None)
    issued(draft, supervisor_district_a)
    with pytest.raises(ValidationError, match="当前状态为“已签发”，不能执行“签发督办通知书”"):
        issued(draft, supervisor_district_a)
    assert SupervisionNotice.objects.get().number == "江监督字〔2025〕第00001号"


def test_only_a_supervisor_over_the_department_issues(draft, approver_a, supervisor_district_b):
    with pytest.raises(PermissionDenied, match="您的角色不能执行“签发督办通知书”"):
        issued(draft, approver_a)
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        issued(draft, supervisor_district_b)
    assert SupervisionNotice.objects.get().status == "draft"


# --- Explanation, outcome, fault, appeal ----------------------------------------------------------


def test_explain_then_accept(draft, supervisor_district_a, handler_a):
    notice = issued(draft, supervisor_district_a)
    item = notice.items.order_by("pk").first()
    with at(2025, 10, 15, 9):
        explanation = notice_services.explain_item(item, actor=handler_a, text="申请人补充现场核查资料，延误两日。")
        accepted_item = notice_services.accept_explanation(item, actor=supervisor_district_a, note="理由属实。")

    assert explanation.explained_by == handler_a
    assert (accepted_item.status, accepted_item.review_note) == ("accepted", "理由属实。")
    events = list(AuditEntry.objects.filter(chain=chain_for(notice)).order_by("seq").values_list("event_type", flat=True))
    assert events[-2:] == ["supervision.noticeitem.explain", "supervision.noticeitem.accept"]
    assert Notification.objects.filter(idempotency_key__startswith=f"supervision.noticeitem:{item.pk}:explained:",
                                       recipient=supervisor_district_a).exists()


def test_explanations_are_checked_and_need_an_issued_notice(draft, supervisor_district_a, handler_a,
                                                            supervisor_city):
    item = draft.items.first()
    with pytest.raises(ValidationError, match="督办通知书尚未签发"):
        notice_services.explain_item(item, actor=handler_a, text="原因说明原因说明")
    issued(draft, supervisor_district_a)
    with pytest.raises(ValidationError, match="请写明超期的原因"):
        notice_services.explain_item(item, actor=handler_a, text="  短 ")
    with pytest.raises(PermissionDenied, match="您的角色不能执行“说明理由”"):
        notice_services.explain_item(item, actor=supervisor_city, text="原因说明原因说明")
    item.refresh_from_db()
    assert item.status == "awaiting"


def test_a_fault_is_recorded_and_appealed_once_and_decided_by_another_supervisor(
        draft, supervisor_district_a, supervisor_city, handler_a, approver_a):
    notice = issued(draft, supervisor_district_a)
    item = notice.items.order_by("pk").first()
    with at(2025, 10, 15, 9):
        notice_services.explain_item(item, actor=handler_a, text="系统故障导致超期。")
        fault = notice_services.record_fault(item, actor=supervisor_district_a, reason="当日系统运行正常，理由不成立。")
    with at(2025, 10, 16, 9):
        with pytest.raises(PermissionDenied, match="您的角色不能执行“申诉”"):
            notice_services.appeal_fault(fault, actor=handler_a, reasons="有系统日志为证。")
        appeal = notice_services.appeal_fault(fault, actor=approver_a, reasons="有系统运维日志为证。")
        with pytest.raises(ValidationError, match="每项过错认定只能申诉一次"):
            notice_services.appeal_fault(fault, actor=approver_a, reasons="再次申诉，请复核。")
        with pytest.raises(PermissionDenied, match="应当回避"):
            notice_services.decide_appeal(fault, actor=supervisor_district_a, decision="overturned",
                                          reasons="日志属实，撤销认定。")
        decided = notice_services.decide_appeal(fault, actor=supervisor_city, decision="overturned",
                                                reasons="日志属实，撤销认定。")

    fault.refresh_from_db()
    assert (fault.department, fault.status, Appeal.objects.count()) == (notice.department, "overturned", 1)
    assert (decided.pk, decided.decision, decided.decided_by) == (appeal.pk, "overturned", supervisor_city)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(fault=fault, reasons="第三次", appealed_at=timezone.now(), appealed_by_name="x")
    events = list(AuditEntry.objects.filter(chain=chain_for(notice)).order_by("seq").values_list("event_type",
                                                                                                   flat=True))
    assert events[-4:] == ["supervision.noticeitem.record_fault", "supervision.fault.recorded",
                           "supervision.fault.appeal", "supervision.fault.overturn"]


def test_no_fault_for_silence_until_the_answer_deadline_has_passed(draft, supervisor_district_a):
    notice = issued(draft, supervisor_district_a)
    item = notice.items.first()
    with at(2025, 10, 20, 9), pytest.raises(ValidationError, match="说明理由期限（2025-10-20）尚未届满"):
        notice_services.record_fault(item, actor=supervisor_district_a, reason="逾期未说明理由。")
    with at(2025, 10, 21, 9):
        fault = notice_services.record_fault(item, actor=supervisor_district_a, reason="逾期未说明理由。")

    assert Fault.objects.get() == fault
    assert not Document.objects.exists()  # nobody drained: the PDF is still on its way
