"""Joint cases' sub-cases light up on their own promised limits (TIME_RULES §10).

A city bureau leads a joint case of 45 working days accepted Mon 2026-01-05 (TIME_RULES example
7); the city health commission promised 10 (due 2026-01-19), district A's market regulator 20
(due 2026-02-02). The sub-case crossing its own line is lit; the case, far from its own, is not.
"""

import random
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from approvals import services as approvals
from approvals.models import SubCase
from portal.notifications.models import Notification
from portal.outbox import services as outbox
from portal.workdays import add_working_days
from supervision import querysets, services
from supervision.models import TimeLimitWarning
from supervision.thresholds import DEFAULT_THRESHOLD, subcase_colours_holding, subcase_colours_to_raise
from tests.approvals.conftest import (  # noqa: F401 (fixtures)
    accepted_joint_case,
    approver_city,
    at,
    clerk_city,
    health_city,
    health_handler,
    joint_item,
    market_handler_a,
)

pytestmark = pytest.mark.django_db
D = date


@pytest.fixture
def joint_case(joint_item, applicant_citizen, clerk_city):  # noqa: F811
    with at(2026, 1, 5):
        return accepted_joint_case(joint_item, applicant_citizen, clerk_city)


def sweep(day: date, hour: int = 0, minute: int = 5):
    with at(day.year, day.month, day.day, hour, minute):
        return services.sweep_time_limits()


def lights_of(subcase) -> list[tuple[str, int, date, int, int]]:
    return list(TimeLimitWarning.objects.filter(sub_case=subcase).order_by("epoch", "id").values_list(
        "colour", "epoch", "crossed_on", "remaining_working_days", "department_id"))


def test_a_sub_case_crossing_its_own_line_is_lit_and_the_case_is_not(joint_case, health_city):  # noqa: F811
    health = SubCase.objects.get(application=joint_case, department=health_city)

    sweep(D(2026, 1, 14))  # 3 left of 10: not yet
    yellow = sweep(D(2026, 1, 15))  # 2 left
    red = sweep(D(2026, 1, 20))  # the day after its due date, 2026-01-19

    assert health.promised_due == D(2026, 1, 19)
    assert lights_of(health) == [("yellow", 1, D(2026, 1, 15), 2, health_city.pk),
                                 ("red", 1, D(2026, 1, 20), -1, health_city.pk)]
    assert (yellow.yellow_raised, red.red_raised) == (1, 1)
    assert not TimeLimitWarning.objects.filter(application=joint_case, sub_case__isnull=True).exists()
    assert set(TimeLimitWarning.objects.values_list("application_id", flat=True)) == {joint_case.pk}


def test_sweeping_again_raises_nothing_twice(joint_case, health_city):  # noqa: F811
    first = sweep(D(2026, 1, 20), hour=9)
    again = sweep(D(2026, 1, 20), hour=9, minute=10)

    assert (first.raised, again.raised) == (1, 0)  # red only: it went straight past yellow
    assert TimeLimitWarning.objects.count() == 1


def test_the_database_refuses_a_second_sub_case_warning_and_a_statutory_one(joint_case, health_city):  # noqa: F811
    sweep(D(2026, 1, 20))
    warning = TimeLimitWarning.objects.get()
    fields = {"application": joint_case, "sub_case": warning.sub_case, "department": health_city,
              "raised_at": warning.raised_at, "crossed_on": warning.crossed_on, "remaining_working_days": -1}

    with pytest.raises(IntegrityError), transaction.atomic():
        TimeLimitWarning.objects.create(colour="red", epoch=1, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeLimitWarning.objects.create(colour="statutory", epoch=1, **fields)
    # The case's own red in the same epoch is another light, and allowed.
    TimeLimitWarning.objects.create(application=joint_case, colour="red", epoch=1, department=joint_case.department,
                                    raised_at=warning.raised_at, crossed_on=warning.crossed_on,
                                    remaining_working_days=0)


def test_concluding_the_sub_case_clears_its_light(joint_case, health_city, health_handler):  # noqa: F811
    health = SubCase.objects.get(application=joint_case, department=health_city)
    sweep(D(2026, 1, 20))
    with at(2026, 1, 21):
        approvals.conclude_subcase(health, actor=health_handler, opinion="agree", opinion_text="卫生学评价合格。")

    run = sweep(D(2026, 1, 21), hour=12)

    assert run.cleared == 1
    assert TimeLimitWarning.objects.get().cleared_at is not None  # kept as evidence


def test_the_case_s_extension_starts_a_new_epoch_for_its_open_sub_cases(joint_case, health_city,
                                                                         approver_city):  # noqa: F811
    health = SubCase.objects.get(application=joint_case, department=health_city)
    sweep(D(2026, 1, 20))
    with at(2026, 1, 21):
        approvals.extend_deadline(joint_case, actor=approver_city, days=15, reason="需组织联合踏勘")
    health.refresh_from_db()

    at_extension = sweep(D(2026, 1, 21), hour=12)

    assert (health.extension_days, health.promised_due) == (15, D(2026, 2, 9))
    assert at_extension.cleared == 1
    assert TimeLimitWarning.objects.current().count() == 0  # 13 left of 25 in epoch 2: no light


def test_a_paused_case_keeps_its_sub_cases_lights_and_they_do_not_age(joint_case, health_city, approver_city):  # noqa: F811
    sweep(D(2026, 1, 20))
    with at(2026, 1, 21):  # a two-step chain: the case waits at 批准办结, with the lead's approver
        approvals.claim_application(joint_case, actor=approver_city)
        approvals.pause_clock(joint_case, actor=approver_city, reason="supplement", note="补正卫生学资料")

    while_paused = sweep(D(2026, 2, 20))

    assert (while_paused.raised, while_paused.cleared) == (0, 0)
    assert TimeLimitWarning.objects.current().count() == 1


def test_the_participating_department_s_contact_is_told(joint_case, health_city):  # noqa: F811
    with at(2026, 1, 20, 8):
        services.sweep_time_limits()
        outbox.drain()

    told = Notification.objects.filter(idempotency_key__startswith="supervision.warnings:", recipient__isnull=True)
    notification = told.get()
    assert notification.recipient_phone == "0791-86000001"  # 江州市卫生健康委员会's fixed contact
    assert notification.body == (f"江州市卫生健康委员会：{joint_case.receipt_number}「工程建设项目竣工联合验收」"
                                 "承诺办结日 2026-01-19（并联审批协办件）。请立即办理，并就超期原因书面说明理由。")


def test_the_department_s_work_list_and_the_supervisors_page_show_the_sub_case_light(
        client, joint_case, health_city, health_handler, supervisor_city, clerk_city):  # noqa: F811
    sweep(D(2026, 1, 20))

    client.force_login(health_handler)
    with at(2026, 1, 20, 9):
        work_list = client.get(reverse("approvals:queue")).content.decode()
    client.force_login(supervisor_city)
    with at(2026, 1, 20, 9):
        monitoring = client.get(reverse("supervision:warnings"))

    assert '<td>-1 <span class="badge badge-red">红牌警示</span></td>' in work_list
    body = monitoring.content.decode()
    assert "并联审批协办件亮灯" in body and "江州市卫生健康委员会" in body
    assert [subcase.department_id for subcase in monitoring.context["subcases"]] == [health_city.pk]
    assert list(monitoring.context["page"]) == []  # the case itself is not lit
    assert monitoring.context["counts"][1] == ("red", "红牌警示", 0)


# --- SQL agrees with subcase_clock_of -------------------------------------------------------------


def sql_subcase_lights(on: date) -> dict[int, tuple]:
    sql, params = querysets.lights_sql(querysets.subcase_source(), on=on)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    lights = {}
    for subcase_id, remaining, yellow, red, statutory, yellow_raised in rows:
        holding = {colour for colour, flag in (("yellow", yellow), ("red", red), ("statutory", statutory)) if flag}
        raised = (holding - {"yellow"}) | ({"yellow"} if yellow_raised else set())
        lights[subcase_id] = (remaining, frozenset(holding), frozenset(raised))
    return lights


def python_subcase_lights(on: date) -> dict[int, tuple]:
    lights = {}
    for subcase in SubCase.objects.filter(status="open", application__status="in_progress").select_related(
            "application").prefetch_related("application__pauses"):
        clock = approvals.subcase_clock_of(subcase, on=on)
        if clock.is_paused:
            continue
        lights[subcase.pk] = (clock.remaining, frozenset(subcase_colours_holding(clock, DEFAULT_THRESHOLD)),
                              frozenset(subcase_colours_to_raise(clock, DEFAULT_THRESHOLD)))
    return lights


def test_sql_agrees_with_subcase_clock_of_for_generated_sub_cases(
        joint_item, applicant_citizen, clerk_city, approver_city, health_city, health_handler,  # noqa: F811
        market_handler_a):  # noqa: F811
    lead_handler = approver_city  # a two-step chain: the case waits at 批准办结
    generator = random.Random(20260105)
    # Every event happens before the cutoff; the comparison runs from it (stored due dates are
    # current ones, as the sweep reads them on the day it runs).
    plan = [(D(2026, 1, 5), "paused"), (D(2026, 1, 26), "extended"), (D(2026, 2, 2), "paused then extended"),
            (D(2026, 2, 9), "one concluded"), (D(2026, 2, 24), "still paused"), (D(2026, 3, 2), "plain")]
    cutoff = D(2026, 3, 5)
    for day, scenario in plan:
        with at(day.year, day.month, day.day):
            case = accepted_joint_case(joint_item, applicant_citizen, clerk_city)
        events = {"paused": ["pause", "resume"], "still paused": ["pause"], "extended": ["extend"],
                  "one concluded": ["conclude"], "paused then extended": ["pause", "resume", "extend"]}[scenario] \
            if scenario != "plain" else []
        event_day = day
        for event in events:
            event_day = add_working_days(event_day, generator.randint(1, 3))
            assert event_day < cutoff
            with at(event_day.year, event_day.month, event_day.day, 11):
                if event == "pause":
                    approvals.claim_application(case, actor=lead_handler)
                    approvals.pause_clock(case, actor=lead_handler, reason="supplement", note="补正材料")
                elif event == "resume":
                    approvals.resume_clock(case, actor=lead_handler)
                elif event == "extend":
                    approvals.extend_deadline(case, actor=approver_city, days=generator.randint(1, 15),
                                              reason="需组织联合踏勘")
                else:
                    approvals.conclude_subcase(SubCase.objects.get(application=case, department=health_city),
                                               actor=health_handler, opinion="agree", opinion_text="同意。")

    disagreements, compared, colours_seen = [], 0, set()
    for offset in range(40):
        on = cutoff + timedelta(days=offset)
        in_sql, in_python = sql_subcase_lights(on), python_subcase_lights(on)
        disagreements += [(on, pk, in_sql.get(pk), in_python.get(pk)) for pk in set(in_sql) | set(in_python)
                          if in_sql.get(pk) != in_python.get(pk)]
        compared += len(in_python)
        colours_seen |= {colour for _remaining, holding, _raised in in_python.values() for colour in holding}

    assert disagreements == []
    assert compared > 100
    assert colours_seen == {"yellow", "red"}  # never statutory for a sub-case
