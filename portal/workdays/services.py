"""Every write to the working-day calendar: seeding, correcting a day, publishing a year.

Each service locks the year rows, writes, renumbers the ordinals from the first changed day,
records the change in the audit trail, and drops the in-memory calendar so that the next deadline
computed sees the change (TIME_RULES.md §2). Publishing a year also schedules, after commit, the
task that lets apps recompute their provisional deadlines (§11).
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal.audit.services import record_change, record_event, snapshot
from portal.organisation.choices import Role
from portal.workdays import table
from portal.workdays.choices import YearStatus
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.schedule import (
    FIRST_DATE,
    Schedule,
    days_of_year,
    default_kind,
    is_working_kind,
    package_schedule,
    package_source,
    resolved_day,
    validate_day,
    validate_schedule,
)
from portal.workdays.seeding import SYSTEM_ACTOR_LABEL, recompute_ordinals, seed_through_year
from portal.workdays.seeding import seed_calendar as seed_rows

ADMIN_SOURCE = "admin"
DAY_AUDIT_FIELDS = ["kind", "is_working", "holiday_name", "provisional"]
YEAR_AUDIT_FIELDS = ["status", "source", "published_at", "published_by"]


def _ensure_calendar_admin(actor) -> None:
    """Only system administrators edit the calendar: it moves every deadline in the portal.
    ``actor`` None is the system itself (migrations, the seeding command, tasks)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("只有系统管理员可以编辑工作日历。")


def _actor_label(actor) -> str:
    """A snapshot of who acted, kept even if the account is later deleted."""
    if actor is None:
        return SYSTEM_ACTOR_LABEL
    name = getattr(actor, "full_name", "") or actor.get_full_name()
    return f"{name} ({actor.get_username()})" if name else actor.get_username()


def _lock_years(from_year: int) -> dict[int, CalendarYear]:
    """Lock the year rows from ``from_year`` on, in year order.

    Renumbering ordinals reads every later day, so two edits in different years must not run at
    once; locking in ascending order makes them queue instead of deadlocking.
    """
    return {
        year.year: year
        for year in CalendarYear.objects.select_for_update().filter(year__gte=from_year).order_by("year")
    }


def _ensure_year_present(year: int, *, actor) -> None:
    """Extend the table (weekends only, provisional) when an admin edits a year past its end."""
    if not CalendarYear.objects.filter(year=year).exists():
        seed_calendar(through_year=max(year, seed_through_year()), actor=actor)


def seed_calendar(*, through_year: int | None = None, actor=None) -> list[int]:
    """Insert the years the table lacks, from 2004 through ``through_year`` (default: this year
    plus two); idempotent. Returns the years inserted. Run yearly so the table stays ahead."""
    _ensure_calendar_admin(actor)
    through_year = through_year or seed_through_year()
    with transaction.atomic():
        list(CalendarYear.objects.select_for_update().order_by("year"))
        inserted = seed_rows(CalendarDay, CalendarYear, through_year=through_year)
        if inserted:
            record_event(
                "workdays.calendar_seeded",
                actor=actor,
                data={"years": inserted, "source": package_source()},
            )
            table.invalidate_after_edit()
    return inserted


def set_day(date: datetime.date, *, kind: str, holiday_name: str = "", actor) -> CalendarDay:
    """Correct one day, or enter a day of a year not yet announced (DOMAIN.md §4).

    The year keeps its status: a provisional year stays provisional until it is published, so
    deadlines reaching into it stay marked provisional (TIME_RULES.md §11). Saving a day unchanged
    writes nothing.
    """
    _ensure_calendar_admin(actor)
    holiday_name = holiday_name.strip()
    validate_day(date, kind, holiday_name)
    _ensure_year_present(date.year, actor=actor)
    try:
        with transaction.atomic():
            year = _lock_years(date.year)[date.year]
            day = CalendarDay.objects.get(date=date)
            if (day.kind, day.holiday_name) == (kind, holiday_name):
                return day
            before = snapshot(day, DAY_AUDIT_FIELDS)
            was_working = day.is_working
            day.kind, day.holiday_name, day.is_working = kind, holiday_name, is_working_kind(kind)
            day.save(update_fields=["kind", "holiday_name", "is_working"])
            renumbered = recompute_ordinals(CalendarDay, date) if was_working != day.is_working else 0
            year_before = snapshot(year, YEAR_AUDIT_FIELDS)
            year.revision = uuid.uuid4()
            # The year no longer matches the package exactly: say so where admins look.
            year.source = ADMIN_SOURCE if year.is_published else year.source
            year.save(update_fields=["revision", "source"])
            record_change(
                day,
                actor=actor,
                event_type="workdays.day_changed",
                before=before,
                fields=DAY_AUDIT_FIELDS,
                data={"ordinals_renumbered": renumbered},
            )
            if year.source != year_before["source"]:
                record_change(
                    year,
                    actor=actor,
                    event_type="workdays.year_edited",
                    before=year_before,
                    fields=YEAR_AUDIT_FIELDS,
                )
            table.invalidate_after_edit()
    except BaseException:
        table.invalidate()  # a copy loaded inside the failed transaction must not outlive it
        raise
    return day


def entered_schedule(year: int) -> dict[datetime.date, tuple[str, str]]:
    """The schedule of ``year`` as the table holds it now (what admins entered with set_day),
    listing the days that differ from the weekday rule: what "publish as entered" publishes."""
    schedule = {}
    for day in CalendarDay.objects.in_year(year):
        if (day.kind, day.holiday_name) != (default_kind(day.date), ""):
            schedule[day.date] = (day.kind, day.holiday_name)
    return schedule


def publish_year(year: int, *, days: Schedule | None, actor) -> CalendarYear:
    """Write a year's holiday schedule and publish it (TIME_RULES.md §11).

    ``days`` lists the holidays and adjusted working weekends (调休) as {date: (kind, name)};
    unlisted days follow the weekday rule. ``None`` takes the schedule from the chinesecalendar
    package and fails (ValueError) for a year the package does not cover. The ordinals are
    renumbered from 1 January of that year, and after commit ``run_published_hooks(year)`` lets
    apps recompute the deadlines that were provisional.
    """
    from portal.workdays.tasks import run_published_hooks

    _ensure_calendar_admin(actor)
    if year < FIRST_DATE.year:
        raise ValueError(f"the working-day calendar starts in {FIRST_DATE.year}; cannot publish {year}")
    if days is None:
        schedule, source = package_schedule(year), package_source()
    else:
        schedule, source = dict(days), ADMIN_SOURCE
    validate_schedule(year, schedule)
    _ensure_year_present(year, actor=actor)
    try:
        with transaction.atomic():
            calendar_year = _lock_years(year)[year]
            year_before = snapshot(calendar_year, YEAR_AUDIT_FIELDS)
            changed_days, changes = [], []
            existing = {day.date: day for day in CalendarDay.objects.in_year(year)}
            for date in days_of_year(year):
                day = existing[date]
                kind, holiday_name = resolved_day(date, schedule)
                if (day.kind, day.holiday_name, day.provisional) == (kind, holiday_name, False):
                    continue
                if (day.kind, day.holiday_name) != (kind, holiday_name):
                    # The audit entry lists what the schedule changed, not every day whose
                    # provisional mark is lifted.
                    changes.append(
                        {
                            "date": date.isoformat(),
                            "kind": [day.kind, kind],
                            "holiday_name": [day.holiday_name, holiday_name],
                        }
                    )
                day.kind, day.holiday_name, day.is_working = kind, holiday_name, is_working_kind(kind)
                day.provisional = False
                changed_days.append(day)
            CalendarDay.objects.bulk_update(changed_days, DAY_AUDIT_FIELDS, batch_size=500)
            renumbered = recompute_ordinals(CalendarDay, datetime.date(year, 1, 1))
            calendar_year.status = YearStatus.PUBLISHED
            calendar_year.source = source
            calendar_year.published_at = timezone.now()
            calendar_year.published_by = _actor_label(actor)
            calendar_year.revision = uuid.uuid4()
            calendar_year.save()
            record_change(
                calendar_year,
                actor=actor,
                event_type="workdays.year_published",
                before=year_before,
                fields=YEAR_AUDIT_FIELDS,
                data={
                    "year": year,
                    "source": source,
                    "days_changed": changes,
                    "ordinals_renumbered": renumbered,
                },
            )
            table.invalidate_after_edit()
            transaction.on_commit(lambda: run_published_hooks.delay(year))
    except BaseException:
        table.invalidate()
        raise
    return calendar_year
