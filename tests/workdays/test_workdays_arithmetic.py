"""The worked examples of TIME_RULES.md that are pure calendar arithmetic, and the API's edges."""

import datetime

import pytest

from portal.workdays import (
    CalendarDate,
    add_working_days,
    is_working_day,
    missing_years,
    next_working_day,
    ordinal_of,
    working_days_between,
)
from portal.workdays.models import CalendarDay

D = datetime.date

# (TIME_RULES example, start, working days, expected date, provisional)
ADD_WORKING_DAYS_EXAMPLES = [
    ("1: accepted Mon 2025-09-22, limit 20", D(2025, 9, 22), 20, D(2025, 10, 24), False),
    ("4: as 1, extended by 10", D(2025, 9, 22), 30, D(2025, 11, 7), False),
    (
        "5: fifth working day after Fri 2025-09-26 (Sun 09-28 worked)",
        D(2025, 9, 26),
        5,
        D(2025, 10, 10),
        False,
    ),
    ("7: joint case accepted Mon 2026-01-05, limit 45", D(2026, 1, 5), 45, D(2026, 3, 13), False),
    ("7: joint case, extended by 15", D(2026, 1, 5), 60, D(2026, 4, 3), False),
    ("8: accepted 2026-12-28, limit 20, 2027 unpublished", D(2026, 12, 28), 20, D(2027, 1, 25), True),
    ("9: decision 2025-09-30, licence within 10 (art. 44)", D(2025, 9, 30), 10, D(2025, 10, 21), False),
]

# (TIME_RULES example 3: day, working days remaining to the due date 2025-10-24)
REMAINING_DAYS_EXAMPLES = [
    (D(2025, 10, 17), 5),
    (D(2025, 10, 18), 5),  # a Saturday: not a working day, nothing used
    (D(2025, 10, 20), 4),  # ≤ 20% of 20 → yellow that day
]


@pytest.mark.parametrize(
    ("example", "start", "days", "expected", "provisional"),
    ADD_WORKING_DAYS_EXAMPLES,
    ids=[row[0] for row in ADD_WORKING_DAYS_EXAMPLES],
)
def test_add_working_days_matches_the_worked_examples(example, start, days, expected, provisional):
    due = add_working_days(start, days)

    assert due == expected
    assert due.provisional is provisional


def test_example_7_extension_counts_from_the_due_date():
    due = add_working_days(D(2026, 1, 5), 45)

    assert add_working_days(due, 15) == D(2026, 4, 3)


@pytest.mark.parametrize(("day", "remaining"), REMAINING_DAYS_EXAMPLES)
def test_example_3_remaining_working_days(day, remaining):
    assert working_days_between(day, D(2025, 10, 24)) == remaining


def test_example_2_pause_for_supplementary_materials():
    accepted, paused, resumed = D(2025, 9, 22), D(2025, 9, 25), D(2025, 10, 13)

    used_before_pause = working_days_between(accepted, paused)  # the day a pause starts counts
    due = add_working_days(resumed, 20 - used_before_pause)  # the day it ends does not

    assert used_before_pause == 3
    assert due == D(2025, 11, 5)
    assert working_days_between(accepted, due) - working_days_between(paused, resumed) == 20


def test_example_6_filed_on_a_holiday_is_received_the_next_working_day():
    received = next_working_day(D(2025, 10, 4))

    assert received == D(2025, 10, 9)
    assert received.provisional is False


def test_zero_working_days_is_the_start_itself():
    """A 即办件 is due on the day of acceptance (TIME_RULES.md §7)."""
    assert add_working_days(D(2025, 10, 4), 0) == D(2025, 10, 4)


def test_working_days_between_is_zero_for_the_same_day_and_negative_backwards():
    assert working_days_between(D(2025, 10, 24), D(2025, 10, 24)) == 0
    assert working_days_between(D(2025, 10, 24), D(2025, 9, 22)) == -20


def test_holidays_and_adjusted_weekends():
    assert is_working_day(D(2025, 9, 28)) is True  # Sunday worked for National Day (调休)
    assert is_working_day(D(2025, 10, 8)) is False  # National Day holiday, a Wednesday
    assert is_working_day(D(2025, 10, 18)) is False  # plain Saturday
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 8)) == 0


def test_ordinal_counts_working_days_from_2004():
    assert ordinal_of(D(2004, 1, 1)) == 0  # New Year's Day, a holiday
    assert ordinal_of(D(2004, 1, 2)) == 1
    assert ordinal_of(D(2025, 10, 24)) - ordinal_of(D(2025, 9, 22)) == 20
    assert ordinal_of(D(2025, 10, 24)) == CalendarDay.objects.get(date=D(2025, 10, 24)).ordinal


def test_calendar_date_equals_the_plain_date():
    due = add_working_days(D(2026, 12, 28), 20)

    assert isinstance(due, CalendarDate)
    assert due == D(2027, 1, 25)
    assert {D(2027, 1, 25): "due"}[due] == "due"
    assert repr(due) == "CalendarDate(2027, 1, 25, provisional=True)"


def test_a_provisional_start_gives_a_provisional_result():
    provisional_due = add_working_days(D(2026, 12, 28), 20)

    assert add_working_days(provisional_due, 1).provisional is True
    assert add_working_days(provisional_due, 0).provisional is True


def test_past_the_table_weekends_alone_are_skipped_and_marked_provisional():
    last_day = CalendarDay.objects.order_by("-date").values_list("date", flat=True).first()
    month_later = last_day + datetime.timedelta(days=30)
    friday = month_later + datetime.timedelta(days=(4 - month_later.weekday()) % 7)

    following = add_working_days(friday, 1)

    assert following == friday + datetime.timedelta(days=3)
    assert following.provisional is True
    assert is_working_day(friday + datetime.timedelta(days=1)) is False
    assert working_days_between(friday, friday + datetime.timedelta(days=7)) == 5
    assert add_working_days(last_day, working_days_between(last_day, friday)) == friday


def test_dates_before_2004_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="starts on 2004-01-01; 2003-12-31 is before it"):
        add_working_days(D(2003, 12, 31), 5)
    with pytest.raises(ValueError, match="2003-06-01 is before it"):
        working_days_between(D(2003, 6, 1), D(2004, 6, 1))


def test_negative_counts_and_timestamps_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2025, 10, 24), -1)
    with pytest.raises(TypeError, match="Beijing date"):
        add_working_days(datetime.datetime(2025, 10, 24, 17, 0, tzinfo=datetime.UTC), 1)


def test_missing_years_lists_unpublished_years_up_to_two_ahead(monkeypatch):
    monkeypatch.setattr("portal.workdays.table.timezone.localdate", lambda: D(2026, 11, 23))

    assert missing_years() == [2027, 2028]


def test_no_query_per_call_after_warm_up(django_assert_num_queries):
    add_working_days(D(2025, 9, 22), 20)
    starts = [D(2024, 1, 1) + datetime.timedelta(days=offset) for offset in range(1000)]

    with django_assert_num_queries(0):
        for start in starts:
            add_working_days(start, 20)
            working_days_between(start, D(2026, 6, 30))
            is_working_day(start)
            next_working_day(start)
            ordinal_of(start)
        missing_years()
