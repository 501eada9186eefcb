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
from portal.audit.services import chain_for, record_event, snapshot
from portal.organisation.choices import Role
from portal.scoping import VIEW, within_scope
from portal.transactions import unit

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
    with unit():
        locked = (Application.objects.select_for_update(of=("self",)).select_related("item_version")
                  .get(pk=application.pk))
        _check_actor(locked, transition, actor)
        if locked.status not in transition.sources:
            raise TransitionRefused(
                f"办件当前状态为“{locked.get_status_display()}”，不能执行“{transition.label}”。",
                code="invalid_transition",
            )
        if check is not None:
            check(locked)
        values = dict(changes(locked)) if changes is not None else {}
        if transition.target is not None:
            values["status"] = transition.target
        before = snapshot(locked, list(values))
        for name, value in values.items():
            setattr(locked, name, value)
        if values:
            locked.save(update_fields=list(values))
        after = snapshot(locked, list(values))
        record_event(
            f"approvals.application.{action}",
            actor=actor,
            target=locked,
            changes={name: [before[name], after[name]] for name in values if before[name] != after[name]},
            data=data or {},
        )
    for name in values:
        setattr(application, name, getattr(locked, name))
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
    with unit():
        locked = SubCase.objects.select_for_update().get(pk=subcase.pk)
        _check_subcase_actor(locked, transition, actor)
        if locked.status not in transition.sources:
            raise TransitionRefused(
                f"协办件当前状态为“{locked.get_status_display()}”，不能执行“{transition.label}”。",
                code="invalid_transition",
            )
        if check is not None:
            check(locked)
        values = dict(changes(locked)) if changes is not None else {}
        if transition.target is not None:
            values["status"] = transition.target
        before = snapshot(locked, list(values))
        for name, value in values.items():
            setattr(locked, name, value)
        if values:
            locked.save(update_fields=list(values))
        after = snapshot(locked, list(values))
        record_event(
            f"approvals.subcase.{action}",
            actor=actor,
            target=locked,
            chain=chain_for(Application(pk=locked.application_id)),
            changes={name: [before[name], after[name]] for name in values if before[name] != after[name]},
            data={"department": locked.department_id, **(data or {})},
        )
    for name in values:
        setattr(subcase, name, getattr(locked, name))
    return locked


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
