"""Reads and set-based writes of time-limit warnings: the sweep's statements and the lists' filters.

The sweep is two statements whatever the number of cases (TIME_RULES.md §2, STYLE.md):

1. ``raise_warnings``: one ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`` that classifies
   every running clock (the candidate SELECT is approvals', ``running_clocks_sql``, which lives with
   the cases it reads) against its item's threshold and inserts the warnings it lacks;
2. ``clear_warnings``: one ``UPDATE`` that clears the current warnings whose line no longer holds
   (case concluded, new deadline epoch, deadline moved back by a published calendar).

Both run on PostgreSQL and on SQLite (``make run``): ``ON CONFLICT DO NOTHING`` and ``RETURNING``
exist in both; the one difference, adding a day to a date, is spelled per vendor.

The rule they implement is ``supervision.thresholds`` (a test proves SQL and Python agree case by
case). Cases come from *sources*: today the applications; a joint-handling sub-case with its own
promised limit is a second ``ClockSource`` whose candidate SELECT yields the same columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Case, ExpressionWrapper, IntegerField, OuterRef, Q, Subquery, Value, When

from portal.scoping import ScopedQuerySet
from portal.workdays.querysets import CALENDAR_DAY_TABLE
from supervision.choices import SEVERITY, WarningColour
from supervision.thresholds import DEFAULT_YELLOW_DAYS, DEFAULT_YELLOW_PERCENT


class TimeLimitWarningQuerySet(ScopedQuerySet):
    def current(self) -> TimeLimitWarningQuerySet:
        """Lit now: not cleared by a sweep."""
        return self.filter(cleared_at__isnull=True)

    def of_cases(self) -> TimeLimitWarningQuerySet:
        """The cases' own warnings (not their sub-cases')."""
        return self.filter(sub_case__isnull=True)

    def of_subcases(self) -> TimeLimitWarningQuerySet:
        """Joint cases' sub-cases' warnings (TIME_RULES §10)."""
        return self.filter(sub_case__isnull=False)

    def with_severity(self) -> TimeLimitWarningQuerySet:
        return self.annotate(severity=severity_expression("colour"))


def severity_expression(field: str) -> Case:
    return Case(*(When(**{field: colour}, then=Value(rank)) for colour, rank in SEVERITY.items()),
                default=Value(0), output_field=IntegerField())


# --- Sources of clocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockSource:
    """Where running clocks come from, as SQL: ``running(on, only_ids_sql, only_ids_params)``
    selects the columns documented on ``approvals.querysets.running_clocks_sql``; ``paused(...)``
    selects ``<key>, epoch`` of the clocks that are stopped.

    ``key`` is the warning's column that names the clock: ``application_id`` for a case,
    ``sub_case_id`` for a joint case's sub-case. Each source has its own partial unique index
    (``warning_once_per_case_colour_epoch`` over the case's own warnings,
    ``warning_once_per_subcase_colour_epoch`` over the sub-cases'), which the INSERT names as
    its conflict target.
    """

    name: str
    running: Callable[..., tuple[str, list]]
    paused: Callable[..., tuple[str, list]]
    key: str = "application_id"

    @property
    def is_subcase(self) -> bool:
        return self.key == "sub_case_id"

    @property
    def own_rows(self) -> str:
        """The condition on a warning row that it belongs to this kind of source."""
        return "sub_case_id IS NOT NULL" if self.is_subcase else "sub_case_id IS NULL"


def application_source() -> ClockSource:
    from approvals.querysets import paused_clocks_sql, running_clocks_sql

    return ClockSource("application", running_clocks_sql, paused_clocks_sql)


def subcase_source() -> ClockSource:
    """Joint cases' open sub-cases (TIME_RULES §10), on their own promised limits."""
    from approvals.querysets import paused_subcase_clocks_sql, running_subcase_clocks_sql

    return ClockSource("subcase", running_subcase_clocks_sql, paused_subcase_clocks_sql, key="sub_case_id")


def clock_sources() -> list[ClockSource]:
    return [application_source(), subcase_source()]


# --- The classification, as SQL fragments over a classified row ``k`` and a colour ``c`` --------------


def _warning_table() -> str:
    from supervision.models import TimeLimitWarning

    return TimeLimitWarning._meta.db_table


def _threshold_table() -> str:
    from supervision.models import WarningThreshold

    return WarningThreshold._meta.db_table


def _day_after(date_sql: str) -> str:
    if connection.vendor == "sqlite":
        return f"date({date_sql}, '+1 day')"
    return f"({date_sql} + 1)"


def _colours_sql() -> str:
    """A three-row derived table ``(colour)``: portable (SQLite has no VALUES column aliases)."""
    return " UNION ALL ".join(f"SELECT '{colour.value}' AS colour" for colour in WarningColour)


def _classified_sql(clocks_sql: str) -> str:
    """The clocks with each one's yellow threshold in working days: the larger of ``percent``% of
    the limit in force (integer division: remaining ≤ 20 % × 12 means remaining ≤ 2) and ``days``."""
    percent = f"COALESCE(th.yellow_percent, {int(DEFAULT_YELLOW_PERCENT)})"
    days = f"COALESCE(th.yellow_days, {int(DEFAULT_YELLOW_DAYS)})"
    share = f"(({percent}) * k.limit_in_force) / 100"
    return (
        f"SELECT k.*, CASE WHEN {share} > {days} THEN {share} ELSE {days} END AS yellow_days "
        f"FROM ({clocks_sql}) k LEFT JOIN {_threshold_table()} th ON th.item_id = k.item_id"
    )


# Each colour's line, over a classified row k; they hold from the day crossed on (monotone).
YELLOW_HOLDS = "(k.promised_limit > 0 AND k.remaining <= k.yellow_days)"  # never for 即办件 (§7)
RED_HOLDS = "(k.promised_due < k.today)"  # the day after the promised due date (Clock.overdue)
STATUTORY_HOLDS = "(k.statutory_due < k.today)"  # a separate, graver key event (§6)


ANY_HOLDS = f"({YELLOW_HOLDS} OR {RED_HOLDS} OR {STATUTORY_HOLDS})"


def _holding_condition(colour: str = "c.colour") -> str:
    """The line of the colour named by the SQL expression ``colour`` holds for the row k."""
    return (f"(({colour} = '{WarningColour.YELLOW.value}' AND {YELLOW_HOLDS}) "
            f"OR ({colour} = '{WarningColour.RED.value}' AND {RED_HOLDS}) "
            f"OR ({colour} = '{WarningColour.STATUTORY.value}' AND {STATUTORY_HOLDS}))")


def _raising_condition() -> str:
    """As holding, except that a case already red is not raised yellow (it went straight past)."""
    return (f"((c.colour = '{WarningColour.YELLOW.value}' AND {YELLOW_HOLDS} AND NOT {RED_HOLDS}) "
            f"OR (c.colour = '{WarningColour.RED.value}' AND {RED_HOLDS}) "
            f"OR (c.colour = '{WarningColour.STATUTORY.value}' AND {STATUTORY_HOLDS}))")


def _crossed_on_sql() -> str:
    """The day the case crossed the line, on its current deadlines.

    Yellow: the working day from which at most ``yellow_days`` remain — the one whose ordinal is
    the due date's minus the threshold (TIME_RULES example 3: 2025-10-20), not before acceptance.
    Red and statutory: the calendar day after the due date.
    """
    yellow = (
        f"COALESCE((SELECT CASE WHEN d.date > k.accepted_on THEN d.date ELSE k.accepted_on END "
        f"FROM {CALENDAR_DAY_TABLE} d WHERE d.is_working AND d.ordinal = k.due_ordinal - k.yellow_days), "
        f"k.accepted_on)"
    )
    return (f"CASE c.colour WHEN '{WarningColour.YELLOW.value}' THEN {yellow} "
            f"WHEN '{WarningColour.RED.value}' THEN {_day_after('k.promised_due')} "
            f"ELSE {_day_after('k.statutory_due')} END")


# --- The statements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaisedWarning:
    id: int
    colour: str
    department_id: int
    crossed_on: date


def raise_warnings_sql(source: ClockSource, *, on: date, run_id: int, raised_at: datetime) -> tuple[str, list]:
    """The INSERT of the warnings every running clock of ``source`` lacks on ``on``."""
    clocks_sql, params = source.running(on)
    table = _warning_table()
    # A sub-case's warning names its case too (the case's page and the lists join on it).
    key_columns = "application_id, sub_case_id" if source.is_subcase else "application_id"
    key_values = "k.application_id, k.sub_case_id" if source.is_subcase else "k.application_id"
    sql = (
        # Only the cases past some line (a few per cent) meet the three colours: MATERIALIZED keeps
        # the planner from crossing every case with them first (PostgreSQL 12+, SQLite 3.35+).
        f"WITH classified AS ({_classified_sql(clocks_sql)}), "
        f"crossing AS MATERIALIZED (SELECT * FROM classified k WHERE {ANY_HOLDS}) "
        f"INSERT INTO {table} ({key_columns}, colour, epoch, department_id, sweep_run_id, raised_at, "
        f"crossed_on, remaining_working_days) "
        f"SELECT {key_values}, c.colour, k.epoch, k.department_id, %s, %s, {_crossed_on_sql()}, k.remaining "
        f"FROM crossing k CROSS JOIN ({_colours_sql()}) c "
        f"WHERE {_raising_condition()} "
        # The partial unique index of this source's rows is the conflict target (its predicate
        # repeated, so that PostgreSQL and SQLite infer that index).
        f"ON CONFLICT ({source.key}, colour, epoch) WHERE {source.own_rows} DO NOTHING "
        f"RETURNING id, colour, department_id, crossed_on"
    )
    return sql, [*params, run_id, connection.ops.adapt_datetimefield_value(raised_at)]


def raise_warnings(source: ClockSource, *, on: date, run_id: int, raised_at: datetime) -> list[RaisedWarning]:
    """Insert the missing warnings in one statement; return the ones this call inserted.

    A row another sweep inserted (committed, or in flight: PostgreSQL waits for its outcome on the
    unique index) is skipped, so concurrent and repeated sweeps never duplicate and never lose one.
    """
    sql, params = raise_warnings_sql(source, on=on, run_id=run_id, raised_at=raised_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [RaisedWarning(pk, colour, department_id, _as_date(crossed_on))
            for pk, colour, department_id, crossed_on in rows]


def clear_warnings_sql(source: ClockSource, *, on: date, run_id: int, cleared_at: datetime) -> tuple[str, list]:
    """The UPDATE clearing current warnings whose line no longer holds.

    Kept: a colour still holding for the case's running clock in the same epoch, and every warning
    of a paused clock in its epoch (a stopped clock keeps its lights). Cleared: the rest — the case
    concluded or left the lifecycle, a new epoch began (extension), or the deadline moved back.

    Only the current warnings are looked at — not those this run has just raised, which hold by
    construction — each against its own case: the sub-selects are
    correlated on the case's id, so each is a few primary-key look-ups. (Joining the current
    warnings to their cases' clocks as two sets lets the planner, whose statistics lag behind a
    sweep that has just inserted thousands of warnings, choose a nested loop over both: quadratic.)
    """
    table = _warning_table()
    this_case = f"{table}.{source.key}"
    clocks_sql, clock_params = source.running(on, only_ids_sql=this_case)
    paused_sql, paused_params = source.paused(only_ids_sql=this_case)
    sql = (
        f"UPDATE {table} SET cleared_at = %s "
        f"WHERE cleared_at IS NULL AND {table}.{source.own_rows} AND (sweep_run_id IS NULL OR sweep_run_id <> %s) "
        f"AND NOT EXISTS (SELECT 1 FROM ({_classified_sql(clocks_sql)}) k "
        f"WHERE k.epoch = {table}.epoch AND {_holding_condition(f'{table}.colour')}) "
        f"AND NOT EXISTS (SELECT 1 FROM ({paused_sql}) p WHERE p.epoch = {table}.epoch) "
        f"RETURNING id"
    )
    return sql, [connection.ops.adapt_datetimefield_value(cleared_at), run_id, *clock_params, *paused_params]


def clear_warnings(source: ClockSource, *, on: date, run_id: int, cleared_at: datetime) -> int:
    """Clear in one statement; return how many. (Counted from RETURNING: Python's sqlite3 reports no
    rowcount for a statement that starts with WITH.)"""
    sql, params = clear_warnings_sql(source, on=on, run_id=run_id, cleared_at=cleared_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def lights_sql(source: ClockSource, *, on: date) -> tuple[str, list]:
    """A SELECT of the classification alone, one row per running clock: its key (``application_id``
    or ``sub_case_id``), ``remaining, yellow, red, statutory`` (1 where the line holds) and
    ``yellow_raised`` (1 where a sweep would raise yellow). The fragments are the INSERT's; a test compares them with the
    Python clock case by case."""
    clocks_sql, params = source.running(on)

    def flag(condition: str) -> str:
        return f"CASE WHEN {condition} THEN 1 ELSE 0 END"

    sql = (
        f"WITH classified AS ({_classified_sql(clocks_sql)}) "
        f"SELECT k.{source.key}, k.remaining, {flag(YELLOW_HOLDS)} AS yellow, {flag(RED_HOLDS)} AS red, "
        f"{flag(STATUTORY_HOLDS)} AS statutory, {flag(f'{YELLOW_HOLDS} AND NOT {RED_HOLDS}')} AS yellow_raised "
        f"FROM classified k"
    )
    return sql, params


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


# --- Lights on the work lists ---------------------------------------------------------------------


def current_light(*, application_field: str = "pk", epoch_field: str = "deadline_epoch") -> Subquery:
    """An annotation for an application queryset: the colour of its gravest current warning in its
    current deadline epoch, or NULL. One sub-select per listed case, on the partial index."""
    from supervision.models import TimeLimitWarning

    gravest = (
        TimeLimitWarning.objects.filter(
            application=OuterRef(application_field), epoch=OuterRef(epoch_field), cleared_at__isnull=True,
            sub_case__isnull=True,  # a sub-case's light is its department's, not the case's
        )
        .with_severity()
        .order_by("-severity")
        .values("colour")[:1]
    )
    return Subquery(gravest)


def with_time_lights(applications, *, on: date):
    """Annotate ``remaining_working_days`` (``Clock.remaining`` on ``on``) and ``time_light`` (the
    gravest current warning) on a queryset of applications, for work lists sorted by urgency."""
    from approvals.querysets import remaining_working_days

    return applications.annotate(remaining_working_days=remaining_working_days(on), time_light=current_light())


def lit_applications(applications, *, on: date, colours: Sequence[str] = ()):
    """The applications among ``applications`` with a current warning, annotated as by
    ``with_time_lights`` plus ``light_severity`` and ``light_raised_at``, gravest and most urgent
    first. Starts from the (few) current warnings, not from every case in scope."""
    from supervision.models import TimeLimitWarning

    current = TimeLimitWarning.objects.current().of_cases()
    raised_at = (
        TimeLimitWarning.objects.filter(application=OuterRef("pk"), epoch=OuterRef("deadline_epoch"),
                                        cleared_at__isnull=True, sub_case__isnull=True)
        .with_severity()
        .order_by("-severity")
        .values("raised_at")[:1]
    )
    lit = with_time_lights(applications.filter(pk__in=current.values("application_id")), on=on)
    lit = lit.filter(time_light__isnull=False)
    if colours:
        lit = lit.filter(time_light__in=list(colours))
    return lit.annotate(light_severity=severity_expression("time_light"), light_raised_at=Subquery(raised_at)).order_by(
        "-light_severity", "remaining_working_days", "pk"
    )


def current_subcase_light() -> Subquery:
    """An annotation for a sub-case queryset: the colour of its gravest current warning in its
    case's current deadline epoch, or NULL."""
    from supervision.models import TimeLimitWarning

    gravest = (
        TimeLimitWarning.objects.filter(sub_case=OuterRef("pk"), epoch=OuterRef("application__deadline_epoch"),
                                        cleared_at__isnull=True)
        .with_severity()
        .order_by("-severity")
        .values("colour")[:1]
    )
    return Subquery(gravest)


def with_subcase_lights(subcases, *, on: date):
    """Annotate ``remaining_working_days`` (NULL while the case is paused: the figure then stands
    where it stopped, shown on the case page) and ``time_light`` on a queryset of sub-cases."""
    from portal.workdays.querysets import WorkingDayOrdinal

    remaining = Case(
        When(application__is_paused=True, then=Value(None)),
        default=ExpressionWrapper(WorkingDayOrdinal("promised_due") - WorkingDayOrdinal(Value(on)),
                                  output_field=IntegerField()),
        output_field=IntegerField(),
    )
    return subcases.annotate(remaining_working_days=remaining, time_light=current_subcase_light())


def lit_subcases(warnings, *, on: date):
    """The current sub-case warnings among ``warnings`` (a scoped warning queryset), one row per
    sub-case and its gravest colour, gravest and most urgent first, for the supervisors' page."""
    from approvals.models import SubCase

    lit_ids = warnings.current().of_subcases().values("sub_case_id")
    subcases = with_subcase_lights(SubCase.objects.filter(pk__in=lit_ids), on=on).filter(time_light__isnull=False)
    return (subcases.annotate(light_severity=severity_expression("time_light"))
            .select_related("application__item_version", "application__department", "department")
            .order_by("-light_severity", "remaining_working_days", "pk"))


def unnotified(older_than: datetime) -> Q:
    """Warnings raised before ``older_than`` whose notification has not gone out yet."""
    return Q(notified_at__isnull=True, raised_at__lt=older_than)
