"""Set-based reads of applications for sweeps and queues, and of delegations for the queue."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from approvals.choices import ApplicationStatus, LicenceStatus, SubCaseStatus
from approvals.clock import ONE_TIME_NOTICE_DAYS, deemed_acceptance_due
from approvals.models import Application, Delegation, Licence, SubCase
from portal.workdays.querysets import CALENDAR_DAY_TABLE, WorkingDayOrdinal, WorkingDaysBetween


def deemed_acceptance_candidates(as_of: date) -> list[Application]:
    """Filings in pre-review with no one-time notice whose five working days have run out.

    Five working days span at least five calendar days, so the SQL bound is a safe superset;
    the exact working-day test then runs on that small set.
    """
    rough = (
        Application.objects.filter(
            status=ApplicationStatus.SUBMITTED,
            notices__isnull=True,
            received_on__lt=as_of - timedelta(days=ONE_TIME_NOTICE_DAYS),
        )
        .select_related("item_version")
        .order_by("received_on", "pk")
    )
    return [application for application in rough if deemed_acceptance_due(application.received_on) < as_of]


def subcases_in_progress() -> QuerySet[SubCase]:
    """Joint cases' sub-cases still waiting for their department's opinion (TIME_RULES §10: they
    light up like their cases). ``promised_due`` is stored and kept current on resume and
    extension, so the monitoring sweep compares it in SQL; while the case is paused
    (``application__is_paused``) the clock stands still, as the case's does, and
    ``approvals.services.subcase_clock_of`` gives the exact figures for one sub-case.
    """
    return (SubCase.objects.filter(status=SubCaseStatus.OPEN, application__status=ApplicationStatus.IN_PROGRESS)
            .select_related("application", "department")
            .order_by("promised_due", "pk"))


def active_delegations(at: datetime):
    """Delegations in force at ``at`` (the absent person's cases may be acted on by the delegate)."""
    return Delegation.objects.filter(starts_at__lte=at, ends_at__gt=at)


# --- The clock in SQL, for the time-limit sweep and the work lists ------------------------------

# The clock runs from acceptance until the case concludes (办结): a decided case whose decision is
# still being served is still on the clock (TIME_RULES.md §7: red "if not concluded").
CLOCK_RUNNING_STATUSES = (ApplicationStatus.IN_PROGRESS, ApplicationStatus.APPROVED, ApplicationStatus.REFUSED)


def _running_condition(alias: str) -> tuple[str, list]:
    placeholders = ", ".join(["%s"] * len(CLOCK_RUNNING_STATUSES))
    return (f"{alias}.status IN ({placeholders}) AND {alias}.accepted_on IS NOT NULL",
            [str(status) for status in CLOCK_RUNNING_STATUSES])


def running_clocks_sql(on: date, *, only_ids_sql: str = "", only_ids_params: Sequence = ()) -> tuple[str, list]:
    """A SELECT of every accepted, unconcluded application whose clock runs (not paused) on ``on``.

    One row per case, with the columns a sweep classifies on:

    ``application_id, department_id, item_id, epoch, accepted_on, promised_limit`` (as filed),
    ``limit_in_force`` (promised limit plus the extension), ``promised_due, statutory_due``,
    ``due_ordinal`` (working-day ordinal of the promised due date), ``today`` (= ``on``) and
    ``remaining``: working days left on the promised limit, negative when overdue — exactly
    ``approvals.clock.Clock.remaining``, without reading the pauses. The services keep
    ``promised_due`` equal to the clock's: set at acceptance, moved at each resume by the paused
    working days and at the extension, recomputed when a provisional year is published. A running
    clock's remaining time is therefore ``ordinal(promised_due) − ordinal(on)`` (counting is
    (start, end], TIME_RULES.md §3). Paused cases are left out: their clock does not age.

    Joins, not loops: the calendar table is joined twice (the due date and ``on``), so the whole
    set is one hash join however many cases there are. ``only_ids_sql`` (a sub-SELECT of
    application ids, or an outer column for a correlated sub-select) narrows the set for callers
    that look at a few cases.
    """
    from portal.catalogue.models import ItemVersion

    running, params = _running_condition("a")
    narrowed = f" AND a.id IN ({only_ids_sql})" if only_ids_sql else ""
    sql = (
        "SELECT a.id AS application_id, a.department_id AS department_id, v.item_id AS item_id, "
        "a.deadline_epoch AS epoch, a.accepted_on AS accepted_on, a.promised_limit AS promised_limit, "
        "CAST(a.promised_limit + a.extension_days AS INTEGER) AS limit_in_force, "
        "a.promised_due AS promised_due, a.statutory_due AS statutory_due, "
        "due_day.ordinal AS due_ordinal, today.date AS today, due_day.ordinal - today.ordinal AS remaining "
        f"FROM {Application._meta.db_table} a "
        f"JOIN {ItemVersion._meta.db_table} v ON v.id = a.item_version_id "
        f"JOIN {CALENDAR_DAY_TABLE} due_day ON due_day.date = a.promised_due "
        f"JOIN {CALENDAR_DAY_TABLE} today ON today.date = %s "
        f"WHERE {running} AND NOT a.is_paused{narrowed}"
    )
    return sql, [on, *params, *only_ids_params]


def paused_clocks_sql(*, only_ids_sql: str = "", only_ids_params: Sequence = ()) -> tuple[str, list]:
    """A SELECT of ``application_id, epoch`` of every accepted, unconcluded case whose clock is
    paused: its lights stay as they were when the clock stopped."""
    running, params = _running_condition("a")
    narrowed = f" AND a.id IN ({only_ids_sql})" if only_ids_sql else ""
    sql = (f"SELECT a.id AS application_id, a.deadline_epoch AS epoch FROM {Application._meta.db_table} a "
           f"WHERE {running} AND a.is_paused{narrowed}")
    return sql, [*params, *only_ids_params]


def running_subcase_clocks_sql(on: date, *, only_ids_sql: str = "", only_ids_params: Sequence = ()) -> tuple[str, list]:
    """A SELECT of every open sub-case of a joint case in progress whose clock runs on ``on``
    (TIME_RULES §10: each department's sub-case lights up on its own promised limit).

    The columns of ``running_clocks_sql``, plus ``sub_case_id``; ``department_id`` is the
    participating department, ``epoch`` the case's deadline epoch (an extension reaches the open
    sub-cases too and starts a new epoch for them as well), ``promised_limit`` and
    ``limit_in_force`` the sub-case's own (with the extension it received), ``promised_due`` its
    stored due date (kept equal to ``approvals.services.subcase_clock_of``). ``statutory_due`` is
    NULL: passing the statutory limit is the case's event, not a department's. A sub-case whose
    case is paused does not age, as the case does not. ``only_ids_sql`` narrows by sub-case id.
    """
    from portal.catalogue.models import ItemVersion

    narrowed = f" AND s.id IN ({only_ids_sql})" if only_ids_sql else ""
    sql = (
        "SELECT s.id AS sub_case_id, s.application_id AS application_id, s.department_id AS department_id, "
        "v.item_id AS item_id, a.deadline_epoch AS epoch, s.started_on AS accepted_on, "
        "s.promised_limit AS promised_limit, "
        "CAST(s.promised_limit + s.extension_days AS INTEGER) AS limit_in_force, "
        "s.promised_due AS promised_due, CAST(NULL AS DATE) AS statutory_due, "
        "due_day.ordinal AS due_ordinal, today.date AS today, due_day.ordinal - today.ordinal AS remaining "
        f"FROM {SubCase._meta.db_table} s "
        f"JOIN {Application._meta.db_table} a ON a.id = s.application_id "
        f"JOIN {ItemVersion._meta.db_table} v ON v.id = a.item_version_id "
        f"JOIN {CALENDAR_DAY_TABLE} due_day ON due_day.date = s.promised_due "
        f"JOIN {CALENDAR_DAY_TABLE} today ON today.date = %s "
        f"WHERE s.status = %s AND a.status = %s AND NOT a.is_paused{narrowed}"
    )
    return sql, [on, str(SubCaseStatus.OPEN), str(ApplicationStatus.IN_PROGRESS), *only_ids_params]


def paused_subcase_clocks_sql(*, only_ids_sql: str = "", only_ids_params: Sequence = ()) -> tuple[str, list]:
    """A SELECT of ``sub_case_id, epoch`` of the open sub-cases whose case's clock is paused:
    their lights stay as they were when the clock stopped."""
    narrowed = f" AND s.id IN ({only_ids_sql})" if only_ids_sql else ""
    sql = (f"SELECT s.id AS sub_case_id, a.deadline_epoch AS epoch FROM {SubCase._meta.db_table} s "
           f"JOIN {Application._meta.db_table} a ON a.id = s.application_id "
           f"WHERE s.status = %s AND a.status = %s AND a.is_paused{narrowed}")
    return sql, [str(SubCaseStatus.OPEN), str(ApplicationStatus.IN_PROGRESS), *only_ids_params]


def running_subcase_clock_count() -> int:
    """How many sub-cases a sweep looks at: open, their case in progress and not paused."""
    return SubCase.objects.filter(status=SubCaseStatus.OPEN, application__status=ApplicationStatus.IN_PROGRESS,
                                  application__is_paused=False).count()


def running_clock_count() -> int:
    """How many cases a sweep looks at: accepted, unconcluded, clock not paused."""
    return Application.objects.filter(status__in=CLOCK_RUNNING_STATUSES, accepted_on__isnull=False,
                                      is_paused=False).count()


def remaining_working_days(on: date) -> Expression:
    """An annotation: working days left on the promised limit on ``on`` (``Clock.remaining``).

    A running clock reads its maintained due date (see ``running_clocks_sql``). A paused clock is
    frozen where it stopped: limit in force − (working days in (accepted, pause start] − the
    working days of the closed pauses before it). NULL before acceptance.
    """
    from approvals.models import Pause

    open_pause_start = Subquery(
        Pause.objects.filter(application=OuterRef("pk"), ended_on__isnull=True).values("started_on")[:1]
    )
    closed_pause_days = Subquery(
        Pause.objects.filter(application=OuterRef("pk"), ended_on__isnull=False)
        .order_by()
        .values("application")
        .annotate(days=Sum(WorkingDaysBetween("started_on", "ended_on")))
        .values("days")[:1],
        output_field=IntegerField(),
    )
    limit = ExpressionWrapper(F("promised_limit") + F("extension_days"), output_field=IntegerField())
    used_before_pause = ExpressionWrapper(
        WorkingDayOrdinal(open_pause_start) - WorkingDayOrdinal("accepted_on") - Coalesce(closed_pause_days, 0),
        output_field=IntegerField(),
    )
    return Case(
        When(accepted_on__isnull=True, then=Value(None)),
        When(is_paused=True, then=ExpressionWrapper(limit - used_before_pause, output_field=IntegerField())),
        default=ExpressionWrapper(WorkingDayOrdinal("promised_due") - WorkingDayOrdinal(Value(on)),
                                  output_field=IntegerField()),
        output_field=IntegerField(),
    )


def provisional_deadline_cases():
    """Accepted, unconcluded cases whose deadlines were computed over a year not yet published
    (TIME_RULES.md §11): the ones to recompute when a year is published."""
    return Application.objects.filter(status__in=CLOCK_RUNNING_STATUSES, accepted_on__isnull=False,
                                      due_is_provisional=True).order_by("pk")


def valid_licences_named(holder_code: str, names) -> list[Licence]:
    """The holder's valid licences with one of these names (证照复用 at filing), with the columns
    the checklist row quotes (name and number). Written out by hand: every filing asks it, and the
    ORM's compiler cost more than the query."""
    names = sorted(set(names))
    if not names:
        return []
    table, quote = Licence._meta.db_table, connection.ops.quote_name
    return list(Licence.objects.raw(
        f"SELECT {quote('id')}, {quote('number')}, {quote('licence_name')} FROM {quote(table)} "
        f"WHERE {quote('holder_code')} = %s AND {quote('status')} = %s "
        f"AND {quote('licence_name')} IN ({', '.join(['%s'] * len(names))})",
        [holder_code, LicenceStatus.VALID, *names],
    ))
