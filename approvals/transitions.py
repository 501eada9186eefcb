"""The one place that decides every change of an application's state.

``TRANSITIONS`` declares which action may move an application from which statuses to which, and
who may take it. ``apply`` locks the row (so that two people acting at once cannot both win and
a double submit finds the state already moved), checks the move, the actor's role and scope,
saves only the changed fields, writes the audit trail, and leaves follow-up work to
``transaction.on_commit`` or the outbox. Every named service in ``approvals.services`` calls it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from approvals.choices import ApplicationStatus as S
from approvals.choices import StepKind
from approvals.choices import SubCaseStatus as SubStatus
from approvals.models import Application, SubCase
from portal.audit.services import chain_for
from portal.organisation.choices import Role
from portal.scoping import VIEW, within_scope
from portal.transactions import savepoint_state, still_written, unit_memo
from portal.transitions import guarded_move

APPLICANT = "applicant"  # the applicant who owns the application (or staff filing for them)
SYSTEM = "system"  # sweeps and tasks only (actor None)
# A sub-case's move that follows a move of its case (cancelled with a withdrawn case, deadlines
# moved by the case's resume or extension): authorised by the case's own transition, whose
# service is the only caller.
FOLLOWS_CASE = "follows_case"


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (a step within "in progress")
    actors: tuple[str, ...]  # roles, APPLICANT or SYSTEM


IN_PROGRESS = (S.IN_PROGRESS,)
BEFORE_DECISION = (S.DRAFT, S.SUBMITTED, S.CORRECTION, S.IN_PROGRESS)
STEP_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)

TRANSITIONS: dict[str, Transition] = {
    "submit": Transition("提交申请", (S.DRAFT,), S.SUBMITTED, (APPLICANT, Role.WINDOW_CLERK)),
    "issue_one_time_notice": Transition("一次性告知", (S.SUBMITTED,), S.CORRECTION, (Role.WINDOW_CLERK,)),
    "resubmit": Transition("提交补正材料", (S.CORRECTION,), S.SUBMITTED, (APPLICANT, Role.WINDOW_CLERK)),
    "accept": Transition("受理", (S.SUBMITTED,), S.IN_PROGRESS, (Role.WINDOW_CLERK, Role.REVIEWER)),
    "refuse_acceptance": Transition("不予受理", (S.SUBMITTED, S.CORRECTION), S.NOT_ACCEPTED, (Role.WINDOW_CLERK,)),
    "deem_accepted": Transition("视为受理", (S.SUBMITTED,), S.IN_PROGRESS, (SYSTEM,)),
    "claim": Transition("认领", IN_PROGRESS, None, STEP_ROLES),
    "transfer": Transition("转办", IN_PROGRESS, None, STEP_ROLES),
    "complete_step": Transition("办理通过", IN_PROGRESS, None, STEP_ROLES),
    "return_step": Transition("退回", IN_PROGRESS, None, STEP_ROLES),
    "pause": Transition("暂停计时", IN_PROGRESS, None, STEP_ROLES),
    "resume": Transition("恢复计时", IN_PROGRESS, None, (*STEP_ROLES, APPLICANT)),
    "extend": Transition("延期", IN_PROGRESS, None, (Role.APPROVER,)),
    # TIME_RULES.md §11: a year's holidays published, provisional deadlines are computed again.
    "recompute_deadlines": Transition("重算期限", (S.IN_PROGRESS, S.APPROVED, S.REFUSED), None, (SYSTEM,)),
    "approve": Transition("准予许可", IN_PROGRESS, S.APPROVED, (Role.APPROVER,)),
    "refuse": Transition("不予许可", IN_PROGRESS, S.REFUSED, (Role.APPROVER,)),
    "conclude": Transition("办结", (S.APPROVED, S.REFUSED), S.CONCLUDED,
                           (Role.WINDOW_CLERK, Role.HANDLER, Role.APPROVER)),
    "withdraw": Transition("撤回申请", BEFORE_DECISION, S.WITHDRAWN, (APPLICANT,)),
    "terminate": Transition("终止办理", (S.SUBMITTED, S.CORRECTION, S.IN_PROGRESS), S.TERMINATED,
                            (Role.APPROVER, Role.ADMIN)),
}

# Which roles act at which step of the chain.
STEP_ACTORS: dict[str, tuple[str, ...]] = {
    StepKind.ACCEPT: (Role.WINDOW_CLERK,),
    StepKind.HANDLE: (Role.HANDLER,),
    StepKind.REVIEW: (Role.REVIEWER,),
    StepKind.APPROVE: (Role.APPROVER,),
    StepKind.CONCLUDE: (Role.WINDOW_CLERK, Role.HANDLER),
    StepKind.ACCEPT_REVIEW: (Role.WINDOW_CLERK, Role.REVIEWER),
    StepKind.APPROVE_CONCLUDE: (Role.APPROVER,),
}


# The participating department's part of a joint case (协办件): its own small table.
SUBCASE_ROLES = (Role.HANDLER, Role.REVIEWER, Role.APPROVER)
SUBCASE_TRANSITIONS: dict[str, Transition] = {
    "claim": Transition("认领协办件", (SubStatus.OPEN,), None, SUBCASE_ROLES),
    "conclude": Transition("出具协办意见", (SubStatus.OPEN,), SubStatus.CONCLUDED, SUBCASE_ROLES),
    "refresh_deadline": Transition("重算协办期限", (SubStatus.OPEN,), None, (FOLLOWS_CASE,)),
    "extend": Transition("协办期限随主件延期", (SubStatus.OPEN,), None, (FOLLOWS_CASE,)),
    "cancel": Transition("协办件随主件终结", (SubStatus.OPEN,), SubStatus.CANCELLED, (FOLLOWS_CASE,)),
}


class TransitionRefused(ValidationError):
    """The move is not allowed from the application's current state (a clear, Chinese message)."""


def apply(
    application: Application,
    action: str,
    *,
    actor,
    check: Callable[[Application], None] | None = None,
    changes: Callable[[Application], dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> Application:
    """Lock, check and move ``application`` by ``action``; returns the locked, saved row.

    ``check(locked)`` may raise to refuse with a reason that depends on the fresh row;
    ``changes(locked)`` returns the field values to set (computed under the lock).
    """
    transition = TRANSITIONS[action]
    locked_rows = (Application.objects.select_for_update(of=("self",)).select_related("item_version"))
    return _move(application, locked_rows, transition, f"approvals.application.{action}", "办件",
                 check_actor=_check_actor, actor=actor, check=check, changes=changes, data=data)


def hold(instance) -> None:
    """Note that ``instance`` is this unit's own row: created by it, or locked and saved by a move.
    A later move in the same unit on this very object uses it as it is instead of reading and
    locking the row again (nobody else can change it before the unit ends, and every move saves
    what it changes on it). A service that changes the row by other means must not hold it."""
    memo = unit_memo()
    if memo is not None:
        memo[("held", type(instance), instance.pk)] = (instance, savepoint_state())


def _held(obj):
    memo = unit_memo()
    held = memo.get(("held", type(obj), obj.pk)) if memo is not None else None
    if held is not None and held[0] is obj and still_written(held[1]):
        return obj
    return None


def _move(obj, locked_rows, transition: Transition, event_type: str, noun: str, *, check_actor, actor, check,
          changes, data: dict[str, Any] | None, chain: str | None = None):
    """``portal.transitions.guarded_move`` for cases and sub-cases; a row this unit already holds
    is used as it is, and the moved row is held for the unit's next move."""
    locked = guarded_move(
        obj, lock=lambda: _held(obj) or locked_rows.get(pk=obj.pk), label=transition.label,
        sources=transition.sources, target=transition.target, noun=noun, refused=TransitionRefused,
        check_actor=lambda locked: check_actor(locked, transition, actor), check=check, changes=changes,
        event_type=event_type, actor=actor, data=data, chain=chain,
    )
    hold(locked)
    return locked


def _check_actor(application: Application, transition: Transition, actor) -> None:
    if actor is None:
        if SYSTEM not in transition.actors:
            raise PermissionDenied("该操作须由工作人员或申请人执行。")
        return
    if APPLICANT in transition.actors and actor.is_applicant:
        if application.applicant_id != actor.pk:
            raise PermissionDenied("只能操作本人的办件。")
        return
    staff_roles = [role for role in transition.actors if role not in (APPLICANT, SYSTEM)]
    if actor.is_applicant or not actor.has_role(*staff_roles):
        raise PermissionDenied(f"您的角色不能执行“{transition.label}”。")
    if not within_scope(actor, application, VIEW, participation=False):
        if Application.objects.restrict(actor, VIEW).filter(pk=application.pk).exists():
            raise PermissionDenied("协办部门只能办理本部门的协办件，主办件由牵头部门办理。")
        raise PermissionDenied("该办件不在您的管辖范围内。")


def apply_subcase(
    subcase: SubCase,
    action: str,
    *,
    actor,
    check: Callable[[SubCase], None] | None = None,
    changes: Callable[[SubCase], dict[str, Any]] | None = None,
    data: dict[str, Any] | None = None,
) -> SubCase:
    """``apply`` for a sub-case: lock, check the move and the actor, save, audit.

    The audit entry goes to the case's own chain, so that the joint case's whole history (the
    lead's steps and every department's opinion) reads as one tamper-evident sequence.
    """
    transition = SUBCASE_TRANSITIONS[action]
    return _move(subcase, SubCase.objects.select_for_update(), transition, f"approvals.subcase.{action}", "协办件",
                 check_actor=_check_subcase_actor, actor=actor, check=check, changes=changes,
                 data={"department": subcase.department_id, **(data or {})},
                 chain=chain_for(Application(pk=subcase.application_id)))


def _check_subcase_actor(subcase: SubCase, transition: Transition, actor) -> None:
    if FOLLOWS_CASE in transition.actors:
        return
    if actor is None:
        if SYSTEM not in transition.actors:
            raise PermissionDenied("该操作须由协办部门的工作人员执行。")
        return
    if actor.is_applicant:
        raise PermissionDenied("协办件由协办部门办理。")
    if not actor.has_role(*transition.actors):
        raise PermissionDenied(f"您的角色不能执行“{transition.label}”。")
    if not SubCase.objects.restrict(actor, VIEW).filter(pk=subcase.pk).exists():
        raise PermissionDenied("该协办件不在您的管辖范围内。")
    if actor.department_id != subcase.department_id and not actor.is_superuser:
        raise PermissionDenied("只有协办部门的人员可以办理该协办件。")
