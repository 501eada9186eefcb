"""The clock against the worked examples of shared/TIME_RULES.md (the contract)."""

from datetime import date, datetime

import pytest

from approvals.clock import BEIJING, Clock, Pause, deemed_acceptance_due, licence_issue_due, received_on

pytestmark = pytest.mark.django_db


def clock(**kwargs) -> Clock:
    values = {"accepted_on": date(2025, 9, 22), "promised_limit": 20, "statutory_limit": 20,
              "today": date(2025, 9, 22)}
    values.update(kwargs)
    return Clock(**values)


def test_example_1_limit_20_no_pause():
    assert clock().promised_due == date(2025, 10, 24)


def test_example_2_supplementary_materials_pause():
    paused = clock(today=date(2025, 10, 13), pauses=[Pause(date(2025, 9, 25), date(2025, 10, 13), "补正材料")])

    assert paused.used == 3
    assert paused.promised_due == date(2025, 11, 5)


def test_example_2_while_still_paused_the_clock_does_not_age():
    on_pause_day = clock(today=date(2025, 9, 25), pauses=[Pause(date(2025, 9, 25), None, "补正材料")])
    later = clock(today=date(2025, 10, 10), pauses=[Pause(date(2025, 9, 25), None, "补正材料")])

    assert (on_pause_day.used, later.used) == (3, 3)
    assert later.is_paused


@pytest.mark.parametrize(("today", "remaining"), [
    (date(2025, 10, 17), 5), (date(2025, 10, 18), 5), (date(2025, 10, 20), 4),
])
def test_example_3_remaining_days(today, remaining):
    assert clock(today=today).remaining == remaining


def test_example_4_extension_by_10():
    extended = clock(extension_days=10)

    assert extended.promised_due == date(2025, 11, 7)
    assert extended.statutory_due == date(2025, 11, 7)


def test_example_5_deemed_acceptance_after_the_fifth_working_day():
    assert deemed_acceptance_due(date(2025, 9, 26)) == date(2025, 10, 10)


def test_example_6_filed_on_a_holiday_is_received_on_the_next_working_day():
    assert received_on(datetime(2025, 10, 4, 10, 0, tzinfo=BEIJING)) == date(2025, 10, 9)


def test_filed_after_office_hours_is_received_next_working_day():
    assert received_on(datetime(2025, 9, 26, 19, 0, tzinfo=BEIJING)) == date(2025, 9, 28)  # Sun, a workday
    assert received_on(datetime(2025, 9, 26, 9, 0, tzinfo=BEIJING)) == date(2025, 9, 26)


def test_example_7_joint_case_45_plus_15():
    joint = Clock(accepted_on=date(2026, 1, 5), promised_limit=45, statutory_limit=45, today=date(2026, 1, 5))

    assert joint.promised_due == date(2026, 3, 13)
    assert Clock(accepted_on=date(2026, 1, 5), promised_limit=45, statutory_limit=45, today=date(2026, 1, 5),
                 extension_days=15).promised_due == date(2026, 4, 3)


def test_example_8_provisional_year():
    late = Clock(accepted_on=date(2026, 12, 28), promised_limit=20, statutory_limit=20, today=date(2026, 12, 28))

    assert late.promised_due == date(2027, 1, 25)
    assert late.provisional is True
    assert "临时值" in late.explain()


def test_example_9_licence_within_10_working_days_of_the_decision():
    assert licence_issue_due(date(2025, 9, 30)) == date(2025, 10, 21)


def test_immediate_item_is_due_on_the_day_of_acceptance():
    immediate = clock(promised_limit=0)

    assert immediate.promised_due == date(2025, 9, 22)
    assert immediate.overdue is False
    assert clock(promised_limit=0, today=date(2025, 9, 23)).overdue is True


def test_statutory_limit_is_a_separate_line():
    late = clock(promised_limit=5, statutory_limit=20, today=date(2025, 10, 9))

    assert late.overdue is True
    assert late.past_statutory_limit is False
    assert late.statutory_due == date(2025, 10, 24)


def test_the_figure_explains_itself():
    text = clock(today=date(2025, 10, 13), pauses=[Pause(date(2025, 9, 25), date(2025, 10, 13), "补正材料")]).explain()

    assert text == ("已用 3 / 20 个工作日；因补正材料暂停计时 8 个工作日（自 2025-09-25 至 2025-10-13）；"
                    "承诺办结日 2025-11-05，法定期限 2025-11-05。")
