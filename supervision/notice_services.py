"""Red → supervision notice (督办通知书): drafting, issue, explanation, outcome, fault and appeal
(DOMAIN.md §5: "the system generates a supervision notice to the department, which must explain
in writing; without good reason, fault responsibility follows and is recorded").

- **Drafting** (the sweep, level-triggered): one draft per department and Beijing day, by
  constraint, listing the department's red warnings not yet on any notice; a red raised later the
  same day joins today's draft while it is still a draft, else tomorrow's. Two set-based
  statements, whatever the number of warnings.
- **Issue** (a supervisor over the department): the number from a locked sequence, the answer
  deadline in working days, the sealed PDF of the supervision office (电子监察室) produced off the
  request path through the outbox, and the department told.
- **Explain** (the department's staff): 说明理由 per case, with an optional file; supervisors told.
- **Accept** or **record a fault** (a supervisor): 理由成立, or 过错责任 against the department.
- **Appeal** (the department's approver, once per fault, by constraint) and its **decision** by a
  supervisor other than the one who recorded the fault (回避).

Every move goes through ``_move``: a declared table of (from, to) moves per aggregate, the row
locked, the actor's role and scope checked, the fields saved, an audit entry in the notice's
chain, side effects (notifications, the document) through the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from approvals.services import next_in_sequence
from portal.audit.services import chain_for, record_event
from portal.notifications.choices import Channel
from portal.notifications.services import notify
from portal.organisation.choices import DepartmentKind, Role, UserKind
from portal.organisation.models import Department, User
from portal.outbox import services as outbox
from portal.scoping import VIEW
from portal.transactions import service
from portal.transitions import guarded_move
from portal.uploads.choices import FileType
from portal.workdays import add_working_days, working_days_between
from supervision.choices import AppealDecision, FaultStatus, NoticeItemStatus, NoticeStatus, WarningColour
from supervision.models import Appeal, Explanation, Fault, NoticeItem, SupervisionNotice, TimeLimitWarning

# The outbox kind whose handler renders and seals the notice (``supervision.documents``).
DOCUMENT_MESSAGE = "supervision.document"
# Working days the department has to explain in writing (说明理由).
ANSWER_WITHIN_DAYS = 5
# Red warnings raised within this many days and not yet on a notice are drafted: "newly red".
DRAFTING_WINDOW_DAYS = 7
# Who answers for the department; who may appeal a fault (the department's head, 批准人).
DEPARTMENT_ROLES = (Role.HANDLER, Role.REVIEWER, Role.APPROVER)
APPEAL_ROLES = (Role.APPROVER,)
SUPERVISOR_ROLES = (Role.SUPERVISOR,)
EXPLANATION_FILE_TYPES = (FileType.PDF, FileType.JPEG, FileType.PNG, FileType.OFD, FileType.DOCX)
MIN_TEXT = 5

SUPERVISOR, DEPARTMENT = "supervisor", "department"


class NoticeRefused(ValidationError):
    """The move is not allowed from the current state (a clear, Chinese message)."""


@dataclass(frozen=True)
class Move:
    label: str
    sources: tuple[str, ...]
    target: str | None
    side: str  # SUPERVISOR (region scope) or DEPARTMENT (the notice's own department)
    roles: tuple[str, ...]


NOTICE_MOVES = {
    "issue": Move("签发督办通知书", (NoticeStatus.DRAFT,), NoticeStatus.ISSUED, SUPERVISOR, SUPERVISOR_ROLES),
}
ITEM_MOVES = {
    "explain": Move("说明理由", (NoticeItemStatus.AWAITING,), NoticeItemStatus.EXPLAINED, DEPARTMENT,
                    DEPARTMENT_ROLES),
    "accept": Move("认定理由成立", (NoticeItemStatus.EXPLAINED,), NoticeItemStatus.ACCEPTED, SUPERVISOR,
                   SUPERVISOR_ROLES),
    "record_fault": Move("认定过错责任", (NoticeItemStatus.AWAITING, NoticeItemStatus.EXPLAINED),
                         NoticeItemStatus.FAULT, SUPERVISOR, SUPERVISOR_ROLES),
}
FAULT_MOVES = {
    "appeal": Move("申诉", (FaultStatus.RECORDED,), FaultStatus.APPEALED, DEPARTMENT, APPEAL_ROLES),
    "uphold": Move("驳回申诉", (FaultStatus.APPEALED,), FaultStatus.UPHELD, SUPERVISOR, SUPERVISOR_ROLES),
    "overturn": Move("撤销过错认定", (FaultStatus.APPEALED,), FaultStatus.OVERTURNED, SUPERVISOR, SUPERVISOR_ROLES),
}


def today() -> date:
    from approvals.services import today as beijing_today

    return beijing_today()


def _name(actor) -> str:
    return str(actor) if actor is not None else "系统"


# --- The guarded move -----------------------------------------------------------------------------


def _notice_of(obj) -> SupervisionNotice:
    if isinstance(obj, SupervisionNotice):
        return obj
    if isinstance(obj, NoticeItem):
        return SupervisionNotice.objects.get(pk=obj.notice_id)
    return SupervisionNotice.objects.get(items__fault=obj)


def _check_actor(obj, move: Move, actor, department_id: int) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("该操作须由工作人员执行。")
    if actor.is_applicant or not actor.has_role(*move.roles):
        raise PermissionDenied(f"您的角色不能执行“{move.label}”。")
    if not type(obj).objects.restrict(actor, VIEW).filter(pk=obj.pk).exists():
        raise PermissionDenied("该督办通知书不在您的管辖范围内。")
    if move.side == DEPARTMENT and actor.department_id != department_id and not actor.is_superuser:
        raise PermissionDenied("只有被督办部门的人员可以办理。")


def _move(obj: models.Model, moves: dict[str, Move], action: str, *, actor,
          check: Callable[[Any], None] | None = None,
          changes: Callable[[Any], dict[str, Any]] | None = None,
          data: dict[str, Any] | None = None):
    """Lock ``obj``, check the actor, the move and ``check(locked)``, save ``changes(locked)`` and
    the target status, and append the audit entry to the notice's chain; return the locked row."""
    move = moves[action]
    model = type(obj)
    notice = _notice_of(obj)  # an item's or a fault's notice never changes
    return guarded_move(
        obj, lock=lambda: model.objects.select_for_update().get(pk=obj.pk), label=move.label,
        sources=move.sources, target=move.target, noun="", refused=NoticeRefused,
        check_actor=lambda locked: _check_actor(locked, move, actor, notice.department_id), check=check,
        changes=changes, event_type=f"supervision.{model._meta.model_name}.{action}", actor=actor,
        data={"notice": notice.pk, "department": notice.department_id, **(data or {})}, chain=chain_for(notice),
    )


def _required_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if len(text) < MIN_TEXT:
        raise ValidationError({field: [message]})
    return text


# --- Drafting --------------------------------------------------------------------------------------


def draft_supervision_notices(*, on: date, now=None) -> dict[int, int]:
    """Put every newly red warning on its department's draft of ``on``; return {notice id: items
    added}. Idempotent: run again, it adds nothing (one draft per department and day and one item
    per warning, by constraint). Runs inside the sweep's transaction, under its lock.

    Today's draft is locked before items join it, so a supervisor issuing it at the same moment
    either issues it with them or leaves them for tomorrow's draft — never adds them to a notice
    already issued.
    """
    now = now or timezone.now()
    warnings, notices, items = (TimeLimitWarning._meta.db_table, SupervisionNotice._meta.db_table,
                                NoticeItem._meta.db_table)
    since = connection.ops.adapt_datetimefield_value(now - timedelta(days=DRAFTING_WINDOW_DAYS))
    recently_red = f"w.colour = '{WarningColour.RED.value}' AND w.raised_at >= %s"
    newly_red = f"{recently_red} AND NOT EXISTS (SELECT 1 FROM {items} i WHERE i.warning_id = w.id)"
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {notices} (department_id, day, status, answer_within_days, created_at, issued_by_name) "
            f"SELECT DISTINCT w.department_id, %s, %s, %s, %s, '' FROM {warnings} w WHERE {newly_red} "
            f"ON CONFLICT (department_id, day) DO NOTHING RETURNING id",
            [on, NoticeStatus.DRAFT.value, ANSWER_WITHIN_DAYS, connection.ops.adapt_datetimefield_value(now), since],
        )
        created = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT id FROM {notices} WHERE day = %s AND status = %s{lock}",
                       [on, NoticeStatus.DRAFT.value])
        drafts = [row[0] for row in cursor.fetchall()]
        if not drafts:
            return {}
        placeholders = ", ".join(["%s"] * len(drafts))
        cursor.execute(
            f"INSERT INTO {items} (notice_id, warning_id, status, reviewed_by_name, review_note) "
            f"SELECT n.id, w.id, %s, '', '' FROM {warnings} w "
            f"JOIN {notices} n ON n.department_id = w.department_id AND n.id IN ({placeholders}) "
            # The unique index on the item's warning leaves out those already on a notice. (A NOT
            # EXISTS over the items here would be planned as a scan of the items table per warning
            # while the statement fills that very table: quadratic, seconds at a city's scale.)
            f"WHERE {recently_red} ON CONFLICT (warning_id) DO NOTHING RETURNING notice_id",
            [NoticeItemStatus.AWAITING.value, *drafts, since],
        )
        added: dict[int, int] = {}
        for (notice_id,) in cursor.fetchall():
            added[notice_id] = added.get(notice_id, 0) + 1
    for notice in SupervisionNotice.objects.filter(pk__in=added):
        record_event("supervision.supervisionnotice.drafted", actor=None, target=notice,
                     data={"day": on, "department": notice.department_id, "items_added": added[notice.pk],
                           "new_draft": notice.pk in created})
    return added


# --- Issue -----------------------------------------------------------------------------------------


def supervision_office_over(department: Department) -> Department | None:
    """The issuing organ: the supervision office (电子监察室) of the nearest region at or above the
    department's — the city government-services bureau's, unless a district runs its own."""
    path = department.region.path
    offices = [office for office in Department.objects.filter(kind=DepartmentKind.SUPERVISION_OFFICE, is_active=True)
               .select_related("region") if path.startswith(office.region.path)]
    return max(offices, key=lambda office: len(office.region.path), default=None)


def next_notice_number(day: date) -> str:
    """文号 such as 江监督字〔2026〕第00001号: a gapless sequence per Beijing year, row-locked."""
    return f"江监督字〔{day.year}〕第{next_in_sequence(f'supervision_notice:{day.year}'):05d}号"


def department_staff(department_id: int, roles=DEPARTMENT_ROLES) -> list[User]:
    return list(User.objects.filter(department_id=department_id, kind=UserKind.STAFF, is_active=True,
                                    groups__name__in=roles).distinct().order_by("pk"))


def _tell_department(department: Department, *, subject: str, body: str, link: str, key: str,
                     roles=DEPARTMENT_ROLES) -> None:
    """The department's staff who answer for it, in their inbox; its fixed contact by SMS and email."""
    for person in department_staff(department.pk, roles):
        notify(recipient=person, subject=subject, body=body, link=link, key=f"{key}:user:{person.pk}",
               channels=(Channel.INBOX,))
    if department.contact_phone or department.contact_email:
        notify(phone=department.contact_phone, email=department.contact_email, subject=subject, body=body,
               link=link, key=f"{key}:contact", channels=(Channel.SMS, Channel.EMAIL))


def _tell_supervisors(department: Department, *, subject: str, body: str, link: str, key: str) -> None:
    from supervision.notices import supervisors_over

    for recipient in supervisors_over(department):
        notify(recipient=recipient.user, subject=subject, body=body, link=link,
               key=f"{key}:{recipient.key}", channels=(Channel.INBOX,))


@service
def issue_notice(notice: SupervisionNotice, *, actor) -> SupervisionNotice:
    """签发: number, answer deadline and organ set; the sealed PDF and the department's notice go
    out through the outbox in this transaction."""
    issued_on = today()

    def check(locked: SupervisionNotice) -> None:
        if locked.status == NoticeStatus.DRAFT and not locked.items.exists():
            raise NoticeRefused("该督办通知书没有督办事项，无需签发。")
        if locked.status == NoticeStatus.DRAFT and supervision_office_over(locked.department) is None:
            raise NoticeRefused("未找到该部门上级的电子监察室（督办机关），请管理员先设置。")

    def changes(locked: SupervisionNotice) -> dict[str, Any]:
        return {"number": next_notice_number(issued_on), "organ": supervision_office_over(locked.department),
                "answer_due": add_working_days(issued_on, locked.answer_within_days), "issued_at": timezone.now(),
                "issued_by": actor, "issued_by_name": _name(actor)}

    locked = _move(notice, NOTICE_MOVES, "issue", actor=actor, check=check, changes=changes)
    outbox.enqueue(DOCUMENT_MESSAGE, key=f"document:supervision_notice:{locked.pk}", payload={"notice": locked.pk})
    count = locked.items.count()
    _tell_department(
        locked.department, subject=f"督办通知书 {locked.number}",
        body=(f"{locked.department.name}：{count} 件办件超过承诺时限，{locked.organ.name}已签发督办通知书"
              f"（{locked.number}），请于 {locked.answer_due:%Y-%m-%d} 前逐件书面说明理由。"),
        link=reverse("supervision:notice", args=[locked.pk]), key=f"supervision.notice:{locked.pk}:issued")
    return locked


# --- The department's explanation ------------------------------------------------------------------


@service
def explain_item(item: NoticeItem, *, actor, text: str, attachment=None) -> Explanation:
    """说明理由: the department explains one red case in writing, optionally with a file."""
    text = _required_text(text, "text", "请写明超期的原因（不少于 5 个字）。")

    def check(locked: NoticeItem) -> None:
        if SupervisionNotice.objects.filter(pk=locked.notice_id, status=NoticeStatus.DRAFT).exists():
            raise NoticeRefused("督办通知书尚未签发。")

    locked = _move(item, ITEM_MOVES, "explain", actor=actor, check=check, data={"has_attachment": bool(attachment)})
    stored = None
    if attachment is not None:
        from portal.uploads.services import store_upload

        stored = store_upload(attachment, actor=actor, purpose="explanation", allowed=EXPLANATION_FILE_TYPES)
    explanation = Explanation.objects.create(item=locked, text=text, attachment=stored, explained_at=timezone.now(),
                                             explained_by=actor, explained_by_name=_name(actor))
    notice = SupervisionNotice.objects.select_related("department__region").get(pk=locked.notice_id)
    application = locked.warning.application
    _tell_supervisors(notice.department, subject=f"督办事项已说明理由：{application.receipt_number}",
                      body=f"{notice.department.name}就督办通知书 {notice.number} 中的 {application.receipt_number} "
                           f"作出了说明，请审查。",
                      link=reverse("supervision:notice", args=[notice.pk]),
                      key=f"supervision.noticeitem:{locked.pk}:explained")
    return explanation


# --- The supervisor's outcome ----------------------------------------------------------------------


@service
def accept_explanation(item: NoticeItem, *, actor, note: str = "") -> NoticeItem:
    """理由成立: the explanation is accepted; no fault follows."""

    def changes(locked: NoticeItem) -> dict[str, Any]:
        return {"reviewed_at": timezone.now(), "reviewed_by": actor, "reviewed_by_name": _name(actor),
                "review_note": (note or "").strip()}

    locked = _move(item, ITEM_MOVES, "accept", actor=actor, changes=changes)
    notice = SupervisionNotice.objects.select_related("department").get(pk=locked.notice_id)
    _tell_department(notice.department, subject=f"督办事项说明理由成立：{locked.warning.application.receipt_number}",
                     body=f"督办通知书 {notice.number} 中 {locked.warning.application.receipt_number} 的说明理由经审查成立。",
                     link=reverse("supervision:notice", args=[notice.pk]),
                     key=f"supervision.noticeitem:{locked.pk}:accepted")
    return locked


@service
def record_fault(item: NoticeItem, *, actor, reason: str) -> Fault:
    """过错责任: the explanation does not hold, or none came within the deadline."""
    reason = _required_text(reason, "reason", "请写明认定过错责任的理由（不少于 5 个字）。")

    def check(locked: NoticeItem) -> None:
        notice = SupervisionNotice.objects.get(pk=locked.notice_id)
        if notice.status == NoticeStatus.DRAFT:
            raise NoticeRefused("督办通知书尚未签发。")
        if locked.status == NoticeItemStatus.AWAITING and today() <= notice.answer_due:
            raise NoticeRefused(f"说明理由期限（{notice.answer_due:%Y-%m-%d}）尚未届满，请待部门说明后再作认定。")

    def changes(locked: NoticeItem) -> dict[str, Any]:
        return {"reviewed_at": timezone.now(), "reviewed_by": actor, "reviewed_by_name": _name(actor),
                "review_note": reason}

    locked = _move(item, ITEM_MOVES, "record_fault", actor=actor, check=check, changes=changes)
    notice = SupervisionNotice.objects.select_related("department").get(pk=locked.notice_id)
    fault = Fault.objects.create(item=locked, department=notice.department, reason=reason,
                                 recorded_at=timezone.now(), recorded_by=actor, recorded_by_name=_name(actor))
    record_event("supervision.fault.recorded", actor=actor, target=fault, chain=chain_for(notice),
                 data={"notice": notice.pk, "item": locked.pk, "department": notice.department_id, "reason": reason})
    receipt = locked.warning.application.receipt_number
    _tell_department(notice.department, subject=f"过错责任认定：{receipt}",
                     body=f"督办通知书 {notice.number} 中 {receipt} 经审查认定{notice.department.name}负有过错责任。"
                          f"理由：{reason}。如有异议，可申诉一次。",
                     link=reverse("supervision:notice", args=[notice.pk]),
                     key=f"supervision.fault:{fault.pk}:recorded")
    return fault


# --- Appeal ----------------------------------------------------------------------------------------


@service
def appeal_fault(fault: Fault, *, actor, reasons: str) -> Appeal:
    """申诉: the department's head appeals a recorded fault, once (a second appeal is refused; the
    database holds one appeal per fault as well)."""
    reasons = _required_text(reasons, "reasons", "请写明申诉理由（不少于 5 个字）。")

    if Appeal.objects.filter(fault=fault).exists():
        # Said plainly; under the lock the move itself refuses an appealed fault (its status moved
        # on), and the database holds one appeal per fault.
        raise NoticeRefused("每项过错认定只能申诉一次，本项已申诉。")
    locked = _move(fault, FAULT_MOVES, "appeal", actor=actor)
    appeal = Appeal.objects.create(fault=locked, reasons=reasons, appealed_at=timezone.now(), appealed_by=actor,
                                   appealed_by_name=_name(actor))
    notice = _notice_of(locked)
    _tell_supervisors(locked.department, subject=f"过错认定申诉：{notice.number}",
                      body=f"{locked.department.name}对督办通知书 {notice.number} 中的过错认定提出申诉，请复核。",
                      link=reverse("supervision:notice", args=[notice.pk]), key=f"supervision.fault:{locked.pk}:appealed")
    return appeal


@service
def decide_appeal(fault: Fault, *, actor, decision: str, reasons: str) -> Appeal:
    """复核: a supervisor other than the one who recorded the fault upholds or overturns it."""
    if decision not in AppealDecision.values:
        raise ValidationError({"decision": ["请选择维持或撤销过错认定。"]})
    reasons = _required_text(reasons, "reasons", "请写明复核理由（不少于 5 个字）。")

    def check(locked: Fault) -> None:
        if locked.recorded_by_id is not None and actor is not None and locked.recorded_by_id == actor.pk:
            raise PermissionDenied("作出过错认定的人员应当回避，请由其他监察人员复核申诉。")

    action = "uphold" if decision == AppealDecision.UPHELD else "overturn"
    locked = _move(fault, FAULT_MOVES, action, actor=actor, check=check, data={"decision": decision})
    appeal = Appeal.objects.select_for_update().get(fault=locked)
    appeal.decision, appeal.decision_reasons = decision, reasons
    appeal.decided_at, appeal.decided_by, appeal.decided_by_name = timezone.now(), actor, _name(actor)
    appeal.save(update_fields=["decision", "decision_reasons", "decided_at", "decided_by", "decided_by_name"])
    notice = _notice_of(locked)
    _tell_department(locked.department, subject=f"申诉复核结果：{notice.number}",
                     body=f"对督办通知书 {notice.number} 中过错认定的申诉已复核：{appeal.get_decision_display()}。"
                          f"理由：{reasons}",
                     link=reverse("supervision:notice", args=[notice.pk]), key=f"supervision.fault:{locked.pk}:decided")
    return appeal


# --- Facts for screens and the document ------------------------------------------------------------


def item_facts(item: NoticeItem, *, on: date) -> dict[str, Any]:
    """Receipt number, item, responsible unit, promised due and working days overdue on ``on``."""
    warning = item.warning
    application = warning.application
    promised_due = warning.sub_case.promised_due if warning.sub_case_id else application.promised_due
    return {
        "receipt_number": application.receipt_number,
        "item_name": application.item_version.name,
        "is_subcase": bool(warning.sub_case_id),
        "promised_due": promised_due,
        "days_overdue": max(working_days_between(promised_due, on), 0) if promised_due else None,
    }
