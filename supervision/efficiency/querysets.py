"""The cases behind every efficiency figure, defined once as SQL and read three ways.

Each figure is an event with a date, drawn from one *stream* of rows:

=====================  ===========================  ===================================================
stream                 the event's day              figures (what each row adds)
=====================  ===========================  ===================================================
accepted               ``accepted_on``              accepted; online (filed online); accepted after a
                                                    one-time notice; the promised and statutory limits
concluded              Beijing day of conclusion    concluded; early (before the promised due date);
                                                    on time (on or before it)
due                    ``promised_due``             overdue: accepted, the due date has passed (before
                                                    the as-of day), and not concluded by it — concluded
                                                    later or still open, unless the clock stopped
                                                    (open pause) on or before the due date; withdrawn
                                                    and terminated cases are not counted
rated                  Beijing day of the rating    ratings, by level; satisfied (level ≥ the rule's)
received               ``received_on``              filings received; materials fetched from the
                                                    licence library (证照复用)
notices                Beijing day of the notice    one-time notices issued (一次性告知)
licences               ``issued_on``                licences put into the library (证照入库)
=====================  ===========================  ===================================================

The same fragments make (1) the rollups — ``GROUP BY day, department, item, channel`` over the
days touched; (2) the scores — one statement per period, grouped by department, item and window;
(3) the drill-down — the ids of exactly the cases that make one figure of one score. A test holds
all three to a direct computation from the cases, so they cannot drift apart.

Portable between PostgreSQL and SQLite (``make run``): the one difference, the Beijing day of a
stored instant, is spelled per vendor. Instants are filtered by Beijing-midnight bounds so that an
index on the column serves the period.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection

from approvals.choices import ApplicationStatus, Channel, MaterialState
from approvals.clock import BEIJING
from supervision.efficiency.choices import SubjectKind

# The figures a score counts, in the order the statements return them.
SCORE_FIGURES = [
    "accepted", "online", "accepted_after_notice", "promised_days", "statutory_days", "concluded",
    "concluded_early", "concluded_on_time", "overdue", "ratings", "ratings_satisfied",
]
# Accepted and later: a case that was accepted (withdrawal or termination after acceptance keeps it
# among the accepted; only these four can be overdue).
ACCEPTED_STATUSES = (ApplicationStatus.IN_PROGRESS, ApplicationStatus.APPROVED, ApplicationStatus.REFUSED,
                     ApplicationStatus.CONCLUDED)


def _tables() -> dict[str, str]:
    from approvals.models import Application, Licence, MaterialSubmission, OneTimeNotice, Pause, Rating
    from portal.catalogue.models import ItemVersion

    return {"application": Application._meta.db_table, "version": ItemVersion._meta.db_table,
            "notice": OneTimeNotice._meta.db_table, "pause": Pause._meta.db_table,
            "rating": Rating._meta.db_table, "material": MaterialSubmission._meta.db_table,
            "licence": Licence._meta.db_table}


def beijing_day_sql(column: str) -> str:
    """The Beijing calendar day (TIME_RULES §1) of a stored instant."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date"
    # SQLite keeps instants as UTC text; Beijing has kept UTC+8 all year since 1991.
    return f"date({column}, '+8 hours')"


def month_start_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING)


# --- Parameters and periods --------------------------------------------------------------------------


class Parameters(dict):
    """Named parameters of one statement, adapted for the database as they are added."""

    def value(self, value, name: str | None = None) -> str:
        name = name or f"p{len(self)}"
        if isinstance(value, datetime):
            value = connection.ops.adapt_datetimefield_value(value)
        elif isinstance(value, date):
            value = connection.ops.adapt_datefield_value(value)
        self[name] = value
        return f"%({name})s"


@dataclass(frozen=True)
class Span:
    """Consecutive days, both ends included."""

    first: date
    last: date


def spans_of(days: Iterable[date]) -> list[Span]:
    """Sorted runs of consecutive days: [1, 2, 3, 7] → [1–3, 7–7]."""
    spans: list[Span] = []
    for day in sorted(set(days)):
        if spans and day == spans[-1].last + timedelta(days=1):
            spans[-1] = Span(spans[-1].first, day)
        else:
            spans.append(Span(day, day))
    return spans


def _in_spans(column: str, is_instant: bool, spans: list[Span], params: Parameters) -> str:
    parts = []
    for span in spans:
        if is_instant:
            parts.append(f"({column} >= {params.value(beijing_midnight(span.first))} "
                         f"AND {column} < {params.value(beijing_midnight(span.last + timedelta(days=1)))})")
        else:
            parts.append(f"({column} BETWEEN {params.value(span.first)} AND {params.value(span.last)})")
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


def like_prefix(prefix: str) -> str:
    """A LIKE pattern for "starts with ``prefix``" (used with ESCAPE '\\')."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- Streams --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Rows that are events of one kind, the column that dates them, and what each row counts."""

    name: str
    from_sql: str
    day_column: str
    day_is_instant: bool
    condition: str
    # figure -> the condition under which a row counts one (None: every row counts one)
    counts: dict[str, str | None]
    # figure -> the value a row adds
    sums: dict[str, str] = field(default_factory=dict)
    region_path: str = "a.region_path"
    department_id: str = "a.department_id"
    item_id: str = "v.item_id"
    channel: str = "a.channel"
    application_id: str = "a.id"

    @property
    def day_sql(self) -> str:
        return beijing_day_sql(self.day_column) if self.day_is_instant else self.day_column

    def figure_sql(self, figure: str) -> str:
        if figure in self.counts:
            condition = self.counts[figure]
            return "1" if condition is None else f"CASE WHEN {condition} THEN 1 ELSE 0 END"
        if figure in self.sums:
            return self.sums[figure]
        return "0"

    def figures(self) -> list[str]:
        return [*self.counts, *self.sums]


def streams() -> dict[str, Stream]:
    """Every stream, for the connection's vendor."""
    t = _tables()
    case_of = f"{t['application']} a JOIN {t['version']} v ON v.id = a.item_version_id"
    version_of_case = f"JOIN {t['version']} v ON v.id = a.item_version_id"
    concluded_day = beijing_day_sql("a.concluded_at")
    accepted_statuses = ", ".join(f"'{status.value}'" for status in ACCEPTED_STATUSES)
    result = [
        Stream(
            "accepted", case_of, "a.accepted_on", False, "a.accepted_on IS NOT NULL",
            counts={
                "accepted": None,
                "online": f"a.channel = '{Channel.ONLINE.value}'",
                "accepted_after_notice": f"EXISTS (SELECT 1 FROM {t['notice']} n WHERE n.application_id = a.id)",
            },
            sums={"promised_days": "a.promised_limit", "statutory_days": "a.statutory_limit"},
        ),
        Stream(
            "concluded", case_of, "a.concluded_at", True, f"a.status = '{ApplicationStatus.CONCLUDED.value}'",
            counts={
                "concluded": None,
                "concluded_early": f"{concluded_day} < a.promised_due",
                "concluded_on_time": f"{concluded_day} <= a.promised_due",
            },
        ),
        Stream(
            "due", case_of, "a.promised_due", False,
            f"a.status IN ({accepted_statuses}) AND a.promised_due < %(as_of)s "
            f"AND NOT (a.status = '{ApplicationStatus.CONCLUDED.value}' AND {concluded_day} <= a.promised_due) "
            f"AND NOT EXISTS (SELECT 1 FROM {t['pause']} p WHERE p.application_id = a.id "
            f"AND p.ended_on IS NULL AND p.started_on <= a.promised_due)",
            counts={"overdue": None},
        ),
        Stream(
            "rated", f"{t['rating']} r JOIN {t['application']} a ON a.id = r.application_id {version_of_case}",
            "r.rated_at", True, "1 = 1",
            counts={
                "ratings": None,
                "ratings_satisfied": "r.level >= %(satisfied_min_level)s",
                **{f"rated_level_{level}": f"r.level = {level}" for level in range(1, 6)},
            },
        ),
        Stream(
            "received", case_of, "a.received_on", False, "a.received_on IS NOT NULL",
            counts={"received": None},
            sums={"materials_reused": f"(SELECT COUNT(*) FROM {t['material']} m WHERE m.application_id = a.id "
                                      f"AND m.state = '{MaterialState.REUSED.value}')"},
        ),
        Stream(
            "notices", f"{t['notice']} n JOIN {t['application']} a ON a.id = n.application_id {version_of_case}",
            "n.issued_at", True, "1 = 1",
            counts={"supplement_requests": None},
        ),
        Stream(
            "licences",
            f"{t['licence']} l JOIN {t['version']} v ON v.id = l.item_version_id "
            f"LEFT JOIN {t['application']} a ON a.id = l.application_id",
            "l.issued_on", False, "1 = 1",
            counts={"licences_issued": None},
            region_path="l.region_path", department_id="l.department_id", channel="COALESCE(a.channel, '')",
            application_id="l.application_id",
        ),
    ]
    return {stream.name: stream for stream in result}


def stream_of(figure: str) -> Stream:
    """The stream whose rows make ``figure``."""
    for stream in streams().values():
        if figure in stream.counts or figure in stream.sums:
            return stream
    raise KeyError(figure)


def _events_sql(chosen: list[Stream], outputs: list[str], where_of, *, with_day: bool) -> str:
    """UNION ALL of the chosen streams: dimensions (and day), then one column per output."""
    selects = []
    for stream in chosen:
        columns = [f"{stream.region_path} AS region_path", f"{stream.department_id} AS department_id",
                   f"{stream.item_id} AS item_id", f"{stream.channel} AS channel"]
        if with_day:
            columns.insert(0, f"{stream.day_sql} AS day")
        columns += [f"{stream.figure_sql(name)} AS {name}" for name in outputs]
        conditions = " AND ".join(f"({part})" for part in [stream.condition, *where_of(stream)])
        selects.append(f"SELECT {', '.join(columns)} FROM {stream.from_sql} WHERE {conditions}")
    return " UNION ALL ".join(selects)


# --- (1) Rollups ----------------------------------------------------------------------------------------


def daily_rollup_sql(days: Iterable[date], *, as_of: date, measures: list[str], table: str) -> tuple[str, dict]:
    """INSERT the rollup rows of ``days`` (recomputed from the source) into ``table``."""
    spans = spans_of(days)
    params = Parameters()
    params.value(as_of, "as_of")
    params["satisfied_min_level"] = 1  # not a rollup measure; the levels are counted one by one
    events = _events_sql(
        list(streams().values()), measures,
        lambda stream: [_in_spans(stream.day_column, stream.day_is_instant, spans, params)], with_day=True,
    )
    sums = ", ".join(f"SUM({name})" for name in measures)
    sql = (
        f"INSERT INTO {table} (day, region_path, department_id, item_id, channel, {', '.join(measures)}) "
        f"SELECT day, MIN(region_path), department_id, item_id, channel, {sums} "
        f"FROM ({events}) e GROUP BY day, department_id, item_id, channel"
    )
    return sql, params


def delete_days_sql(days: Iterable[date], *, table: str, column: str) -> tuple[str, dict]:
    params = Parameters()
    return f"DELETE FROM {table} WHERE {_in_spans(column, False, spans_of(days), params)}", params


def monthly_rollup_sql(months: Iterable[date], *, measures: list[str], daily_table: str,
                       monthly_table: str) -> tuple[str, dict]:
    """INSERT the month rows of ``months`` (first days) as the sums of their days."""
    params = Parameters()
    spans = [Span(month, _month_end(month)) for month in sorted(set(months))]
    sums = ", ".join(f"SUM({name})" for name in measures)
    month = month_start_sql("day")
    sql = (
        f"INSERT INTO {monthly_table} (month, region_path, department_id, item_id, channel, {', '.join(measures)}) "
        f"SELECT {month}, MIN(region_path), department_id, item_id, channel, {sums} FROM {daily_table} "
        f"WHERE {_in_spans('day', False, spans, params)} GROUP BY {month}, department_id, item_id, channel"
    )
    return sql, params


def _month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


# --- (2) Scores -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """What a score counts: events from ``start`` to ``end`` (inclusive) of cases in the region
    ``region_path``; a case counts as overdue once its due date is before ``as_of``."""

    start: date
    end: date
    as_of: date
    region_path: str
    satisfied_min_level: int

    def parameters(self) -> Parameters:
        params = Parameters()
        params.value(self.as_of, "as_of")
        params["satisfied_min_level"] = self.satisfied_min_level
        params["region_prefix"] = like_prefix(self.region_path)
        return params

    def where(self, stream: Stream, params: Parameters) -> list[str]:
        return [_in_spans(stream.day_column, stream.day_is_instant, [Span(self.start, self.end)], params),
                f"{stream.region_path} LIKE %(region_prefix)s ESCAPE '\\'"]


def score_figures_sql(period: Period) -> tuple[str, dict]:
    """One statement: every subject's figures for the period, as rows of
    (subject kind, department id, item id, figures…), grouped by department, item and window."""
    params = period.parameters()
    chosen = [stream for stream in streams().values() if set(stream.figures()) & set(SCORE_FIGURES)]
    events = _events_sql(chosen, SCORE_FIGURES, lambda stream: period.where(stream, params), with_day=False)
    fine_sums = ", ".join(f"SUM({name}) AS {name}" for name in SCORE_FIGURES)
    sums = ", ".join(f"SUM({name})" for name in SCORE_FIGURES)
    sql = (
        f"WITH fine AS (SELECT department_id, item_id, channel, {fine_sums} FROM ({events}) e "
        f"GROUP BY department_id, item_id, channel) "
        f"SELECT '{SubjectKind.DEPARTMENT.value}', department_id, NULL, {sums} FROM fine GROUP BY department_id "
        f"UNION ALL SELECT '{SubjectKind.ITEM.value}', MIN(department_id), item_id, {sums} FROM fine GROUP BY item_id "
        f"UNION ALL SELECT '{SubjectKind.WINDOW.value}', department_id, NULL, {sums} FROM fine "
        f"WHERE channel = '{Channel.WINDOW.value}' GROUP BY department_id"
    )
    return sql, params


# --- (3) Drill-down -------------------------------------------------------------------------------------


def figure_cases_sql(figure: str, period: Period, *, subject_kind: str, department_id: int,
                     item_id: int | None) -> tuple[str, dict]:
    """The ids of the applications that make ``figure`` of one subject's score."""
    stream = stream_of(figure)
    params = period.parameters()
    conditions = [stream.condition, *period.where(stream, params)]
    if subject_kind == SubjectKind.ITEM:
        conditions.append(f"{stream.item_id} = {params.value(item_id, 'item_id')}")
    else:
        conditions.append(f"{stream.department_id} = {params.value(department_id, 'department_id')}")
        if subject_kind == SubjectKind.WINDOW:
            conditions.append(f"{stream.channel} = '{Channel.WINDOW.value}'")
    condition = stream.counts.get(figure)
    if condition is not None:
        conditions.append(condition)
    where = " AND ".join(f"({part})" for part in conditions)
    return f"SELECT {stream.application_id} FROM {stream.from_sql} WHERE {where}", params


_NAMED = re.compile(r"%\((\w+)\)s")


def positional(sql: str, params: dict) -> tuple[str, list]:
    """The statement with ``%s`` placeholders and its parameters in order, for embedding in an
    ORM query (``RawSQL``), which takes positional parameters only."""
    ordered = [params[match.group(1)] for match in _NAMED.finditer(sql)]
    return _NAMED.sub("%s", sql), ordered
