"""The one place that decides every change of a rectification case's state.

``TRANSITIONS`` declares which action may move a case from which statuses to which, and who may
take it: the case's department (its staff on the case-handling posts), a supervisor (监察人员)
whose region covers the case, or the system (sweeps). ``apply`` locks the row, checks the move,
the actor's role and scope, saves only the changed fields and writes the audit entry; the caller
(a named service) adds the history entry and the notifications in the same transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from portal.organisation.choices import Role
from portal.scoping import CHANGE, VIEW, within_scope
from portal.transitions import guarded_move
from supervision.rectification.choices import RectificationStatus as S
from supervision.rectification.models import RectificationCase

DEPARTMENT = "department"  # staff of the case's own department on a case-handling post
SUPERVISION = "supervision"  # a supervisor whose region covers the case
SYSTEM = "system"  # sweeps and hooks only (actor None)

# Who acts for the department: the posts that handle cases, window included (a bad review is
# often about the window).
DEPARTMENT_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change
    actors: tuple[str, ...]


BEFORE_CLOSING = (S.OPEN, S.SUBMITTED, S.INVALIDITY_REQUESTED, S.IMPOSSIBILITY_REQUESTED)

TRANSITIONS: dict[str, Transition] = {
    # The department's side.
    "submit_rectification": Transition("提交整改情况", (S.OPEN,), S.SUBMITTED, (DEPARTMENT,)),
    "request_invalidity": Transition("申请认定无效差评", (S.OPEN,), S.INVALIDITY_REQUESTED, (DEPARTMENT,)),
    "request_impossibility": Transition("申请认定无法整改", (S.OPEN,), S.IMPOSSIBILITY_REQUESTED, (DEPARTMENT,)),
    "record_callback": Transition("记录回访", (S.OPEN, S.SUBMITTED), None, (DEPARTMENT, SUPERVISION)),
    # The supervisor's decisions.
    "accept_rectification": Transition("审核通过", (S.SUBMITTED,), S.RECTIFIED, (SUPERVISION,)),
    "return_rectification": Transition("退回重新整改", (S.SUBMITTED,), S.OPEN, (SUPERVISION,)),
    "judge_invalid": Transition("认定无效差评", (S.INVALIDITY_REQUESTED,), S.INVALID, (SUPERVISION,)),
    "reject_invalidity": Transition("不予认定无效差评", (S.INVALIDITY_REQUESTED,), S.OPEN, (SUPERVISION,)),
    "judge_impossible": Transition("认定无法整改", (S.IMPOSSIBILITY_REQUESTED,), S.IMPOSSIBLE, (SUPERVISION,)),
    "reject_impossibility": Transition("不予认定无法整改", (S.IMPOSSIBILITY_REQUESTED,), S.OPEN, (SUPERVISION,)),
    "require_callback": Transition("要求回访", (S.OPEN, S.SUBMITTED), None, (SUPERVISION,)),
    # The system: the overdue sweep (a set-based conditional UPDATE over exactly these sources),
    # and recomputing a provisional deadline once its year's holidays are published.
    "mark_overdue": Transition("标记逾期", (S.OPEN,), None, (SYSTEM,)),
    "recompute_deadline": Transition("重算整改截止日", BEFORE_CLOSING, None, (SYSTEM,)),
}


class TransitionRefused(ValidationError):
    """The move is not allowed from the case's current state (a clear, Chinese message)."""


def apply(
    case: RectificationCase,
    action: str,
    *,
    actor,
    check: Callable[[RectificationCase], None] | None = None,
    changes: Callable[[RectificationCase], dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> RectificationCase:
    """Lock, check and move ``case`` by ``action``; returns the locked, saved row."""
    transition = TRANSITIONS[action]
    return guarded_move(
        case, lock=lambda: RectificationCase.objects.select_for_update().get(pk=case.pk), label=transition.label,
        sources=transition.sources, target=transition.target, noun="整改件", refused=TransitionRefused,
        check_actor=lambda locked: check_actor(locked, transition, actor), check=check, changes=changes,
        event_type=f"rectification.case.{action}", actor=actor,
        data={"department": case.department_id, **(data or {})},
    )


def may_act(case: RectificationCase, action: str, actor) -> bool:
    """Whether ``actor`` may take ``action`` on ``case`` now (for showing the forms; the service
    checks again under the lock)."""
    transition = TRANSITIONS[action]
    if case.status not in transition.sources:
        return False
    try:
        check_actor(case, transition, actor)
    except PermissionDenied:
        return False
    return True


def check_actor(case: RectificationCase, transition: Transition, actor) -> None:
    if actor is None:
        if SYSTEM not in transition.actors:
            raise PermissionDenied("该操作须由工作人员执行。")
        return
    if not getattr(actor, "is_authenticated", False) or actor.is_applicant or not actor.is_active:
        raise PermissionDenied("差评整改由办理部门和监察人员办理。")
    if SUPERVISION in transition.actors and actor.has_role(Role.SUPERVISOR) and within_scope(actor, case, VIEW):
        return
    # Only the department itself rectifies: not a regional admin who also holds a post elsewhere.
    if DEPARTMENT in transition.actors and actor.has_role(*DEPARTMENT_ROLES) \
            and (actor.department_id == case.department_id or actor.is_superuser) \
            and within_scope(actor, case, CHANGE):
        return
    if not within_scope(actor, case, VIEW):
        raise PermissionDenied("该整改件不在您的管辖范围内。")
    if DEPARTMENT in transition.actors and SUPERVISION not in transition.actors:
        raise PermissionDenied(f"只有被评价部门的办件人员可以“{transition.label}”。")
    if SUPERVISION in transition.actors and DEPARTMENT not in transition.actors:
        raise PermissionDenied(f"只有监察人员可以“{transition.label}”。")
    raise PermissionDenied(f"您的角色不能执行“{transition.label}”。")
