"""The lifecycle through the services: filing, pre-review, the chain, decision, licence."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from approvals import services
from approvals.choices import ApplicationStatus, MaterialState, StepKind
from approvals.models import Licence
from approvals.transitions import TransitionRefused
from portal.audit.models import AuditEntry
from tests.approvals.conftest import at, file_online

pytestmark = pytest.mark.django_db


def test_online_filing_gets_a_receipt_number_and_a_receipt_day(food_item, applicant_citizen):
    with at(2025, 10, 4):  # National Day holiday: received on the next working day
        application = file_online(food_item, applicant_citizen)

    assert application.status == ApplicationStatus.SUBMITTED
    assert application.receipt_number == "JZ2025100400001"
    assert application.received_on == date(2025, 10, 9)


def test_receipt_numbers_are_unique_and_sequential_per_day(food_item, applicant_citizen):
    with at(2025, 9, 22):
        first = file_online(food_item, applicant_citizen)
        second = file_online(food_item, applicant_citizen)

    assert (first.receipt_number, second.receipt_number) == ("JZ2025092200001", "JZ2025092200002")


def test_invalid_identity_code_is_refused_with_a_clear_message(food_item, applicant_citizen):
    with pytest.raises(ValidationError) as error:
        services.start_application(food_item.published_version, actor=applicant_citizen, subject_type="citizen",
                                   applicant_name="张伟", identity_code="110105194912310021",
                                   contact_phone="13900001111")

    assert error.value.message_dict["identity_code"] == ["身份证号码校验位不正确，请核对后重新输入。"]


def test_five_step_chain_from_acceptance_to_licence(food_item, applicant_citizen, clerk_district_a, handler_a,
                                                    reviewer_a, approver_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        application = services.accept_application(application, actor=clerk_district_a)
    assert (application.accepted_on, application.promised_due, application.current_step) == (
        date(2025, 9, 22), date(2025, 10, 24), StepKind.HANDLE)

    with at(2025, 9, 23):
        services.claim_application(application, actor=handler_a)
        services.complete_step(application, actor=handler_a, opinion="材料齐全，符合条件，建议准予许可。")
        services.claim_application(application, actor=reviewer_a)
        services.complete_step(application, actor=reviewer_a, opinion="同意承办意见。")
        services.claim_application(application, actor=approver_a)
        decision = services.decide(application, actor=approver_a, outcome="approve")
        application = services.conclude_application(application, actor=clerk_district_a, served_method="in_person")

    assert application.status == ApplicationStatus.CONCLUDED
    assert decision.licence_due == date(2025, 10, 13)  # Sun 09-28 and Sat 10-11 were working days
    assert [step.kind for step in application.steps.all()] == ["accept", "handle", "review", "approve", "conclude"]
    assert all(step.signature for step in application.steps.all())
    licence = Licence.objects.get(application=application)
    assert (licence.holder_code, licence.status, licence.valid_from) == ("11010519491231002X", "valid",
                                                                        date(2025, 9, 23))
    events = list(AuditEntry.objects.filter(event_type__startswith="approvals.application.")
                  .order_by("id").values_list("event_type", flat=True))
    assert events == [
        "approvals.application.created", "approvals.application.submit", "approvals.application.accept",
        "approvals.application.claim", "approvals.application.complete_step", "approvals.application.claim",
        "approvals.application.complete_step", "approvals.application.claim", "approvals.application.approve",
        "approvals.application.conclude",
    ]


def test_two_step_chain(two_step_item, applicant_citizen, clerk_district_a, approver_a):
    with at(2025, 9, 22):
        application = file_online(two_step_item, applicant_citizen, materials=(1,))
        application = services.accept_application(application, actor=clerk_district_a)
        assert application.current_step == StepKind.APPROVE_CONCLUDE
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="approve")
        application = services.conclude_application(application, actor=approver_a, served_method="electronic")

    assert [step.kind for step in application.steps.all()] == ["accept_review", "approve_conclude",
                                                               "approve_conclude"]


def test_incomplete_materials_cannot_be_accepted_and_the_notice_is_issued_once(
        food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen, materials=(1,))
        with pytest.raises(TransitionRefused) as refused:
            services.accept_application(application, actor=clerk_district_a)
        assert "营业执照" in refused.value.messages[0]

        services.issue_one_time_notice(application, actor=clerk_district_a,
                                       items=[{"material": "营业执照", "requirement": "提交营业执照复印件并加盖公章"}])
        application.refresh_from_db()
        assert application.status == ApplicationStatus.CORRECTION

        with pytest.raises(TransitionRefused, match="以下必要材料尚未提交，请补齐后再提交：营业执照。"):
            services.resubmit_application(application, actor=applicant_citizen)
        services.record_material(application, 2, actor=applicant_citizen, state=MaterialState.PROVIDED)
        services.resubmit_application(application, actor=applicant_citizen)
        with pytest.raises(TransitionRefused, match="一次性告知只能发出一次"):
            services.issue_one_time_notice(application, actor=clerk_district_a,
                                           items=[{"material": "场所平面图", "requirement": "补充"}])


def test_a_material_found_wanting_must_be_supplied_again_before_acceptance(food_item, applicant_citizen,
                                                                          clerk_district_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        services.issue_one_time_notice(application, actor=clerk_district_a, items=[
            {"material": "营业执照", "position": 2, "requirement": "请上传清晰的营业执照副本"}])
        with pytest.raises(TransitionRefused, match="以下必要材料尚未提交，请补齐后再提交：营业执照。"):
            services.resubmit_application(application, actor=applicant_citizen)
        services.record_material(application, 2, actor=applicant_citizen, state=MaterialState.PROVIDED)
        services.resubmit_application(application, actor=applicant_citizen)
        services.accept_application(application, actor=clerk_district_a)

    assert application.notices.get().items[0]["problem"] == "不符合要求"
    assert application.status == ApplicationStatus.IN_PROGRESS


@pytest.mark.parametrize(("items", "message"), [
    ([{"material": "营业执照", "position": 9, "requirement": "补充"}], "申请材料清单中没有第 9 项。"),
    ([{"material": "营业执照", "position": 2, "requirement": "a"}, {"material": "营业执照", "position": 2,
                                                                    "requirement": "b"}],
     "同一材料只能告知一次，请把补正要求写在一起。"),
    ([{"material": "营业执照", "position": "二", "requirement": "补充"}], "材料序号应为整数。"),
])
def test_a_notice_about_a_material_not_on_the_checklist_is_refused(food_item, applicant_citizen, clerk_district_a,
                                                                  items, message):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        with pytest.raises(ValidationError) as error:
            services.issue_one_time_notice(application, actor=clerk_district_a, items=items)

    assert error.value.message_dict["items"] == [message]
    application.refresh_from_db()
    assert (application.status, application.notices.count()) == (ApplicationStatus.SUBMITTED, 0)


def test_refusal_to_accept_needs_a_reason(food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        with pytest.raises(ValidationError):
            services.refuse_acceptance(application, actor=clerk_district_a, reason=" ")
        application = services.refuse_acceptance(application, actor=clerk_district_a, reason="不属于本机关职权范围。")

    assert (application.status, application.closing_reason) == (ApplicationStatus.NOT_ACCEPTED, "不属于本机关职权范围。")


def test_deemed_acceptance_after_five_working_days_backdated_to_receipt(food_item, applicant_citizen):
    with at(2025, 9, 26):
        application = file_online(food_item, applicant_citizen)

    assert services.deem_overdue_filings_accepted(as_of=date(2025, 10, 10)) == 0
    assert services.deem_overdue_filings_accepted(as_of=date(2025, 10, 11)) == 1

    application.refresh_from_db()
    assert (application.status, application.accepted_on, application.deemed_accepted) == (
        ApplicationStatus.IN_PROGRESS, date(2025, 9, 26), True)
    assert application.promised_due == date(2025, 10, 30)
    entry = AuditEntry.objects.get(event_type="approvals.application.deem_accepted")
    assert "第三十二条" in entry.data["rule"]
    assert (entry.actor_id, entry.actor_username) == (None, "")  # the system, not a person


def test_no_deemed_acceptance_after_a_timely_one_time_notice(food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 26):
        application = file_online(food_item, applicant_citizen, materials=(1,))
        services.issue_one_time_notice(application, actor=clerk_district_a,
                                       items=[{"material": "营业执照", "requirement": "复印件"}])

    assert services.deem_overdue_filings_accepted(as_of=date(2025, 10, 20)) == 0


def test_pause_and_extension_across_the_national_day_holiday(food_item, applicant_citizen, clerk_district_a,
                                                             handler_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        services.claim_application(application, actor=handler_a)
    with at(2025, 9, 25):
        services.pause_clock(application, actor=handler_a, reason="supplement", note="补正场所平面图")
    with at(2025, 10, 13):
        application = services.resume_clock(application, actor=handler_a)
    assert application.promised_due == date(2025, 11, 5)
    assert services.clock_of(application, on=date(2025, 10, 13)).used == 3

    with at(2025, 10, 14):
        services.extend_deadline(application, actor=approver_a, days=10, reason="需组织现场核查")
        with pytest.raises(TransitionRefused, match="只能延期一次"):
            services.extend_deadline(application, actor=approver_a, days=2, reason="再次延期")
    application.refresh_from_db()
    assert (application.promised_due, application.statutory_due, application.deadline_epoch) == (
        date(2025, 11, 19), date(2025, 11, 19), 2)


def test_extension_is_capped_at_10_working_days(food_item, applicant_citizen, clerk_district_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        with pytest.raises(ValidationError) as error:
            services.extend_deadline(application, actor=approver_a, days=11, reason="复杂")

    assert error.value.message_dict["days"] == ["延期应为 1 至 10 个工作日（《行政许可法》第四十二条）。"]


def test_a_claimed_case_cannot_be_claimed_by_another(food_item, applicant_citizen, clerk_district_a, handler_a,
                                                     second_handler_a, reviewer_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        services.claim_application(application, actor=handler_a)

        with pytest.raises(PermissionDenied):
            services.claim_application(application, actor=reviewer_a)  # not the reviewer's step
        with pytest.raises(TransitionRefused, match="已由他人认领"):
            services.claim_application(application, actor=second_handler_a)

    application.refresh_from_db()
    assert application.assignee == handler_a


def test_clerk_of_another_district_cannot_accept(food_item, applicant_citizen, clerk_district_b):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        with pytest.raises(PermissionDenied):
            services.accept_application(application, actor=clerk_district_b)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_applicant_withdraws_before_the_decision_but_not_after(food_item, applicant_citizen, clerk_district_a,
                                                              handler_a, reviewer_a, approver_a):
    with at(2025, 9, 22):
        first = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        second = file_online(food_item, applicant_citizen)
        assert services.withdraw_application(second, actor=applicant_citizen).status == ApplicationStatus.WITHDRAWN
        for actor in (handler_a, reviewer_a):
            services.claim_application(first, actor=actor)
            services.complete_step(first, actor=actor, opinion="同意")
        services.claim_application(first, actor=approver_a)
        services.decide(first, actor=approver_a, outcome="refuse", reasons="经营场所与住宅未有效隔离。")
        with pytest.raises(TransitionRefused):
            services.withdraw_application(first, actor=applicant_citizen)


def test_refusal_needs_reasons(food_item, applicant_citizen, clerk_district_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        with pytest.raises(ValidationError) as error:
            services.decide(application, actor=approver_a, outcome="refuse", reasons="")

    assert error.value.message_dict["reasons"] == ["不予许可须说明理由（《行政许可法》第三十八条）。"]


def test_licence_reuse_fills_the_material_from_the_library(food_item, applicant_citizen, bureau_a):
    from approvals.models import Licence as LicenceModel

    LicenceModel.objects.create(number="YZ-0001", item_version=food_item.published_version, licence_name="营业执照",
                                holder_name="张伟", holder_code="11010519491231002X", department=bureau_a,
                                region_path=bureau_a.region.path, issued_on=date(2024, 1, 2),
                                valid_from=date(2024, 1, 2))

    application = services.start_application(
        food_item.published_version, actor=applicant_citizen, subject_type="citizen", applicant_name="张伟",
        identity_code="11010519491231002X", contact_phone="13900001111")

    licence_row = application.materials.get(position=2)
    assert licence_row.state == MaterialState.REUSED
    assert licence_row.note == "已从电子证照库调取：营业执照（YZ-0001）"


def test_staff_filing_for_an_applicant_is_recorded(food_item, applicant_citizen, clerk_district_a):
    application = services.start_application(
        food_item.published_version, actor=clerk_district_a, applicant=applicant_citizen, subject_type="citizen",
        applicant_name="张伟", identity_code="11010519491231002X", contact_phone="13900001111", channel="window")

    assert (application.applicant, application.filed_by) == (applicant_citizen, clerk_district_a)
    assert AuditEntry.objects.get(event_type="approvals.application.created").data["filed_for_applicant"] is True


def test_an_applicant_files_only_under_their_own_identity(food_item, applicant_citizen):
    with pytest.raises(ValidationError) as error:
        services.start_application(food_item.published_version, actor=applicant_citizen, subject_type="enterprise",
                                   applicant_name="别人的公司", identity_code="91350100M000100Y43",
                                   contact_phone="13900001111")

    assert error.value.message_dict["identity_code"] == ["只能以本账号登记的主体身份申报。"]


def test_an_evening_filing_accepted_the_same_evening_dates_from_its_receipt_day(food_item, applicant_citizen,
                                                                                 clerk_district_a):
    with at(2025, 9, 22, 20, 30):  # after office hours: received on Tue 09-23
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)

    assert (application.received_on, application.accepted_on) == (date(2025, 9, 23), date(2025, 9, 23))
    assert application.promised_due == date(2025, 10, 27)
