"""Every change of a rectification case (差评整改), each a named service over the one guarded
transition (``transitions.apply``).

A bad review (不满意 / 非常不满意) opens a case for the rated case's department, due N working days
after the rating date (N from ``RectificationPolicy``, 15 by default as in Sichuan's rules). The
department records what it did (with evidence), or asks for the review to be judged invalid
(无效差评) or impossible to rectify (无法整改); a supervisor whose region covers the department
decides. Staff record callbacks to the applicant (回访); the supervisor may require one before
accepting. A sweep marks cases still with the department after their deadline overdue and warns
once per case. Notifications are written in the same transaction (inbox rows, and email/SMS as
outbox messages), so they exist exactly when the change does.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from approvals.choices import RatingLevel
from approvals.clock import beijing_date
from portal.audit.services import record_change, record_event, snapshot
from portal.notifications.choices import Channel
from portal.notifications.services import notify
from portal.organisation.choices import Role, UserKind
from portal.organisation.models import Department, User
from portal.transactions import insert_or_get, service
from portal.workdays import add_working_days
from supervision.rectification import transitions
from supervision.rectification.choices import (
    BAD_RATING_LEVELS,
    CallbackMethod,
    EntryKind,
    InvalidityGround,
)
from supervision.rectification.models import (
    MAX_DEADLINE_WORKING_DAYS,
    Callback,
    OverdueWarning,
    RectificationCase,
    RectificationEntry,
    RectificationPolicy,
)

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 2000
UPLOAD_PURPOSE = "rectification"


def today() -> date:
    return beijing_date(timezone.now())


def _name(actor) -> str:
    return str(actor) if actor is not None else "系统"


def _text(value: str, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [message]})
    if len(value) > TEXT_MAX_LENGTH:
        raise ValidationError({field: [f"内容不能超过 {TEXT_MAX_LENGTH} 字。"]})
    return value


# --- The policy ----------------------------------------------------------------------------------


def current_policy() -> RectificationPolicy:
    """The rules in force: the admins' row, or the defaults (15 working days) while there is none."""
    return RectificationPolicy.objects.filter(pk=RectificationPolicy.SINGLETON_ID).first() or RectificationPolicy()


@service
def update_policy(*, actor, deadline_working_days: int, callback_required_by_default: bool) -> RectificationPolicy:
    """Admins set the rectification deadline (working days) and whether a callback is required.

    Applies to cases opened afterwards: a case keeps the terms it was opened with.
    """
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("只有系统管理员可以修改差评整改规则。")
    if isinstance(deadline_working_days, bool) or not isinstance(deadline_working_days, int) \
            or not 1 <= deadline_working_days <= MAX_DEADLINE_WORKING_DAYS:
        raise ValidationError({"deadline_working_days": [
            f"整改期限应为 1 至 {MAX_DEADLINE_WORKING_DAYS} 个工作日。"]})
    fields = ["deadline_working_days", "callback_required_by_default"]
    policy = RectificationPolicy.objects.select_for_update().filter(pk=RectificationPolicy.SINGLETON_ID).first()
    created = policy is None
    policy = policy or RectificationPolicy()
    before = snapshot(policy, fields)
    policy.deadline_working_days = deadline_working_days
    policy.callback_required_by_default = bool(callback_required_by_default)
    if not created and before == snapshot(policy, fields):
        return policy
    policy.save(force_insert=created)
    record_change(policy, actor=actor, event_type="rectification.policy.changed", before=None if created else before,
                  fields=fields)
    return policy


# --- Who is told ---------------------------------------------------------------------------------


def department_people(department: Department) -> list[User]:
    """The department's responsible people: its active approvers (批准人), who answer for its cases."""
    return list(User.objects.filter(department=department, is_active=True, kind=UserKind.STAFF,
                                    groups__name=Role.APPROVER).order_by("pk"))


def supervisors_over(department: Department, *, candidates: list[User] | None = None) -> list[User]:
    """Active supervisors whose scope region contains the department's region."""
    if candidates is None:
        candidates = supervisors()
    path = department.region.path
    return [user for user in candidates if user.scope_path and path.startswith(user.scope_path)]


def supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, kind=UserKind.STAFF, groups__name=Role.SUPERVISOR)
                .select_related("scope_region", "department__region").order_by("pk"))


def _tell_department(case: RectificationCase, key: str, subject: str, body: str, *, contact: bool = True) -> int:
    """Inbox (and their email/SMS) for the department's responsible people; email/SMS for its fixed
    contact person. Returns how many were told; nobody to tell is logged, not an error."""
    link = reverse("rectification:case", args=[case.pk])
    told = 0
    for person in department_people(case.department):
        notify(recipient=person, subject=subject, body=body, link=link, key=f"{key}:user:{person.pk}")
        told += 1
    department = case.department
    if contact and (department.contact_email or department.contact_phone):
        notify(email=department.contact_email, phone=department.contact_phone, subject=subject, body=body,
               link=link, key=f"{key}:contact", channels=(Channel.EMAIL, Channel.SMS))
        told += 1
    if not told:
        logger.warning("rectification %s: department %s has no approver or contact to tell", case.pk, department)
    return told


def _tell_supervisors(case: RectificationCase, key: str, subject: str, body: str, *,
                      candidates: list[User] | None = None, channels=(Channel.INBOX,)) -> int:
    link = reverse("rectification:case", args=[case.pk])
    people = supervisors_over(case.department, candidates=candidates)
    for person in people:
        notify(recipient=person, subject=subject, body=body, link=link, key=f"{key}:user:{person.pk}",
               channels=channels)
    return len(people)


def _describe(case: RectificationCase) -> str:
    """Receipt number and item name: never the applicant's personal data (it goes out by SMS)."""
    application = case.application
    return f"{application.receipt_number}「{application.item_version.name}」"


def _add_entry(case: RectificationCase, kind: str, *, actor, text: str = "", ground: str = "",
               attachment=None) -> RectificationEntry:
    return RectificationEntry.objects.create(case=case, kind=kind, text=text, ground=ground, attachment=attachment,
                                             actor=actor, actor_name=_name(actor), acted_at=timezone.now())


def _store(attachment, actor):
    if attachment is None:
        return None
    from portal.uploads.services import store_upload

    return store_upload(attachment, actor=actor, purpose=UPLOAD_PURPOSE)


# --- Opening ------------------------------------------------------------------------------------


def deadline_for(rated_on: date, working_days: int):
    """N working days after the rating date (TIME_RULES §3); provisional past the published years."""
    return add_working_days(rated_on, working_days)


@service
def open_for_rating(rating) -> RectificationCase | None:
    """A bad review opens a rectification for the rated case's department; other ratings nothing.

    Called by ``approvals.services.rate_application`` in the rating's own transaction. Exactly one
    case per rating (a unique constraint): a repeated call returns the case already open.
    """
    if rating.level not in BAD_RATING_LEVELS:
        return None
    from approvals.models import Application

    application = (Application.objects.select_related("department__region", "item_version")
                   .get(pk=rating.application_id))
    policy = current_policy()
    rated_on = beijing_date(rating.rated_at)
    deadline = deadline_for(rated_on, policy.deadline_working_days)
    case, created = insert_or_get(RectificationCase(
        rating_id=rating.pk, application=application, department=application.department,
        region_path=application.department.region.path, rated_on=rated_on,
        deadline_working_days=policy.deadline_working_days, deadline=deadline,
        deadline_is_provisional=deadline.provisional, callback_required=policy.callback_required_by_default,
        opened_at=timezone.now(),
    ), "rating")
    if not created:
        return case
    rating.rectification = case  # the caller's rating knows its case without another query
    case.application = application
    case.department = application.department
    _add_entry(case, EntryKind.OPENED, actor=None, text=rating.comment)
    record_event("rectification.case.opened", actor=None, target=case, data={
        "rating": rating.pk, "level": rating.level, "application": application.pk,
        "department": application.department_id, "deadline": deadline.isoformat(),
        "deadline_working_days": policy.deadline_working_days,
    })
    level = RatingLevel(rating.level).label
    _tell_department(
        case, f"rectification:{case.pk}:opened", "差评整改通知",
        f"{_describe(case)}收到“{level}”评价，请于 {deadline:%Y-%m-%d} 前完成整改并提交整改情况"
        f"（整改期限 {policy.deadline_working_days} 个工作日）；如认为属无效差评或无法整改，可申请认定。",
    )
    return case


# --- The department ------------------------------------------------------------------------------


@service
def submit_rectification(case: RectificationCase, *, actor, measures: str, attachment=None) -> RectificationCase:
    """The department records what it did about the bad review, with optional evidence."""
    measures = _text(measures, "measures", "请填写整改情况。")
    locked = transitions.apply(case, "submit_rectification", actor=actor)
    entry = _add_entry(locked, EntryKind.RECTIFICATION_SUBMITTED, actor=actor, text=measures,
                       attachment=_store(attachment, actor))
    _announce_for_review(locked, entry, "整改情况待审核", "已提交整改情况，请审核。")
    return locked


@service
def request_invalidity(case: RectificationCase, *, actor, ground: str, reasons: str,
                       attachment=None) -> RectificationCase:
    """无效差评申请: the review is malicious, unrelated to the service, mistaken…; the supervisor decides."""
    if ground not in InvalidityGround.values:
        raise ValidationError({"ground": ["请选择无效差评的理由类别。"]})
    reasons = _text(reasons, "reasons", "请填写申请认定无效差评的理由。")
    locked = transitions.apply(case, "request_invalidity", actor=actor, changes=lambda row: {"invalidity_ground": ground},
                               data={"ground": ground})
    entry = _add_entry(locked, EntryKind.INVALIDITY_REQUESTED, actor=actor, text=reasons, ground=ground,
                       attachment=_store(attachment, actor))
    _announce_for_review(locked, entry, "无效差评申请待审核", "申请认定为无效差评，请审核。")
    return locked


@service
def request_impossibility(case: RectificationCase, *, actor, reasons: str, attachment=None) -> RectificationCase:
    """无法整改: what the applicant asks cannot be done (law, conditions); the supervisor decides."""
    reasons = _text(reasons, "reasons", "请填写无法整改的理由。")
    locked = transitions.apply(case, "request_impossibility", actor=actor)
    entry = _add_entry(locked, EntryKind.IMPOSSIBILITY_REQUESTED, actor=actor, text=reasons,
                       attachment=_store(attachment, actor))
    _announce_for_review(locked, entry, "无法整改申请待审核", "申请认定为无法整改，请审核。")
    return locked


def _announce_for_review(case: RectificationCase, entry: RectificationEntry, subject: str, what: str) -> None:
    _tell_supervisors(case, f"rectification:{case.pk}:entry:{entry.pk}", subject,
                      f"{case.department.name}就{_describe(case)}的差评{what}")


@service
def record_callback(case: RectificationCase, *, actor, called_on: date, method: str, satisfaction: int,
                    note: str = "") -> Callback:
    """回访: staff call the applicant back and record how satisfied they are now."""
    if method not in CallbackMethod.values:
        raise ValidationError({"method": ["请选择回访方式。"]})
    if satisfaction not in RatingLevel.values:
        raise ValidationError({"satisfaction": ["请选择申请人整改后的满意度。"]})
    note = _text(note, "note", "", required=False)
    if not isinstance(called_on, date):
        raise ValidationError({"called_on": ["请填写回访日期。"]})

    def check(locked: RectificationCase) -> None:
        if called_on > today():
            raise ValidationError({"called_on": ["回访日期不能晚于今天。"]})
        if called_on < locked.rated_on:
            raise ValidationError({"called_on": ["回访日期不能早于差评日期。"]})

    locked = transitions.apply(case, "record_callback", actor=actor, check=check, data={
        "called_on": called_on.isoformat(), "method": method, "satisfaction": satisfaction})
    return Callback.objects.create(case=locked, called_on=called_on, method=method, satisfaction=satisfaction,
                                   note=note, recorded_by=actor, recorded_by_name=_name(actor),
                                   recorded_at=timezone.now())


# --- The supervisor ------------------------------------------------------------------------------


def _decided(locked: RectificationCase, entry: RectificationEntry, subject: str, what: str, *,
             back_to_department: bool) -> None:
    """Tell the department of a decision; a case sent back reaches its contact person too."""
    _tell_department(locked, f"rectification:{locked.pk}:entry:{entry.pk}", subject,
                     f"{_describe(locked)}的差评整改：{what}" + (
                         f"请于 {locked.deadline:%Y-%m-%d} 前继续整改。" if back_to_department else ""),
                     contact=back_to_department)


@service
def accept_rectification(case: RectificationCase, *, actor, opinion: str = "") -> RectificationCase:
    """The supervisor accepts the rectification: the case is closed."""
    opinion = _text(opinion, "opinion", "", required=False)

    def check(locked: RectificationCase) -> None:
        if locked.callback_required and not locked.callbacks.exists():
            raise transitions.TransitionRefused("该整改件须至少记录一次回访后才能审核通过。",
                                                code="callback_required")

    locked = transitions.apply(case, "accept_rectification", actor=actor, check=check,
                               changes=lambda row: {"closed_at": timezone.now()})
    entry = _add_entry(locked, EntryKind.ACCEPTED, actor=actor, text=opinion)
    _decided(locked, entry, "整改审核通过", "整改情况审核通过，整改件办结。", back_to_department=False)
    return locked


@service
def return_rectification(case: RectificationCase, *, actor, reasons: str) -> RectificationCase:
    """The supervisor sends the rectification back with reasons: the department works on."""
    reasons = _text(reasons, "reasons", "请填写退回理由。")
    locked = transitions.apply(case, "return_rectification", actor=actor)
    entry = _add_entry(locked, EntryKind.RETURNED, actor=actor, text=reasons)
    _decided(locked, entry, "整改被退回", f"整改情况被退回，理由：{reasons}。", back_to_department=True)
    return locked


@service
def judge_invalid(case: RectificationCase, *, actor, opinion: str = "") -> RectificationCase:
    """无效差评: closed, and the rating is left out of satisfaction scores (``excluded_rating_ids``)."""
    opinion = _text(opinion, "opinion", "", required=False)
    locked = transitions.apply(case, "judge_invalid", actor=actor,
                               changes=lambda row: {"rating_excluded": True, "closed_at": timezone.now()},
                               data={"rating": case.rating_id})
    entry = _add_entry(locked, EntryKind.JUDGED_INVALID, actor=actor, text=opinion)
    _decided(locked, entry, "无效差评申请已认定", "认定为无效差评，该评价不计入满意度。", back_to_department=False)
    return locked


@service
def reject_invalidity(case: RectificationCase, *, actor, reasons: str) -> RectificationCase:
    reasons = _text(reasons, "reasons", "请填写不予认定的理由。")
    locked = transitions.apply(case, "reject_invalidity", actor=actor,
                               changes=lambda row: {"invalidity_ground": ""})
    entry = _add_entry(locked, EntryKind.INVALIDITY_REJECTED, actor=actor, text=reasons)
    _decided(locked, entry, "无效差评申请未获认定", f"不予认定为无效差评，理由：{reasons}。", back_to_department=True)
    return locked


@service
def judge_impossible(case: RectificationCase, *, actor, opinion: str = "") -> RectificationCase:
    opinion = _text(opinion, "opinion", "", required=False)
    locked = transitions.apply(case, "judge_impossible", actor=actor,
                               changes=lambda row: {"closed_at": timezone.now()})
    entry = _add_entry(locked, EntryKind.JUDGED_IMPOSSIBLE, actor=actor, text=opinion)
    _decided(locked, entry, "无法整改申请已认定", "认定为无法整改，整改件办结。", back_to_department=False)
    return locked


@service
def reject_impossibility(case: RectificationCase, *, actor, reasons: str) -> RectificationCase:
    reasons = _text(reasons, "reasons", "请填写不予认定的理由。")
    locked = transitions.apply(case, "reject_impossibility", actor=actor)
    entry = _add_entry(locked, EntryKind.IMPOSSIBILITY_REJECTED, actor=actor, text=reasons)
    _decided(locked, entry, "无法整改申请未获认定", f"不予认定为无法整改，理由：{reasons}。", back_to_department=True)
    return locked


@service
def require_callback(case: RectificationCase, *, actor) -> RectificationCase:
    """The supervisor requires at least one callback before the rectification can be accepted."""

    def check(locked: RectificationCase) -> None:
        if locked.callback_required:
            raise transitions.TransitionRefused("已要求回访，无需重复要求。", code="already_required")

    locked = transitions.apply(case, "require_callback", actor=actor, check=check,
                               changes=lambda row: {"callback_required": True})
    entry = _add_entry(locked, EntryKind.CALLBACK_REQUIRED, actor=actor)
    _decided(locked, entry, "请回访申请人", "监察人员要求回访申请人并记录回访情况后再审核。", back_to_department=False)
    return locked


# --- The overdue sweep ---------------------------------------------------------------------------


def sweep_overdue(*, on: date | None = None) -> dict[str, int]:
    """Mark rectifications past their deadline overdue and warn once per case (level-triggered).

    Two statements do the work whatever the backlog: a conditional UPDATE flags every case still
    with the department after its deadline (the ``mark_overdue`` move's sources; a flagged case is
    never flagged again), then INSERT … SELECT … ON CONFLICT DO NOTHING raises a warning for every
    flagged case that has none (one per case by constraint) and returns only the new ones, which
    alone are announced. A doubled, concurrent or missed run changes nothing: the second waits for
    the first's row locks and then finds nothing left to do.
    """
    on = on or today()
    sources = list(transitions.TRANSITIONS["mark_overdue"].sources)
    now = timezone.now()
    with transaction.atomic():
        marked = RectificationCase.objects.newly_overdue(on).filter(status__in=sources).update(
            is_overdue=True, overdue_on=on)
        quote = connection.ops.quote_name
        warnings_table, cases_table = quote(OverdueWarning._meta.db_table), quote(RectificationCase._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {warnings_table} (case_id, department_id, deadline, raised_on, raised_at) "
                f"SELECT rectification.id, rectification.department_id, rectification.deadline, %s, %s "
                f"FROM {cases_table} rectification WHERE rectification.is_overdue "
                f"AND NOT EXISTS (SELECT 1 FROM {warnings_table} warned WHERE warned.case_id = rectification.id) "
                f"ON CONFLICT (case_id) DO NOTHING RETURNING id",
                [on, now],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
        if new_ids:
            _announce_overdue(new_ids)
    return {"marked": marked, "warned": len(new_ids)}


def _announce_overdue(warning_ids: list[int]) -> None:
    """History entry, audit event and notices for each new warning, in the sweep's transaction."""
    candidates = supervisors()
    warnings = (OverdueWarning.objects.filter(pk__in=warning_ids)
                .select_related("case__application__item_version", "case__department__region")
                .order_by("pk"))
    for warning in warnings:
        case = warning.case
        _add_entry(case, EntryKind.OVERDUE, actor=None,
                   text=f"整改截止日 {warning.deadline:%Y-%m-%d} 已过，尚未完成整改。")
        record_event("rectification.case.mark_overdue", actor=None, target=case,
                     data={"warning": warning.pk, "deadline": warning.deadline.isoformat(),
                           "department": case.department_id})
        key = f"rectification:{case.pk}:overdue"
        body = (f"{case.department.name}：{_describe(case)}的差评整改已超过整改截止日 {warning.deadline:%Y-%m-%d}，"
                f"请立即整改并书面说明逾期理由。")
        _tell_department(case, key, "差评整改逾期预警", body)
        _tell_supervisors(case, key, "差评整改逾期预警", body, candidates=candidates,
                          channels=(Channel.INBOX, Channel.EMAIL, Channel.SMS))


# --- The calendar ------------------------------------------------------------------------------


def recompute_provisional_deadlines(year: int) -> int:
    """WORKDAY_PUBLISHED_HOOKS: once a year's holidays are published, recompute the deadlines that
    reached into it on weekends only (TIME_RULES §11). Idempotent; returns how many changed.

    A case already marked overdue keeps its flag and warning: it was late by the rules then known.
    """
    changed = 0
    candidates = (RectificationCase.objects.open().filter(deadline_is_provisional=True, deadline__year__gte=year)
                  .values_list("pk", flat=True))
    for pk in candidates:
        case = RectificationCase(pk=pk)

        def changes(locked: RectificationCase) -> dict:
            deadline = deadline_for(locked.rated_on, locked.deadline_working_days)
            return {"deadline": date(deadline.year, deadline.month, deadline.day),
                    "deadline_is_provisional": deadline.provisional}

        with transaction.atomic():
            before = RectificationCase.objects.filter(pk=pk).values_list("deadline", flat=True).first()
            locked = transitions.apply(case, "recompute_deadline", actor=None, changes=changes,
                                       data={"year": year})
            changed += locked.deadline != before
    return changed
