"""The dashboards' rollups, maintained incrementally and level-triggered.

``refresh_rollups`` (beat, every ten minutes) finds the days whose figures may have changed since
the last refresh and recomputes each of those days from the cases, whole: delete the day's rows,
insert them again from one grouped statement (``querysets.daily_rollup_sql``). The months holding
those days are then rewritten as the sums of their days. Doing it twice changes nothing; a missed
run is caught up by the next, because the days are found from the data, not from messages:

- the audit trail says which applications and licences changed since the last refresh started
  (less a margin, for transactions that committed late); each one's dates — received, accepted,
  concluded, due, and the dates its changes moved away from — are dirty;
- the days from the last refresh to today are always dirty: a case falls overdue when its due
  date passes, without any event (a week without refreshes is caught up by the next one);
- every night the last two months are recomputed whole (``recompute_recent``), a safety net for
  changes made outside the services.

Page views read only ``MonthlyRollup``; nothing here runs inside a request.
"""

from __future__ import annotations

import logging
import time as timer
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from approvals.services import today
from supervision.efficiency.models import MEASURES, DailyRollup, MonthlyRollup, RollupState
from supervision.efficiency.querysets import (
    beijing_day_sql,
    daily_rollup_sql,
    delete_days_sql,
    monthly_rollup_sql,
)

logger = logging.getLogger(__name__)

# Days always recomputed, counting back from today: the due dates that passed since yesterday's runs.
ALWAYS_RECENT_DAYS = 3
# How far back the audit trail is read before the last refresh's start: a transaction that wrote
# its audit entry then but committed after that refresh read the trail is still seen.
AUDIT_OVERLAP = timedelta(minutes=30)
DATE_FIELDS = ("received_on", "accepted_on", "promised_due", "concluded_at", "decided_on")
CHUNK = 1000


def _execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def recompute_days(days: Iterable[date], *, as_of: date | None = None) -> int:
    """Rewrite the daily rows of ``days`` from the cases, and the months that hold them.
    Call inside a transaction (the refresh's); returns the number of daily rows written."""
    days = sorted(set(days))
    if not days:
        return 0
    as_of = as_of or today()
    daily, monthly = DailyRollup._meta.db_table, MonthlyRollup._meta.db_table
    _execute(*delete_days_sql(days, table=daily, column="day"))
    written = _execute(*daily_rollup_sql(days, as_of=as_of, measures=MEASURES, table=daily))
    months = sorted({day.replace(day=1) for day in days})
    month_days = [month + timedelta(days=offset) for month in months for offset in range(31)
                  if (month + timedelta(days=offset)).month == month.month]
    _execute(*delete_days_sql(month_days, table=monthly, column="month"))
    _execute(*monthly_rollup_sql(months, measures=MEASURES, daily_table=daily, monthly_table=monthly))
    return written


def _lock_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def refresh_rollups(*, now: datetime | None = None) -> dict:
    """The periodic refresh: recompute the days touched since the last one (see the module)."""
    now = now or timezone.now()
    started = timer.perf_counter()
    with transaction.atomic():
        state = _lock_state()
        if state.last_started_at is None:
            first_day = earliest_day()
            days = _days_between(first_day, today()) if first_day else []
        else:
            days = touched_days(state.last_started_at - AUDIT_OVERLAP)
            days |= set(passed_days(state.last_started_at))
        written = recompute_days(days)
        state.last_started_at, state.last_finished_at = now, timezone.now()
        state.last_days, state.last_duration_ms = len(days), int((timer.perf_counter() - started) * 1000)
        state.save()
    logger.info("efficiency rollups: %d days recomputed, %d rows, %d ms", len(days), written,
                state.last_duration_ms)
    return {"days": len(days), "rows": written, "duration_ms": state.last_duration_ms}


def passed_days(last_started_at: datetime) -> list[date]:
    """The days whose due dates passed since the last refresh (a case falls overdue without an
    event): from the day before that refresh to today, and at least the last few days."""
    from approvals.clock import beijing_date

    end = today()
    start = min(beijing_date(last_started_at) - timedelta(days=1), end - timedelta(days=ALWAYS_RECENT_DAYS - 1))
    return _days_between(start, end)


def recompute_recent(*, days_back: int | None = None) -> dict:
    """The nightly safety net: the last ``days_back`` days (default: the setting) recomputed whole."""
    days_back = days_back or settings.EFFICIENCY_ROLLUP_NIGHTLY_DAYS
    end = today()
    with transaction.atomic():
        _lock_state()
        written = recompute_days(_days_between(end - timedelta(days=days_back - 1), end))
    return {"days": days_back, "rows": written}


def rebuild_rollups(*, first: date | None = None, last: date | None = None, chunk_days: int = 31,
                    progress=None) -> dict:
    """Recompute every day from ``first`` (default: the earliest event) to ``last`` (today), a
    chunk per transaction so that a rebuild of years does not hold one huge transaction; the
    state then marks the rollups as built (the next refresh reads the audit trail from now)."""
    begun = timezone.now()
    first = first or earliest_day()
    last = last or today()
    total = 0
    if first is not None:
        day = first
        while day <= last:
            chunk = _days_between(day, min(last, day + timedelta(days=chunk_days - 1)))
            with transaction.atomic():
                _lock_state()
                total += recompute_days(chunk)
            if progress is not None:
                progress(chunk[-1], total)
            day = chunk[-1] + timedelta(days=1)
    with transaction.atomic():
        state = _lock_state()
        if state.last_started_at is None or state.last_started_at < begun:
            state.last_started_at = begun
        state.last_finished_at = timezone.now()
        state.save()
    return {"rows": total, "first": first, "last": last}


def _days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def earliest_day() -> date | None:
    """The first day anything was received (every later event of a case comes after it)."""
    from approvals.models import Application, Licence

    received = Application.objects.exclude(received_on__isnull=True).order_by("received_on").values_list(
        "received_on", flat=True).first()
    issued = Licence.objects.order_by("issued_on").values_list("issued_on", flat=True).first()
    candidates = [day for day in (received, issued) if day is not None]
    return min(candidates) if candidates else None


def touched_days(since: datetime) -> set[date]:
    """The days whose figures the changes recorded in the audit trail since ``since`` may move."""
    from approvals.models import Licence
    from portal.audit.models import AuditEntry

    entries = AuditEntry.objects.filter(
        occurred_at__gte=since, target_type__in=["approvals.application", "approvals.licence"],
    ).values_list("target_type", "target_id", "changes")
    application_ids: set[int] = set()
    licence_ids: set[str] = set()
    days: set[date] = set()
    for target_type, target_id, changes in entries.iterator(chunk_size=2000):
        if target_type == "approvals.application":
            application_ids.add(int(target_id))
            # The dates a change moved away from: their days lose the case.
            for name in DATE_FIELDS:
                for value in (changes or {}).get(name, [])[:1]:
                    moved = _as_day(value)
                    if moved is not None:
                        days.add(moved)
        else:
            licence_ids.add(target_id)
    ids = sorted(application_ids)
    for start in range(0, len(ids), CHUNK):
        days |= _case_days(ids[start:start + CHUNK])
    if licence_ids:
        days |= set(Licence.objects.filter(pk__in=licence_ids).values_list("issued_on", flat=True))
    return {day for day in days if day is not None}


def _case_days(application_ids: list[int]) -> set[date]:
    """Every date at which these cases appear in some figure (one statement per chunk)."""
    from approvals.models import Application, Licence, OneTimeNotice, Rating

    placeholders = ", ".join(["%s"] * len(application_ids))
    application = Application._meta.db_table
    parts = [
        f"SELECT received_on FROM {application} WHERE id IN ({placeholders})",
        f"SELECT accepted_on FROM {application} WHERE id IN ({placeholders})",
        f"SELECT promised_due FROM {application} WHERE id IN ({placeholders})",
        f"SELECT {beijing_day_sql('concluded_at')} FROM {application} WHERE id IN ({placeholders})",
        f"SELECT {beijing_day_sql('issued_at')} FROM {OneTimeNotice._meta.db_table} "
        f"WHERE application_id IN ({placeholders})",
        f"SELECT {beijing_day_sql('rated_at')} FROM {Rating._meta.db_table} WHERE application_id IN ({placeholders})",
        f"SELECT issued_on FROM {Licence._meta.db_table} WHERE application_id IN ({placeholders})",
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), application_ids * len(parts))
        return {_as_day(row[0]) for row in cursor.fetchall() if row[0] is not None}


def _as_day(value) -> date | None:
    """A date from a column or an audit snapshot (ISO text; an instant is dated in Beijing)."""
    from approvals.clock import beijing_date

    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return beijing_date(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        if len(text) > 10:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return beijing_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return date.fromisoformat(text)
    except ValueError:
        return None


def freshness() -> RollupState | None:
    return RollupState.objects.filter(pk=1).first()
