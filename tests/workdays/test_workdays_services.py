"""Editing and publishing the calendar: ordinals, provisional results, hooks and the cache."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.audit.services import entries_for
from portal.workdays import add_working_days, missing_years, ordinal_of, services, table, working_days_between
from portal.workdays.choices import DayKind, YearStatus
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.seeding import recompute_ordinals, recompute_ordinals_in_python
from portal.workdays.tasks import run_published_hooks

D = datetime.date
published_hook_calls: list[int] = []


def record_published_year(year: int) -> None:
    """A WORKDAY_PUBLISHED_HOOKS entry: where an app would recompute its provisional deadlines."""
    published_hook_calls.append(year)


@pytest.fixture
def recorded_hook(settings):
    published_hook_calls.clear()
    settings.WORKDAY_PUBLISHED_HOOKS = [f"{__name__}.record_published_year"]
    yield published_hook_calls
    published_hook_calls.clear()


def _stored_ordinals(since: datetime.date) -> list[tuple[datetime.date, int]]:
    return list(CalendarDay.objects.filter(date__gte=since).order_by("date").values_list("date", "ordinal"))


# 2027 as an admin would enter it from the State Council's notice (a test schedule: New Year's
# Day on Friday 1 January, and a Saturday worked later in the month).
SCHEDULE_2027 = {
    D(2027, 1, 1): (DayKind.HOLIDAY, "元旦"),
    D(2027, 1, 16): (DayKind.ADJUSTED_WORKDAY, "元旦"),
}


def test_the_seeded_table_covers_2004_to_two_years_ahead():
    this_year = datetime.date.today().year
    years = dict(CalendarYear.objects.values_list("year", "status"))

    assert CalendarDay.objects.count() == (D(this_year + 2, 12, 31) - D(2004, 1, 1)).days + 1
    assert years[2026] == YearStatus.PUBLISHED
    assert years[2027] == YearStatus.PROVISIONAL
    assert CalendarYear.objects.get(year=2025).source == "chinesecalendar 1.11.0"
    assert CalendarDay.objects.get(date=D(2025, 10, 1)).holiday_name == "国庆节"
    assert CalendarDay.objects.get(date=D(2025, 9, 28)).kind == DayKind.ADJUSTED_WORKDAY
    assert (
        not CalendarDay.objects.filter(date__year=2027)
        .exclude(kind__in=[DayKind.WORKDAY, DayKind.WEEKEND])
        .exists()
    )
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("provisional", flat=True)) == {True}


def test_seeding_again_changes_nothing():
    before = _stored_ordinals(D(2004, 1, 1))

    assert services.seed_calendar(actor=None) == []
    assert _stored_ordinals(D(2004, 1, 1)) == before


def test_seeding_fills_a_missing_year_and_renumbers_the_years_after_it():
    before = _stored_ordinals(D(2004, 1, 1))
    CalendarDay.objects.filter(date__year=2010).delete()
    CalendarYear.objects.filter(year=2010).delete()

    assert services.seed_calendar(actor=None) == [2010]
    assert _stored_ordinals(D(2004, 1, 1)) == before


def test_seeding_extends_the_table_weekends_only():
    last_year = CalendarYear.objects.order_by("-year").values_list("year", flat=True).first()

    assert services.seed_calendar(through_year=last_year + 2, actor=None) == [last_year + 1, last_year + 2]
    assert CalendarYear.objects.get(year=last_year + 2).status == YearStatus.PROVISIONAL
    assert add_working_days(D(last_year + 1, 12, 31), 1).provisional is True


@pytest.mark.parametrize(
    "renumber", [recompute_ordinals, recompute_ordinals_in_python], ids=["database", "python"]
)
def test_both_renumberings_restore_the_ordinals(renumber):
    before = _stored_ordinals(D(2024, 1, 1))
    CalendarDay.objects.filter(date__gte=D(2024, 1, 1)).update(ordinal=0)

    changed = renumber(CalendarDay, D(2024, 1, 1))

    assert changed == len(before)
    assert _stored_ordinals(D(2024, 1, 1)) == before


def test_set_day_moves_deadlines_and_renumbers_later_ordinals(admin_city):
    add_working_days(D(2025, 9, 22), 20)  # warm this process's copy
    end_of_year = ordinal_of(D(2025, 12, 31))

    day = services.set_day(D(2025, 10, 24), kind=DayKind.HOLIDAY, holiday_name="临时休假", actor=admin_city)

    assert day.is_working is False
    assert add_working_days(D(2025, 9, 22), 20) == D(2025, 10, 27)  # the copy was dropped at once
    assert ordinal_of(D(2025, 12, 31)) == end_of_year - 1
    assert CalendarDay.objects.get(date=D(2025, 12, 31)).ordinal == end_of_year - 1
    assert CalendarYear.objects.get(year=2025).source == "admin"
    entry = entries_for(day).get()
    assert (entry.event_type, entry.actor_username) == ("workdays.day_changed", "admin_city")
    assert entry.changes == {
        "kind": ["workday", "holiday"],
        "is_working": [True, False],
        "holiday_name": ["", "临时休假"],
    }


def test_set_day_unchanged_writes_nothing(admin_city):
    revision = CalendarYear.objects.get(year=2025).revision

    services.set_day(D(2025, 10, 1), kind=DayKind.HOLIDAY, holiday_name="国庆节", actor=admin_city)

    assert CalendarYear.objects.get(year=2025).revision == revision


def test_set_day_refuses_impossible_days_and_other_roles(admin_city, clerk_district_a):
    with pytest.raises(ValidationError):
        services.set_day(D(2025, 10, 24), kind=DayKind.ADJUSTED_WORKDAY, actor=admin_city)  # a Friday
    with pytest.raises(ValidationError):
        services.set_day(D(2025, 10, 24), kind=DayKind.HOLIDAY, holiday_name="", actor=admin_city)
    with pytest.raises(PermissionDenied):
        services.set_day(D(2025, 10, 24), kind=DayKind.HOLIDAY, holiday_name="国庆节", actor=clerk_district_a)
    assert CalendarDay.objects.get(date=D(2025, 10, 24)).kind == DayKind.WORKDAY


def test_another_process_edit_is_noticed_at_the_next_recheck(django_assert_num_queries):
    add_working_days(D(2025, 9, 22), 20)
    # Another process marks 2025-10-24 a holiday: the rows and the year's revision change.
    CalendarDay.objects.filter(date=D(2025, 10, 24)).update(
        kind=DayKind.HOLIDAY, holiday_name="临时", is_working=False
    )
    recompute_ordinals(CalendarDay, D(2025, 10, 24))
    CalendarYear.objects.filter(year=2025).update(revision=uuid.uuid4())

    with django_assert_num_queries(0):
        assert add_working_days(D(2025, 9, 22), 20) == D(2025, 10, 24)  # within 30 s: the old copy
    table._recheck_at = 0.0  # thirty seconds later
    assert add_working_days(D(2025, 9, 22), 20) == D(2025, 10, 27)


def test_publishing_2027_makes_example_8_final_and_runs_the_hooks(
    admin_city, recorded_hook, eager_celery, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("portal.workdays.table.timezone.localdate", lambda: D(2026, 11, 23))
    assert add_working_days(D(2026, 12, 28), 20).provisional is True
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)  # weekends only

    with django_capture_on_commit_callbacks(execute=True):
        calendar_year = services.publish_year(2027, days=SCHEDULE_2027, actor=admin_city)

    due = add_working_days(D(2026, 12, 28), 20)
    assert (due, due.provisional) == (D(2027, 1, 25), False)  # 1 January off, 16 January worked
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert add_working_days(D(2027, 1, 8), 6) == D(2027, 1, 16)
    assert recorded_hook == [2027]
    assert (calendar_year.status, calendar_year.source) == (YearStatus.PUBLISHED, "admin")
    assert calendar_year.published_by == f"{admin_city.full_name} ({admin_city.username})"
    assert missing_years() == [2028]
    assert not CalendarDay.objects.filter(date__year=2027, provisional=True).exists()
    assert CalendarDay.objects.get(date=D(2027, 1, 1)).holiday_name == "元旦"
    assert working_days_between(D(2026, 12, 31), D(2027, 1, 4)) == 1
    entry = entries_for(calendar_year).get()
    assert entry.event_type == "workdays.year_published"
    assert entry.changes["status"] == ["provisional", "published"]
    assert entry.data["days_changed"] == [
        {"date": "2027-01-01", "kind": ["workday", "holiday"], "holiday_name": ["", "元旦"]},
        {"date": "2027-01-16", "kind": ["weekend", "adjusted_workday"], "holiday_name": ["", "元旦"]},
    ]


def test_publishing_renumbers_the_years_after(admin_city):
    services.publish_year(2027, days=SCHEDULE_2027, actor=admin_city)
    stored = _stored_ordinals(D(2027, 1, 1))

    recompute_ordinals_in_python(CalendarDay, D(2027, 1, 1))

    assert _stored_ordinals(D(2027, 1, 1)) == stored
    assert ordinal_of(D(2028, 12, 31)) == stored[-1][1]


def test_publishing_a_year_the_package_does_not_cover_needs_the_days(admin_city):
    with pytest.raises(ValueError, match="does not cover 2027"):
        services.publish_year(2027, days=None, actor=admin_city)


def test_republishing_a_covered_year_from_the_package_restores_it(admin_city):
    services.set_day(D(2025, 10, 24), kind=DayKind.HOLIDAY, holiday_name="临时休假", actor=admin_city)

    services.publish_year(2025, days=None, actor=admin_city)

    assert add_working_days(D(2025, 9, 22), 20) == D(2025, 10, 24)
    assert CalendarYear.objects.get(year=2025).source == "chinesecalendar 1.11.0"


def test_the_hook_task_calls_every_hook_and_reports_failures(settings, recorded_hook):
    settings.WORKDAY_PUBLISHED_HOOKS = ["portal.workdays.no_such_hook", f"{__name__}.record_published_year"]

    with pytest.raises(RuntimeError, match="no_such_hook"):
        run_published_hooks(2027)
    assert recorded_hook == [2027]


def test_the_seed_command_is_idempotent(capsys):
    from django.core.management import call_command

    call_command("seed_calendar", "--recompute-ordinals")

    output = capsys.readouterr().out
    assert "years inserted: none" in output
    assert "ordinals renumbered: 0" in output
