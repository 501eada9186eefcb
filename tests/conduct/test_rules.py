"""Each off-system processing rule on hand-built cases: exactly the expected steps, with their
figures; tuning a parameter changes what is found; a second sweep adds nothing."""

from datetime import datetime, timedelta

import pytest

from approvals import services
from approvals.choices import StepKind
from approvals.clock import BEIJING
from approvals.models import Step
from supervision.conduct import services as conduct
from supervision.conduct.choices import RuleCode
from supervision.conduct.models import ConductFlag
from tests.conduct.conftest import accepted_case, at, file_online, handle, rule

pytestmark = pytest.mark.django_db


def flags_of(code):
    """(receipt number, step kind, figures) of the flags found under the rule's current parameters."""
    current = rule(code)
    from supervision.conduct.rules import effective_parameters, parameters_hash

    fingerprint = parameters_hash(effective_parameters(current.code, current.parameters))
    return sorted(
        (flag.application.receipt_number, flag.step.kind, flag.figures)
        for flag in ConductFlag.objects.filter(rule=current, parameters_hash=fingerprint)
        .select_related("application", "step")
    )


def tune(code, actor, **parameters):
    current = rule(code)
    return conduct.tune_rule(current, actor=actor, enabled=True,
                             parameters={**current.parameters, **parameters}, reason="按季度复盘调整阈值")


def test_late_online_acceptance_counts_working_days_from_arrival(
        food_item, applicant_citizen, clerk_district_a, supervisor_city):
    # Arrived Mon 2025-09-22; accepted Fri 09-26 (4 working days later) and Wed 09-24 (2).
    late = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22),
                         accepted_day=(2025, 9, 26))
    prompt = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22),
                           accepted_day=(2025, 9, 24))
    # Across the National Day holiday: arrived Tue 09-30, accepted Thu 10-09 — 1 working day.
    holiday = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 30),
                            accepted_day=(2025, 10, 9))
    # A one-time notice: counted from the applicant's answer (10-09), accepted 10-10.
    with at(2025, 9, 22):
        noticed = file_online(food_item, applicant_citizen, materials=(1,))
    with at(2025, 9, 23):
        services.issue_one_time_notice(noticed, actor=clerk_district_a,
                                       items=[{"material": "营业执照", "requirement": "请提交复印件", "position": 2}])
    with at(2025, 10, 9):
        services.record_material(noticed, 2, actor=applicant_citizen, state="provided")
        services.resubmit_application(noticed, actor=applicant_citizen)
    with at(2025, 10, 10):
        services.accept_application(noticed, actor=clerk_district_a)

    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.LATE_ONLINE_ACCEPTANCE) == [
        (late.receipt_number, StepKind.ACCEPT, {"working_days": 4, "threshold": 3}),
    ]
    flag = ConductFlag.objects.get(rule__code=RuleCode.LATE_ONLINE_ACCEPTANCE)
    assert flag.explanation == "受理时间比网上申报到达晚 4 个工作日（阈值 3）"
    assert flag.department == late.department and flag.region_path == late.region_path

    tune(RuleCode.LATE_ONLINE_ACCEPTANCE, supervisor_city, working_days=1)
    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.LATE_ONLINE_ACCEPTANCE) == sorted([
        (late.receipt_number, StepKind.ACCEPT, {"working_days": 4, "threshold": 1}),
        (prompt.receipt_number, StepKind.ACCEPT, {"working_days": 2, "threshold": 1}),
    ])
    assert holiday.receipt_number not in {row[0] for row in flags_of(RuleCode.LATE_ONLINE_ACCEPTANCE)}


def test_window_intake_and_deemed_acceptance_are_not_late_acceptances(
        food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 26):
        deemed = file_online(food_item, applicant_citizen)
    with at(2025, 10, 11):
        services.deem_accepted(deemed, as_of=services.today())
    conduct.sweep_conduct_rules()

    assert Step.objects.filter(application=deemed, kind=StepKind.ACCEPT).exists()
    assert flags_of(RuleCode.LATE_ONLINE_ACCEPTANCE) == []


@pytest.fixture
def five_cases(food_item, applicant_citizen, clerk_district_a):
    return [accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22)) for _ in range(5)]


def test_burst_flags_every_step_of_a_burst_on_different_cases(five_cases, handler_a, supervisor_city):
    # Claimed in the morning, then "handled" at 14:00, 14:02 … 14:08: entered after the fact.
    for minute, application in zip(range(0, 10, 2), five_cases, strict=True):
        handle(application, handler_a, claimed=(2025, 9, 23, 10, minute), completed=(2025, 9, 23, 14, minute))
    conduct.sweep_conduct_rules()

    expected = sorted((application.receipt_number, StepKind.HANDLE,
                       {"cases": 5, "minutes": 10, "threshold": 5}) for application in five_cases)
    assert flags_of(RuleCode.STEP_BURST) == expected
    assert ConductFlag.objects.filter(rule__code=RuleCode.STEP_BURST).first().explanation == (
        "同一人员在 10 分钟内对 5 个不同办件录入办理环节（阈值 5 件）")

    # Within 5 minutes at most three cases fall together: no burst of five …
    tune(RuleCode.STEP_BURST, supervisor_city, minutes=5)
    conduct.sweep_conduct_rules()
    assert flags_of(RuleCode.STEP_BURST) == []
    # … but every step lies in a five-minute window of three.
    tune(RuleCode.STEP_BURST, supervisor_city, minutes=5, steps=3)
    conduct.sweep_conduct_rules()
    assert flags_of(RuleCode.STEP_BURST) == sorted(
        (application.receipt_number, StepKind.HANDLE, {"cases": 3, "minutes": 5, "threshold": 3})
        for application in five_cases)


def test_burst_ignores_steps_spread_out_or_by_different_people(
        five_cases, handler_a, second_handler_a, supervisor_city):
    tune(RuleCode.STEP_BURST, supervisor_city, steps=4)
    # Four cases within eight minutes, but by two people (3 + 1); the same person's fourth an hour later.
    for minute, application in zip(range(0, 8, 2), five_cases[:4], strict=True):
        person = handler_a if minute < 6 else second_handler_a
        handle(application, person, claimed=(2025, 9, 23, 10, minute), completed=(2025, 9, 23, 14, minute))
    handle(five_cases[4], handler_a, claimed=(2025, 9, 23, 10, 30), completed=(2025, 9, 23, 15, 30))
    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.STEP_BURST) == []


def test_short_steps_are_claimed_steps_done_within_seconds(five_cases, handler_a, supervisor_city):
    instant, two_minutes, slow = five_cases[:3]
    handle(instant, handler_a, claimed=(2025, 9, 23, 10, 0), completed=(2025, 9, 23, 10, 0))
    handle(two_minutes, handler_a, claimed=(2025, 9, 23, 11, 0), completed=(2025, 9, 23, 11, 2))
    handle(slow, handler_a, claimed=(2025, 9, 23, 12, 0), completed=(2025, 9, 23, 15, 0))
    # Thirty seconds, set on the recorded step (the clock helper has minutes only).
    Step.objects.filter(application=instant, kind=StepKind.HANDLE).update(
        started_at=datetime(2025, 9, 23, 9, 59, 30, tzinfo=BEIJING))
    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.SHORT_STEP) == [
        (instant.receipt_number, StepKind.HANDLE, {"seconds": 30, "threshold": 60})]
    # The acceptance at the window (no claim) is never a "short step".
    assert not ConductFlag.objects.filter(rule__code=RuleCode.SHORT_STEP, step__kind=StepKind.ACCEPT).exists()

    tune(RuleCode.SHORT_STEP, supervisor_city, seconds=150)
    conduct.sweep_conduct_rules()
    assert flags_of(RuleCode.SHORT_STEP) == sorted([
        (instant.receipt_number, StepKind.HANDLE, {"seconds": 30, "threshold": 150}),
        (two_minutes.receipt_number, StepKind.HANDLE, {"seconds": 120, "threshold": 150}),
    ])


def test_long_steps_count_working_days_and_skip_paused_stretches(five_cases, handler_a, supervisor_city):
    twenty, four, paused = five_cases[:3]
    # TIME_RULES example 1: (2025-09-22, 2025-10-24] holds 20 working days.
    handle(twenty, handler_a, claimed=(2025, 9, 22, 10, 0), completed=(2025, 10, 24, 10, 0))
    handle(four, handler_a, claimed=(2025, 9, 22, 10, 0), completed=(2025, 9, 26, 10, 0))
    with at(2025, 9, 22, 10, 0):
        services.claim_application(paused, actor=handler_a)
    with at(2025, 9, 23):
        services.pause_clock(paused, actor=handler_a, reason="supplement", note="补充现场照片")
    with at(2025, 10, 13):
        services.resume_clock(paused, actor=handler_a)
    with at(2025, 10, 24):
        services.complete_step(paused, actor=handler_a, opinion="符合条件。")
    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.LONG_STEP) == [
        (twenty.receipt_number, StepKind.HANDLE, {"working_days": 20, "threshold": 10})]

    tune(RuleCode.LONG_STEP, supervisor_city, working_days=3)
    conduct.sweep_conduct_rules()
    assert flags_of(RuleCode.LONG_STEP) == sorted([
        (twenty.receipt_number, StepKind.HANDLE, {"working_days": 20, "threshold": 3}),
        (four.receipt_number, StepKind.HANDLE, {"working_days": 4, "threshold": 3}),
    ])


def test_claimed_time_gap_uses_the_platform_limit_by_default(five_cases, handler_a, supervisor_city, settings):
    assert rule(RuleCode.CLAIMED_TIME_GAP).parameters == {"minutes": settings.CLAIMED_TIME_GAP_LIMIT_MINUTES}
    recorded = datetime(2025, 9, 23, 15, 0, tzinfo=BEIJING)
    three_hours, one_hour, honest = five_cases[:3]
    handle(three_hours, handler_a, claimed=(2025, 9, 23, 9, 0), completed=(2025, 9, 23, 15, 0),
           claimed_acted_at=recorded - timedelta(hours=3))
    handle(one_hour, handler_a, claimed=(2025, 9, 23, 9, 5), completed=(2025, 9, 23, 15, 0),
           claimed_acted_at=recorded - timedelta(hours=1))
    handle(honest, handler_a, claimed=(2025, 9, 23, 9, 10), completed=(2025, 9, 23, 15, 0))
    conduct.sweep_conduct_rules()

    assert flags_of(RuleCode.CLAIMED_TIME_GAP) == [
        (three_hours.receipt_number, StepKind.HANDLE, {"minutes": 180, "threshold": 120})]
    assert ConductFlag.objects.get(rule__code=RuleCode.CLAIMED_TIME_GAP).explanation == (
        "声称办理时间与平台记录时间相差 180 分钟（阈值 120 分钟）")

    tune(RuleCode.CLAIMED_TIME_GAP, supervisor_city, minutes=30)
    conduct.sweep_conduct_rules()
    assert flags_of(RuleCode.CLAIMED_TIME_GAP) == sorted([
        (three_hours.receipt_number, StepKind.HANDLE, {"minutes": 180, "threshold": 30}),
        (one_hour.receipt_number, StepKind.HANDLE, {"minutes": 60, "threshold": 30}),
    ])


def test_sweeping_twice_adds_nothing_and_a_disabled_rule_finds_nothing(five_cases, handler_a, supervisor_city):
    for minute, application in zip(range(0, 10, 2), five_cases, strict=True):
        handle(application, handler_a, claimed=(2025, 9, 23, 14, minute), completed=(2025, 9, 23, 14, minute))

    first = conduct.sweep_conduct_rules()
    count = ConductFlag.objects.count()
    second = conduct.sweep_conduct_rules()

    assert first[RuleCode.STEP_BURST] == 5 and first[RuleCode.SHORT_STEP] == 5
    assert set(second.values()) == {0}
    assert ConductFlag.objects.count() == count == 10

    current = rule(RuleCode.SHORT_STEP)
    conduct.tune_rule(current, actor=supervisor_city, enabled=False, parameters=current.parameters,
                      reason="试运行期间暂停")
    added = conduct.sweep_conduct_rules()
    assert RuleCode.SHORT_STEP not in added
    # Tuning back to the first parameters finds the first flags again: nothing new.
    tune(RuleCode.STEP_BURST, supervisor_city, minutes=12)
    conduct.sweep_conduct_rules()
    tune(RuleCode.STEP_BURST, supervisor_city, minutes=10)
    assert conduct.sweep_conduct_rules()[RuleCode.STEP_BURST] == 0
    assert ConductFlag.objects.filter(rule__code=RuleCode.STEP_BURST).count() == 10
