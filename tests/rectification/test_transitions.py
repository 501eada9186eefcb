"""Every move of a rectification, who may make it, and what it leaves behind."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from approvals.models import Rating
from portal.audit.models import AuditEntry
from portal.notifications.models import Notification
from supervision.rectification import services
from supervision.rectification.choices import EntryKind, RectificationStatus
from supervision.rectification.models import Callback
from supervision.rectification.querysets import excluded_rating_ids
from supervision.rectification.transitions import TransitionRefused
from tests.rectification.conftest import at

pytestmark = pytest.mark.django_db

S = RectificationStatus


def kinds(case) -> list[str]:
    return list(case.entries.values_list("kind", flat=True))


def test_the_department_rectifies_and_the_supervisor_accepts(case, handler_a, supervisor_district_a, approver_a):
    services.submit_rectification(case, actor=handler_a, measures="约谈窗口人员，推行首问负责，已向申请人致歉")

    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert Notification.objects.filter(recipient=supervisor_district_a, subject="整改情况待审核").count() == 1

    services.accept_rectification(case, actor=supervisor_district_a, opinion="整改到位")

    case.refresh_from_db()
    assert (case.status, case.is_closed, case.rating_excluded) == (S.RECTIFIED, True, False)
    assert case.closed_at is not None
    assert kinds(case) == [EntryKind.OPENED, EntryKind.RECTIFICATION_SUBMITTED, EntryKind.ACCEPTED]
    assert Notification.objects.filter(recipient=approver_a, subject="整改审核通过").count() == 1
    assert list(AuditEntry.objects.filter(target_id=str(case.pk), event_type__startswith="rectification.case.")
                .order_by("seq").values_list("event_type", flat=True)) == [
        "rectification.case.opened", "rectification.case.submit_rectification",
        "rectification.case.accept_rectification"]


def test_a_returned_rectification_goes_back_to_the_department_with_reasons(case, handler_a, supervisor_district_a):
    services.submit_rectification(case, actor=handler_a, measures="已整改")

    services.return_rectification(case, actor=supervisor_district_a, reasons="未说明具体措施")

    case.refresh_from_db()
    assert case.status == S.OPEN
    assert case.entries.get(kind=EntryKind.RETURNED).text == "未说明具体措施"
    contact = Notification.objects.get(idempotency_key__endswith=":contact", subject="整改被退回")
    assert "未说明具体措施" in contact.body and "2025-10-28" in contact.body


def test_returning_needs_reasons(case, handler_a, supervisor_district_a):
    services.submit_rectification(case, actor=handler_a, measures="已整改")

    with pytest.raises(ValidationError, match="请填写退回理由"):
        services.return_rectification(case, actor=supervisor_district_a, reasons="  ")
    case.refresh_from_db()
    assert case.status == S.SUBMITTED


def test_an_invalid_review_is_closed_and_left_out_of_satisfaction(case, approver_a, supervisor_city):
    services.request_invalidity(case, actor=approver_a, ground="unrelated",
                                reasons="申请人不满的是法定收费标准，与窗口服务无关")
    case.refresh_from_db()
    assert (case.status, case.invalidity_ground) == (S.INVALIDITY_REQUESTED, "unrelated")

    services.judge_invalid(case, actor=supervisor_city, opinion="经核实，属与服务无关的评价")

    case.refresh_from_db()
    assert (case.status, case.rating_excluded) == (S.INVALID, True)
    assert list(excluded_rating_ids().values_list("rating_id", flat=True)) == [case.rating_id]
    assert list(Rating.objects.exclude(pk__in=excluded_rating_ids())) == []


def test_a_rejected_invalidity_request_goes_back_to_rectification(case, approver_a, supervisor_district_a):
    services.request_invalidity(case, actor=approver_a, ground="malicious", reasons="恶意差评")

    services.reject_invalidity(case, actor=supervisor_district_a, reasons="申请人反映的问题属实")

    case.refresh_from_db()
    assert (case.status, case.rating_excluded, case.invalidity_ground) == (S.OPEN, False, "")
    assert not excluded_rating_ids().exists()


def test_invalidity_needs_a_ground_and_reasons(case, approver_a):
    with pytest.raises(ValidationError, match="理由类别"):
        services.request_invalidity(case, actor=approver_a, ground="because", reasons="恶意差评")
    with pytest.raises(ValidationError, match="请填写申请认定无效差评的理由"):
        services.request_invalidity(case, actor=approver_a, ground="malicious", reasons="")
    case.refresh_from_db()
    assert case.status == S.OPEN


def test_impossible_to_rectify_is_decided_by_the_supervisor(rate, handler_a, supervisor_district_a):
    judged = rate(2).rectification
    rejected = rate(1).rectification
    for case in (judged, rejected):
        services.request_impossibility(case, actor=handler_a, reasons="申请人要求的减免无法律依据")

    services.judge_impossible(judged, actor=supervisor_district_a)
    services.reject_impossibility(rejected, actor=supervisor_district_a, reasons="可通过延长办公时间改进")

    judged.refresh_from_db()
    rejected.refresh_from_db()
    assert (judged.status, judged.is_closed, judged.rating_excluded) == (S.IMPOSSIBLE, True, False)
    assert rejected.status == S.OPEN
    assert kinds(rejected)[-1] == EntryKind.IMPOSSIBILITY_REJECTED


def test_a_required_callback_must_be_recorded_before_accepting(case, handler_a, supervisor_district_a):
    services.require_callback(case, actor=supervisor_district_a)
    with pytest.raises(TransitionRefused, match="已要求回访"):
        services.require_callback(case, actor=supervisor_district_a)
    services.submit_rectification(case, actor=handler_a, measures="已整改并致歉")

    with pytest.raises(TransitionRefused, match="至少记录一次回访"):
        services.accept_rectification(case, actor=supervisor_district_a)

    with at(2025, 10, 10):
        callback = services.record_callback(case, actor=handler_a, called_on=date(2025, 10, 10), method="phone",
                                            satisfaction=4, note="申请人表示满意")
        services.accept_rectification(case, actor=supervisor_district_a)
    case.refresh_from_db()
    assert case.status == S.RECTIFIED
    assert (callback.get_method_display(), callback.get_satisfaction_display(), callback.recorded_by_name) == (
        "电话回访", "满意", str(handler_a))


def test_callbacks_are_checked(case, handler_a):
    with at(2025, 10, 10):
        with pytest.raises(ValidationError, match="不能晚于今天"):
            services.record_callback(case, actor=handler_a, called_on=date(2025, 10, 11), method="phone",
                                     satisfaction=4)
        with pytest.raises(ValidationError, match="不能早于差评日期"):
            services.record_callback(case, actor=handler_a, called_on=date(2025, 9, 29), method="visit",
                                     satisfaction=4)
        with pytest.raises(ValidationError, match="回访方式"):
            services.record_callback(case, actor=handler_a, called_on=date(2025, 10, 9), method="letter",
                                     satisfaction=4)
        with pytest.raises(ValidationError, match="满意度"):
            services.record_callback(case, actor=handler_a, called_on=date(2025, 10, 9), method="online",
                                     satisfaction=9)
    assert not Callback.objects.exists()


def test_moves_out_of_turn_are_refused_in_chinese(case, handler_a, supervisor_district_a):
    with pytest.raises(TransitionRefused, match="整改件当前状态为“待整改”，不能执行“审核通过”"):
        services.accept_rectification(case, actor=supervisor_district_a)
    services.submit_rectification(case, actor=handler_a, measures="已整改")
    with pytest.raises(TransitionRefused, match="不能执行“申请认定无效差评”"):
        services.request_invalidity(case, actor=handler_a, ground="malicious", reasons="恶意")


# --- Who may act: the permission matrix ----------------------------------------------------------

DEPARTMENT_ACTIONS = {
    "submit_rectification": lambda case, actor: services.submit_rectification(case, actor=actor, measures="已整改"),
    "request_invalidity": lambda case, actor: services.request_invalidity(case, actor=actor, ground="malicious",
                                                                          reasons="恶意差评"),
    "request_impossibility": lambda case, actor: services.request_impossibility(case, actor=actor, reasons="无法"),
}
SUPERVISOR_ACTIONS = {
    # (what puts the case in the state the decision is taken from, the decision)
    "accept_rectification": ("submit_rectification",
                             lambda case, actor: services.accept_rectification(case, actor=actor)),
    "return_rectification": ("submit_rectification",
                             lambda case, actor: services.return_rectification(case, actor=actor, reasons="不到位")),
    "judge_invalid": ("request_invalidity", lambda case, actor: services.judge_invalid(case, actor=actor)),
    "reject_invalidity": ("request_invalidity",
                          lambda case, actor: services.reject_invalidity(case, actor=actor, reasons="属实")),
    "judge_impossible": ("request_impossibility", lambda case, actor: services.judge_impossible(case, actor=actor)),
    "reject_impossibility": ("request_impossibility",
                             lambda case, actor: services.reject_impossibility(case, actor=actor, reasons="可整改")),
}


@pytest.mark.parametrize("action", DEPARTMENT_ACTIONS)
@pytest.mark.parametrize("who", ["applicant_citizen", "supervisor_district_a", "supervisor_district_b",
                                 "market_handler_a", "admin_district_a", "outsider"])
def test_only_the_department_submits(request, case, action, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        DEPARTMENT_ACTIONS[action](case, actor)

    case.refresh_from_db()
    assert (case.status, kinds(case)) == (S.OPEN, [EntryKind.OPENED])


@pytest.mark.parametrize("action", DEPARTMENT_ACTIONS)
@pytest.mark.parametrize("who", ["handler_a", "approver_a", "clerk_district_a"])
def test_the_departments_staff_submit(request, case, action, who):
    DEPARTMENT_ACTIONS[action](case, request.getfixturevalue(who))

    case.refresh_from_db()
    assert case.status != S.OPEN


@pytest.mark.parametrize("action", SUPERVISOR_ACTIONS)
@pytest.mark.parametrize("who", ["applicant_citizen", "handler_a", "approver_a", "supervisor_district_b",
                                 "admin_district_a", "outsider"])
def test_only_a_supervisor_over_the_region_decides(request, case, approver_a, action, who):
    setup, decide = SUPERVISOR_ACTIONS[action]
    DEPARTMENT_ACTIONS[setup](case, approver_a)
    case.refresh_from_db()
    waiting = case.status

    with pytest.raises(PermissionDenied):
        decide(case, request.getfixturevalue(who))

    case.refresh_from_db()
    assert case.status == waiting
    assert len(kinds(case)) == 2


@pytest.mark.parametrize("action", SUPERVISOR_ACTIONS)
@pytest.mark.parametrize("who", ["supervisor_district_a", "supervisor_city"])
def test_supervisors_over_the_region_decide(request, case, approver_a, action, who):
    setup, decide = SUPERVISOR_ACTIONS[action]
    DEPARTMENT_ACTIONS[setup](case, approver_a)

    decide(case, request.getfixturevalue(who))

    case.refresh_from_db()
    assert case.status in (S.OPEN, S.RECTIFIED, S.INVALID, S.IMPOSSIBLE)
    assert len(kinds(case)) == 3


@pytest.mark.parametrize("who", ["applicant_citizen", "supervisor_district_b", "market_handler_a"])
def test_strangers_record_no_callback(request, case, who):
    with at(2025, 10, 10), pytest.raises(PermissionDenied):
        services.record_callback(case, actor=request.getfixturevalue(who), called_on=date(2025, 10, 10),
                                 method="phone", satisfaction=3)
    assert not Callback.objects.exists()


def test_supervisors_of_the_region_record_callbacks_too(case, supervisor_city):
    with at(2025, 10, 10):
        services.record_callback(case, actor=supervisor_city, called_on=date(2025, 10, 9), method="visit",
                                 satisfaction=5)
    assert Callback.objects.get().recorded_by == supervisor_city
