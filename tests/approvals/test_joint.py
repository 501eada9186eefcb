"""Joint approval (联合审批/并联审批): one intake, parallel sub-cases, one combined result.

A city bureau leads; the city health commission (10 working days) and district A's market
regulator (20) take part. Dates follow TIME_RULES example 7 (accepted Mon 2026-01-05, limit 45).
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from approvals import services
from approvals.choices import ApplicationStatus, SubCaseStatus
from approvals.models import Application, SubCase
from approvals.transitions import TransitionRefused
from portal.audit.models import AuditEntry
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage
from tests.approvals.conftest import accepted_joint_case, at, file_online

pytestmark = pytest.mark.django_db


def subcase_of(application, department) -> SubCase:
    return SubCase.objects.get(application=application, department=department)


def conclude(application, department, actor, opinion="agree", text="同意。"):
    return services.conclude_subcase(subcase_of(application, department), actor=actor, opinion=opinion,
                                     opinion_text=text)


# --- Opening --------------------------------------------------------------------------------------


def test_acceptance_opens_a_sub_case_in_every_participating_department_at_once(
        joint_item, applicant_citizen, clerk_city, health_city, market_a, health_handler, market_handler_a):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)

    assert application.promised_due == date(2026, 3, 13)
    rows = list(application.subcases.order_by("promised_limit").values_list(
        "department__code", "status", "started_on", "promised_limit", "promised_due", "duty"))
    assert rows == [
        ("C-WJW", SubCaseStatus.OPEN, date(2026, 1, 5), 10, date(2026, 1, 19), "卫生学评价"),
        ("A-SCJ", SubCaseStatus.OPEN, date(2026, 1, 5), 20, date(2026, 2, 2), "特种设备核查"),
    ]
    opened = AuditEntry.objects.filter(event_type="approvals.subcase.opened")
    assert opened.count() == 2
    assert set(opened.values_list("chain", flat=True)) == {f"approvals.application:{application.pk}"}
    # Their staff hear of it in their inbox; the department's fixed contact by SMS through the outbox.
    inbox = Notification.objects.filter(subject="新的并联审批协办件", in_inbox=True)
    assert sorted(inbox.values_list("recipient__username", flat=True)) == ["health_handler", "market_handler_a"]
    assert "请贵部门于 2026-01-19 前出具协办意见" in inbox.get(recipient=health_handler).body
    health_subcase = subcase_of(application, health_city)
    assert OutboxMessage.objects.filter(idempotency_key=f"subcase:{health_subcase.pk}:opened:contact:sms").exists()


def test_a_case_that_is_not_joint_has_no_sub_cases(food_item, applicant_citizen, clerk_district_a):
    with at(2026, 1, 5):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)

    assert not application.subcases.exists()


def test_deemed_acceptance_opens_the_sub_cases_as_of_the_receipt_day(joint_item, applicant_citizen):
    with at(2026, 1, 5):
        application = file_online(joint_item, applicant_citizen, materials=(1,))

    assert services.deem_overdue_filings_accepted(as_of=date(2026, 1, 13)) == 1

    assert list(application.subcases.order_by("promised_limit").values_list("started_on", "promised_due")) == [
        (date(2026, 1, 5), date(2026, 1, 19)), (date(2026, 1, 5), date(2026, 2, 2))]


# --- Who sees what ------------------------------------------------------------------------------


def test_a_participating_department_sees_the_case_and_only_its_own_sub_case(
        joint_item, applicant_citizen, clerk_city, health_city, market_a, market_handler_a, health_handler,
        handler_district_b):
    with at(2026, 1, 5):
        filed = file_online(joint_item, applicant_citizen, materials=(1,))
        # Before acceptance there is no sub-case: the city case is outside district A's region.
        assert not Application.objects.restrict(market_handler_a).filter(pk=filed.pk).exists()
        application = services.accept_application(filed, actor=clerk_city)

    assert Application.objects.restrict(market_handler_a).filter(pk=application.pk).count() == 1
    assert list(SubCase.objects.restrict(market_handler_a)) == [subcase_of(application, market_a)]
    # The city's own staff see the case and all its sub-cases through their region.
    assert SubCase.objects.restrict(health_handler).filter(application=application).count() == 2
    # Another district sees neither.
    assert not Application.objects.restrict(handler_district_b).filter(pk=application.pk).exists()
    assert not SubCase.objects.restrict(handler_district_b).exists()


# --- Concluding a sub-case ----------------------------------------------------------------------


def test_the_participating_department_concludes_its_sub_case_signed_and_audited(
        joint_item, applicant_citizen, clerk_city, health_city, health_handler, approver_city):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        services.claim_application(application, actor=approver_city)
    with at(2026, 1, 8, 15, 30):
        subcase = conclude(application, health_city, health_handler, text="卫生学评价合格，同意。")

    assert (subcase.status, subcase.opinion, subcase.opinion_text, subcase.concluded_by_name) == (
        SubCaseStatus.CONCLUDED, "agree", "卫生学评价合格，同意。", "卫健承办人")
    assert subcase.assignee == health_handler  # taken by whoever concluded it unclaimed
    assert subcase.signature
    entry = AuditEntry.objects.get(event_type="approvals.subcase.conclude")
    assert (entry.chain, entry.actor_username, entry.data["opinion"]) == (
        f"approvals.application:{application.pk}", "health_handler", "agree")
    assert entry.changes["status"] == ["open", "concluded"]
    # The lead's assignee hears of the opinion.
    assert Notification.objects.get(recipient=approver_city, subject="协办意见已出具").body == (
        "江州市卫生健康委员会对“工程建设项目竣工联合验收”（" + application.receipt_number + "）出具了协办意见：同意。")


def test_only_the_participating_department_may_conclude_its_sub_case(
        joint_item, applicant_citizen, clerk_city, health_city, police_handler, approver_city, market_handler_a):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        subcase = subcase_of(application, health_city)
        refusals = {}
        for name, actor in [("same region, other department", police_handler),
                            ("the lead's approver", approver_city),
                            ("another participant", market_handler_a),
                            ("the applicant", applicant_citizen),
                            ("the window clerk", clerk_city)]:
            with pytest.raises(PermissionDenied) as refused:
                services.conclude_subcase(subcase, actor=actor, opinion="agree", opinion_text="同意")
            refusals[name] = str(refused.value)

    assert refusals == {
        "same region, other department": "只有协办部门的人员可以办理该协办件。",
        "the lead's approver": "只有协办部门的人员可以办理该协办件。",
        "another participant": "该协办件不在您的管辖范围内。",
        "the applicant": "协办件由协办部门办理。",
        "the window clerk": "您的角色不能执行“出具协办意见”。",
    }
    subcase.refresh_from_db()
    assert (subcase.status, subcase.opinion) == (SubCaseStatus.OPEN, "")
    assert not AuditEntry.objects.filter(event_type="approvals.subcase.conclude").exists()


def test_an_opinion_needs_its_text_and_a_disagreement_its_reasons(joint_item, applicant_citizen, clerk_city,
                                                                  health_city, health_handler):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        subcase = subcase_of(application, health_city)
        with pytest.raises(ValidationError) as no_reasons:
            services.conclude_subcase(subcase, actor=health_handler, opinion="disagree", opinion_text=" ")
        with pytest.raises(ValidationError) as unknown:
            services.conclude_subcase(subcase, actor=health_handler, opinion="maybe", opinion_text="再议")

    assert no_reasons.value.message_dict == {"opinion_text": ["不同意的，须写明理由和依据。"]}
    assert unknown.value.message_dict == {"opinion": ["请选择同意或不同意。"]}
    subcase.refresh_from_db()
    assert subcase.status == SubCaseStatus.OPEN


def test_a_claimed_sub_case_is_concluded_by_whoever_claimed_it(joint_item, applicant_citizen, clerk_city,
                                                               health_city, health_handler, second_health_handler):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        subcase = services.claim_subcase(subcase_of(application, health_city), actor=health_handler)
        with pytest.raises(TransitionRefused, match="已由他人认领"):
            services.claim_subcase(subcase, actor=second_health_handler)
        with pytest.raises(PermissionDenied, match="已由他人认领"):
            services.conclude_subcase(subcase, actor=second_health_handler, opinion="agree", opinion_text="同意")
        services.conclude_subcase(subcase, actor=health_handler, opinion="agree", opinion_text="同意")
        with pytest.raises(TransitionRefused, match="协办件当前状态为“已出具意见”"):
            services.conclude_subcase(subcase, actor=health_handler, opinion="disagree", opinion_text="改为不同意")

    subcase.refresh_from_db()
    assert (subcase.opinion, subcase.concluded_by_name) == ("agree", str(health_handler))


# --- The combined decision ------------------------------------------------------------------------


def test_the_lead_decides_only_when_every_sub_case_has_concluded(
        joint_item, applicant_citizen, clerk_city, approver_city, health_city, market_a, health_handler,
        market_handler_a):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        services.claim_application(application, actor=approver_city)
        with pytest.raises(TransitionRefused) as waiting_for_both:
            services.decide(application, actor=approver_city, outcome="approve")
        conclude(application, health_city, health_handler)
        with pytest.raises(TransitionRefused) as waiting_for_one:
            services.decide(application, actor=approver_city, outcome="refuse", reasons="不符合条件。")
        conclude(application, market_a, market_handler_a)
        services.decide(application, actor=approver_city, outcome="approve")
        application = services.conclude_application(application, actor=clerk_city, served_method="in_person")

    assert waiting_for_both.value.messages == [
        "以下协办部门尚未出具协办意见，不能作出决定：江州市卫生健康委员会、江城区市场监督管理局。"]
    assert waiting_for_one.value.messages == ["以下协办部门尚未出具协办意见，不能作出决定：江城区市场监督管理局。"]
    assert application.status == ApplicationStatus.CONCLUDED
    assert application.decision.outcome == "approve"
    assert application.licence.department == application.department  # one result, at the lead's window


def test_a_disagreeing_department_means_the_combined_result_is_a_refusal(
        joint_item, applicant_citizen, clerk_city, approver_city, health_city, market_a, health_handler,
        market_handler_a):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        services.claim_application(application, actor=approver_city)
        conclude(application, health_city, health_handler)
        conclude(application, market_a, market_handler_a, opinion="disagree", text="电梯未经检验，不同意。")
        with pytest.raises(TransitionRefused) as refused:
            services.decide(application, actor=approver_city, outcome="approve")
        application.refresh_from_db()
        assert application.status == ApplicationStatus.IN_PROGRESS
        decision = services.decide(application, actor=approver_city, outcome="refuse",
                                   reasons="江城区市场监督管理局核查：电梯未经检验。")

    assert refused.value.messages == [
        "协办部门江城区市场监督管理局出具了不同意意见，不能准予许可；请作出不予许可决定并说明理由。"]
    assert decision.outcome == "refuse"


def test_only_the_lead_department_extends_a_joint_case(joint_item, applicant_citizen, clerk_city, health_approver):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        with pytest.raises(PermissionDenied) as not_the_lead:
            services.extend_deadline(application, actor=health_approver, days=15, reason="协办部门需要更多时间")

    assert str(not_the_lead.value) == "延期须由办理部门（联合办理的为牵头部门）负责人批准。"
    application.refresh_from_db()
    assert (application.status, application.extension_days) == (ApplicationStatus.IN_PROGRESS, 0)


def test_a_participant_from_another_region_cannot_take_the_cases_steps(joint_item, applicant_citizen, clerk_city,
                                                                       market_a):
    from portal.organisation.choices import Role
    from tests.factories import StaffFactory

    market_approver = StaffFactory(username="market_approver_a", department=market_a, roles=[Role.APPROVER])
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        with pytest.raises(PermissionDenied) as refused:
            services.claim_application(application, actor=market_approver)

    assert str(refused.value) == "协办部门只能办理本部门的协办件，主办件由牵头部门办理。"


def test_withdrawal_ends_the_open_sub_cases_and_keeps_given_opinions(
        joint_item, applicant_citizen, clerk_city, health_city, market_a, health_handler, market_handler_a):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        conclude(application, health_city, health_handler)
        services.withdraw_application(application, actor=applicant_citizen, reason="项目暂停")
        with pytest.raises(TransitionRefused, match="随主件终结"):
            services.claim_subcase(subcase_of(application, market_a), actor=market_handler_a)

    assert dict(application.subcases.values_list("department__code", "status")) == {
        "C-WJW": SubCaseStatus.CONCLUDED, "A-SCJ": SubCaseStatus.CANCELLED}
    assert AuditEntry.objects.get(event_type="approvals.subcase.cancel").data["case_status"] == "withdrawn"


# --- Clocks (TIME_RULES §10 and example 7) --------------------------------------------------------


def test_example_7_the_case_and_its_open_sub_cases_move_with_the_one_extension_of_15(
        joint_item, applicant_citizen, clerk_city, approver_city, health_city, market_a, health_handler):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
    with at(2026, 1, 6):
        conclude(application, health_city, health_handler)
    with at(2026, 1, 7):
        with pytest.raises(ValidationError) as too_long:
            services.extend_deadline(application, actor=approver_city, days=16, reason="联合踏勘")
        services.extend_deadline(application, actor=approver_city, days=15, reason="需组织联合踏勘")

    assert too_long.value.message_dict["days"] == ["延期应为 1 至 15 个工作日（《行政许可法》第四十二条）。"]
    application.refresh_from_db()
    assert (application.promised_due, application.statutory_due, application.deadline_epoch) == (
        date(2026, 4, 3), date(2026, 4, 3), 2)
    health, market = subcase_of(application, health_city), subcase_of(application, market_a)
    # The market regulator was still at work: its promise moves with the case (20 + 15 days).
    assert (market.extension_days, market.promised_due) == (15, date(2026, 2, 28))  # an adjusted working Saturday
    # The health commission had already given its opinion: its clock stopped, nothing moves.
    assert (health.extension_days, health.promised_due) == (0, date(2026, 1, 19))
    assert "第四十二条第二款" in AuditEntry.objects.get(event_type="approvals.application.extend").data["basis"]


def test_a_pause_of_the_case_pauses_its_sub_cases_and_a_concluded_one_stops_counting(
        joint_item, applicant_citizen, clerk_city, approver_city, health_city, market_a, health_handler):
    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        services.claim_application(application, actor=approver_city)
    with at(2026, 1, 7):
        services.pause_clock(application, actor=approver_city, reason="supplement", note="补正竣工图纸")
    with at(2026, 1, 9):
        with pytest.raises(TransitionRefused, match="暂停计时"):
            conclude(application, health_city, health_handler)
    with at(2026, 1, 12):
        application = services.resume_clock(application, actor=approver_city)

    # Paused (01-07, 01-12]: three working days go back on every clock.
    assert application.promised_due == date(2026, 3, 18)
    health, market = subcase_of(application, health_city), subcase_of(application, market_a)
    assert (health.promised_due, market.promised_due) == (date(2026, 1, 22), date(2026, 2, 5))
    assert services.subcase_clock_of(health, on=date(2026, 1, 12)).used == 2
    assert AuditEntry.objects.filter(event_type="approvals.subcase.refresh_deadline").count() == 2

    with at(2026, 1, 13):
        health = conclude(application, health_city, health_handler)
    later = services.subcase_clock_of(health, on=date(2026, 1, 30))
    assert (later.used, later.remaining, later.overdue) == (3, 7, False)  # stopped on 01-13
    assert services.subcase_clock_of(market, on=date(2026, 1, 30)).used == 16
    assert services.clock_of(application, on=date(2026, 1, 30)).used == 16


def test_extensions_of_single_department_cases_stay_at_10(food_item, applicant_citizen, clerk_district_a,
                                                        approver_a):
    with at(2026, 1, 5):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        with pytest.raises(ValidationError) as error:
            services.extend_deadline(application, actor=approver_a, days=15, reason="复杂")

    assert error.value.message_dict["days"] == ["延期应为 1 至 10 个工作日（《行政许可法》第四十二条）。"]


def test_the_sweep_reads_the_sub_cases_still_waiting_by_their_stored_deadline(
        joint_item, applicant_citizen, clerk_city, health_city, health_handler):
    from approvals.querysets import subcases_in_progress

    with at(2026, 1, 5):
        application = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
    assert list(subcases_in_progress().values_list("department__code", "promised_due")) == [
        ("C-WJW", date(2026, 1, 19)), ("A-SCJ", date(2026, 2, 2))]

    with at(2026, 1, 6):
        conclude(application, health_city, health_handler)
    assert list(subcases_in_progress().filter(promised_due__lte=date(2026, 2, 2))
                .values_list("department__code", flat=True)) == ["A-SCJ"]

    with at(2026, 1, 7):
        services.withdraw_application(application, actor=applicant_citizen)
    assert not subcases_in_progress().exists()
