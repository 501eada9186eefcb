"""Set-based reads of the approvals data for the conduct sweeps: one query per off-system rule and
one per source of key events, each a queryset the sweep turns into ``INSERT … SELECT``.

They read the approvals tables (and, for the two key events the tables do not date, the audit
trail) without changing them; nothing here loops over cases in Python. Each query is built with
the ORM so that it runs on PostgreSQL and on the SQLite file ``make run`` uses by default.

Dates are Beijing dates (TIME_RULES §1); working days come from the calendar table's ordinals
(``portal.workdays.querysets``), so "working days in (a, b]" is a subtraction in SQL.
"""

from datetime import timedelta

from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.aggregates import Count
from django.db.models.functions import Abs, Cast, Coalesce, Concat, JSONObject, TruncDate

from approvals.choices import ApplicationStatus, Channel, DecisionOutcome, PauseReason, StepKind
from approvals.clock import BEIJING
from approvals.models import Application, Decision, Extension, OneTimeNotice, Pause, Step
from portal.audit.models import AuditEntry
from portal.workdays.querysets import WorkingDaysBetween
from supervision.conduct.choices import KeyEventKind

# Steps a person claims from a queue and then records: their time from claim to act is the
# step's own. Acceptance (timed from the filing) and conclusion (at the window) are not.
CLAIMED_STEP_KINDS = (StepKind.HANDLE, StepKind.REVIEW, StepKind.APPROVE, StepKind.APPROVE_CONCLUDE)
ACCEPTANCE_STEP_KINDS = (StepKind.ACCEPT, StepKind.ACCEPT_REVIEW)


class SecondsBetween(Func):
    """Whole seconds from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""

    output_field = BigIntegerField()
    arg_joiner = " - "
    template = "CAST(TRUNC(EXTRACT(EPOCH FROM (%(expressions)s))) AS bigint)"

    def __init__(self, later, earlier):
        super().__init__(later, earlier)

    def as_sqlite(self, compiler, connection, **extra_context):
        later, earlier = (compiler.compile(expression) for expression in self.get_source_expressions())
        # julianday is a float of days: round, or 30 s comes out as 29.999… and truncates to 29.
        return (f"CAST(ROUND((julianday({later[0]}) - julianday({earlier[0]})) * 86400) AS integer)",
                [*later[1], *earlier[1]])


def text(value: str):
    """A string constant with a type, so that PostgreSQL's JSON builders accept it."""
    return Cast(Value(value), output_field=TextField())


def beijing_date(field: str):
    return TruncDate(field, tzinfo=BEIJING)


# --- The off-system processing rules (体外循环) --------------------------------------------------


def late_online_acceptances(*, working_days: int) -> QuerySet[Step]:
    """Acceptance steps of online filings recorded more than ``working_days`` working days after
    the filing arrived (``received_on``, already moved past nights and holidays), or after the
    applicant answered the one-time notice. Deemed acceptances are the law acting, not a person.
    """
    answered = (OneTimeNotice.objects.filter(application=OuterRef("application"), answered_at__isnull=False)
                .order_by("-answered_at").annotate(answered_on=beijing_date("answered_at")).values("answered_on")[:1])
    arrived = Coalesce(Subquery(answered, output_field=DateField()), F("application__received_on"))
    return (
        Step.objects.filter(kind__in=ACCEPTANCE_STEP_KINDS, application__channel=Channel.ONLINE,
                            application__deemed_accepted=False, application__received_on__isnull=False)
        .annotate(late_days=WorkingDaysBetween(arrived, beijing_date("acted_at")))
        .filter(late_days__gt=working_days)
        .annotate(figures=JSONObject(working_days=F("late_days"), threshold=Value(working_days)))
    )


def step_bursts(*, steps: int, minutes: int) -> QuerySet[Step]:
    """Claimed steps recorded in a burst: the same person recorded steps on at least ``steps``
    different cases within ``minutes`` minutes.

    A window of ``minutes`` that holds such a burst can be slid to begin at its first step, so
    "in some burst" means: some step of the same person at most ``minutes`` earlier (or this
    one) begins a window that holds ``steps`` cases. ``cases`` is the largest such count.
    """
    window = timedelta(minutes=minutes)
    claimed = Step.objects.filter(kind__in=CLAIMED_STEP_KINDS, actor__isnull=False)
    cases_in_window = (
        claimed.filter(actor=OuterRef("actor"), acted_at__gte=OuterRef("acted_at"),
                       acted_at__lte=OuterRef("acted_at") + window)
        .order_by().values("actor").annotate(count=Count("application", distinct=True)).values("count")
    )
    burst_starts = claimed.annotate(cases=Subquery(cases_in_window)).filter(cases__gte=steps)
    largest_burst = (
        burst_starts.filter(actor=OuterRef("actor"), acted_at__lte=OuterRef("acted_at"),
                            acted_at__gte=OuterRef("acted_at") - window)
        .order_by("-cases").values("cases")[:1]
    )
    return (
        claimed.annotate(burst_cases=Subquery(largest_burst))
        .filter(burst_cases__isnull=False)
        .annotate(figures=JSONObject(cases=F("burst_cases"), minutes=Value(minutes), threshold=Value(steps)))
    )


def short_steps(*, seconds: int) -> QuerySet[Step]:
    """Claimed steps recorded less than ``seconds`` seconds after they were claimed."""
    return (
        Step.objects.filter(kind__in=CLAIMED_STEP_KINDS)
        .annotate(step_seconds=SecondsBetween("acted_at", "started_at"))
        .filter(step_seconds__lt=seconds)
        .annotate(figures=JSONObject(seconds=F("step_seconds"), threshold=Value(seconds)))
    )


def long_steps(*, working_days: int) -> QuerySet[Step]:
    """Claimed steps that took more than ``working_days`` working days from claim to act, when
    the case's clock did not stop meanwhile (a pause for supplementary materials or an art. 45
    procedure explains a long step)."""
    paused_meanwhile = Pause.objects.filter(application=OuterRef("application"),
                                            started_on__lte=OuterRef("acted_on")).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("started_on")))
    return (
        Step.objects.filter(kind__in=CLAIMED_STEP_KINDS)
        .annotate(started_on=beijing_date("started_at"), acted_on=beijing_date("acted_at"))
        .annotate(step_days=WorkingDaysBetween(F("started_on"), F("acted_on")))
        .filter(step_days__gt=working_days)
        .exclude(Exists(paused_meanwhile))
        .annotate(figures=JSONObject(working_days=F("step_days"), threshold=Value(working_days)))
    )


def claimed_time_gaps(*, minutes: int) -> QuerySet[Step]:
    """Steps whose acting time claimed by a department's system lies more than ``minutes``
    minutes from the time the platform recorded (either way), as ``approvals.claimed_time``
    measures it when the step is recorded."""
    return (
        Step.objects.filter(claimed_acted_at__isnull=False)
        .annotate(gap_seconds=Abs(SecondsBetween("acted_at", "claimed_acted_at")))
        .filter(gap_seconds__gt=minutes * 60)
        .annotate(figures=JSONObject(minutes=F("gap_seconds") / 60, threshold=Value(minutes)))
    )


# --- Key events (关键事件) ------------------------------------------------------------------------
#
# Each source gives rows with the ledger's columns under the names the sweep inserts:
# application, kind, occurrence_key, department, region_path, occurred_on, occurred_at, detail.


def _audited_at(event_type: str):
    """When the audit trail recorded ``event_type`` for the application (its latest such entry)."""
    entries = (AuditEntry.objects.filter(target_type="approvals.application", event_type=event_type,
                                         target_id=Cast(OuterRef("pk"), output_field=CharField()))
               .order_by("-id").values("occurred_at")[:1])
    return Subquery(entries)


def _application_columns(prefix: str = "") -> dict:
    return {"c_application": F(f"{prefix}id" if prefix else "pk"),
            "c_department": F(f"{prefix}department_id"),
            "c_region_path": F(f"{prefix}region_path")}


def not_accepted_events() -> QuerySet:
    """不予受理: the application's status says it; the audit trail says when."""
    return (
        Application.objects.filter(status=ApplicationStatus.NOT_ACCEPTED)
        .annotate(when=Coalesce(_audited_at("approvals.application.refuse_acceptance"), F("submitted_at"),
                                F("created_at")))
        .annotate(**_application_columns(), c_kind=text(KeyEventKind.NOT_ACCEPTED), c_occurrence_key=text(""),
                  c_occurred_on=beijing_date("when"), c_occurred_at=F("when"),
                  c_detail=JSONObject(reason=F("closing_reason"), channel=F("channel")))
    )


def deemed_accepted_events() -> QuerySet:
    """视为受理 (art. 32): the application is marked; the audit trail says when the sweep did it."""
    return (
        Application.objects.filter(deemed_accepted=True)
        .annotate(when=Coalesce(_audited_at("approvals.application.deem_accepted"), F("created_at")))
        .annotate(**_application_columns(), c_kind=text(KeyEventKind.DEEMED_ACCEPTED), c_occurrence_key=text(""),
                  c_occurred_on=beijing_date("when"), c_occurred_at=F("when"),
                  c_detail=JSONObject(accepted_on=F("accepted_on"), received_on=F("received_on")))
    )


def refused_events() -> QuerySet:
    """不予许可: the refusal decision (art. 38)."""
    return (
        Decision.objects.filter(outcome=DecisionOutcome.REFUSE)
        .annotate(**_application_columns("application__"), c_kind=text(KeyEventKind.REFUSED),
                  c_occurrence_key=text(""), c_occurred_on=beijing_date("decided_at"), c_occurred_at=F("decided_at"),
                  c_detail=JSONObject(document_number=F("document_number"), reasons=F("reasons"),
                                      decided_by=F("decided_by_name")))
    )


def extended_events() -> QuerySet:
    """延期: the one extension art. 42 allows."""
    return (
        Extension.objects.all()
        .annotate(**_application_columns("application__"), c_kind=text(KeyEventKind.EXTENDED),
                  c_occurrence_key=text(""), c_occurred_on=beijing_date("approved_at"), c_occurred_at=F("approved_at"),
                  c_detail=JSONObject(days=F("days"), reason=F("reason"), approved_by=F("approved_by_name")))
    )


def notice_events() -> QuerySet:
    """补正告知 before acceptance: the one-time notice (art. 32)."""
    return (
        OneTimeNotice.objects.all()
        .annotate(**_application_columns("application__"), c_kind=text(KeyEventKind.SUPPLEMENT_REQUESTED),
                  c_occurrence_key=Concat(text("notice:"), Cast("pk", output_field=TextField())),
                  c_occurred_on=beijing_date("issued_at"), c_occurred_at=F("issued_at"),
                  c_detail=JSONObject(source=text("one_time_notice"), issued_by=F("issued_by_name")))
    )


def supplement_pause_events() -> QuerySet:
    """补正告知 during handling: the clock paused for supplementary materials."""
    return (
        Pause.objects.filter(reason=PauseReason.SUPPLEMENT)
        .annotate(**_application_columns("application__"), c_kind=text(KeyEventKind.SUPPLEMENT_REQUESTED),
                  c_occurrence_key=Concat(text("pause:"), Cast("pk", output_field=TextField())),
                  c_occurred_on=F("started_on"), c_occurred_at=Cast(Value(None), output_field=DateTimeField()),
                  c_detail=JSONObject(source=text("pause"), note=F("note"), issued_by=F("started_by_name")))
    )


KEY_EVENT_SOURCES = {
    "not_accepted": not_accepted_events,
    "refused": refused_events,
    "supplement_notice": notice_events,
    "supplement_pause": supplement_pause_events,
    "deemed_accepted": deemed_accepted_events,
    "extended": extended_events,
}
