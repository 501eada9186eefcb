"""Every business step of an application, each a named service over the one guarded transition.

Intake (online filing, pre-review, the window), the art. 32 one-time notice and deemed
acceptance, the approval chain (claim, transfer, complete, return), joint approval's parallel
sub-cases (opened at acceptance, claimed and concluded by the participating departments), the
clock (pause, resume, extension), the decision, conclusion with the licence, withdrawal and
termination.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from approvals import claimed_time, effects, transitions
from approvals import clock as clocks
from approvals.choices import (
    OPEN_STATUSES,
    ApplicationKind,
    ApplicationStatus,
    Channel,
    DecisionOutcome,
    LicenceStatus,
    MaterialState,
    PauseReason,
    StepKind,
    StepOutcome,
    SubCaseOpinion,
    SubCaseStatus,
)
from approvals.models import (
    Application,
    Decision,
    Delegation,
    Extension,
    Licence,
    MaterialSubmission,
    OneTimeNotice,
    Pause,
    Rating,
    Sequence,
    Step,
    SubCase,
)
from portal.audit.services import record_change, snapshot
from portal.catalogue.choices import HandlingClass, ItemStatus, ProcedureChain
from portal.catalogue.lookups import version_in_force
from portal.catalogue.models import ItemVersion
from portal.organisation.choices import Role, SubjectType
from portal.organisation.identity import validate_id_number, validate_uscc
from portal.transactions import insert_rows, service, unit

CHAINS = {
    ProcedureChain.FIVE_STEP: [StepKind.ACCEPT, StepKind.HANDLE, StepKind.REVIEW, StepKind.APPROVE,
                               StepKind.CONCLUDE],
    ProcedureChain.TWO_STEP: [StepKind.ACCEPT_REVIEW, StepKind.APPROVE_CONCLUDE],
}
# The step at which the decision is taken in each chain.
DECISION_STEPS = (StepKind.APPROVE, StepKind.APPROVE_CONCLUDE)
STEP_SIGNER = signing.Signer(salt="approvals.step")
SUBCASE_SIGNER = signing.Signer(salt="approvals.subcase")


def today() -> date:
    return clocks.beijing_date(timezone.now())


def _name(actor) -> str:
    return str(actor) if actor is not None else "系统"


# --- Filing ------------------------------------------------------------------------------------


def validate_identity(subject_type: str, code: str) -> str:
    """GB 11643 for citizens, GB 32100 for enterprises; returns the normalised code."""
    validator = validate_id_number if subject_type == SubjectType.CITIZEN else validate_uscc
    try:
        return validator(code)
    except ValidationError as error:
        raise ValidationError({"identity_code": error.messages}) from error


def next_in_sequence(name: str) -> int:
    """The next number of a named sequence; call inside the transaction that uses it.

    One statement: insert the counter at 1 or add one to it, and read the result. The row stays
    locked until the caller's transaction ends, so numbers are gapless and never handed out twice.
    """
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (name, last) VALUES (%s, 1) "
            f"ON CONFLICT (name) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [name],
        )
        return cursor.fetchone()[0]


def next_receipt_number(day: date) -> str:
    """JZ + date + five-digit daily sequence, e.g. JZ2026112300042 (unique by constraint too)."""
    return f"JZ{day:%Y%m%d}{next_in_sequence(f'receipt:{day:%Y%m%d}'):05d}"


# The code of the refusal to file under a version that is no longer the one in force.
SUPERSEDED_VERSION = "superseded_version"


@service
def start_application(
    version: ItemVersion,
    *,
    actor,
    subject_type: str,
    applicant_name: str,
    identity_code: str,
    contact_phone: str,
    channel: str = Channel.ONLINE,
    applicant=None,
    contact_name: str = "",
    contact_email: str = "",
    form_data: Mapping[str, Any] | None = None,
    kind: str = ApplicationKind.NEW,
    subject_licence: Licence | None = None,
    provided: Iterable[int] = (),
) -> Application:
    """A draft application under the item's published version, with its materials checklist.

    ``actor`` is the applicant filing online, or staff filing on their behalf (帮办代办).
    ``provided``: positions of the materials handed in with the filing (ticked at the window).
    """
    if not version_in_force(version.pk):
        raise ValidationError("该事项版本已不是现行发布版本，请按最新办事指南申报。", code=SUPERSEDED_VERSION)
    if version.status == ItemStatus.CANCELLED:
        raise ValidationError("该事项已取消，不再受理申请。")
    code = validate_identity(subject_type, identity_code)
    if actor is not None and actor.is_applicant and actor.identity_code and actor.identity_code != code:
        # An account files for the subject it was registered for; others go through the window
        # or the help service (帮办代办), where staff check the authorisation.
        raise ValidationError({"identity_code": ["只能以本账号登记的主体身份申报。"]})
    if not applicant_name.strip():
        raise ValidationError({"applicant_name": ["请填写申请人名称。"]})
    if not contact_phone.strip():
        raise ValidationError({"contact_phone": ["请填写联系电话。"]})
    staff_filing = actor is not None and not actor.is_applicant
    application = Application(
        item_version=version,
        department=version.department,
        region_path=version.region_path,
        channel=channel,
        kind=kind,
        subject_licence=subject_licence,
        applicant=applicant if staff_filing else actor,
        subject_type=subject_type,
        applicant_name=applicant_name.strip(),
        identity_code=code,
        contact_name=contact_name,
        contact_phone=contact_phone.strip(),
        contact_email=contact_email,
        form_data=dict(form_data or {}),
        filed_by=actor if staff_filing else None,
        promised_limit=version.promised_limit,
        statutory_limit=version.statutory_limit,
    )
    insert_rows([application])
    provided = set(provided)
    reused = _reusable_licences(version, code)
    materials = []
    for m in version.content["materials"]:
        material = MaterialSubmission(application=application, position=m["position"], name=m["name"],
                                      required=m["required"])
        licence = reused.get(m["position"])
        if licence is not None:
            material.state, material.reused_licence = MaterialState.REUSED, licence
            material.note = f"已从电子证照库调取：{licence.licence_name}（{licence.number}）"
        elif m["position"] in provided:
            material.state = MaterialState.PROVIDED
        materials.append(material)
    insert_rows(materials)
    # The unit's own new rows: the filing's next move (the window accepts at once) needs no re-read
    # of the case, nor of the checklist it has just written (``application.materials.all()``).
    transitions.hold(application)
    checklist = application.materials.all()  # the case's own query, not run: its rows are in hand
    checklist._result_cache, checklist._prefetch_done = materials, True
    application._prefetched_objects_cache = {MATERIALS_CACHE_NAME: checklist}
    from portal.audit.services import record_event

    record_event("approvals.application.created", actor=actor, target=application, first_of_chain=True,
                 data={"item": version.implementation_code, "version": version.number, "channel": channel,
                       "filed_for_applicant": staff_filing})
    return application


# Where ``application.materials.all()`` finds a checklist already in memory.
MATERIALS_CACHE_NAME = MaterialSubmission._meta.get_field("application").remote_field.cache_name


def _forget_checklist(application: Application) -> None:
    """A service that changed materials in the database drops the checklist held in memory."""
    getattr(application, "_prefetched_objects_cache", {}).pop(MATERIALS_CACHE_NAME, None)


def _reusable_licences(version: ItemVersion, holder_code: str) -> dict[int, Licence]:
    """Materials that a valid licence of the same holder satisfies (证照复用), by position."""
    wanted = {m["position"]: m["licence_reuse"] for m in version.content["materials"] if m.get("licence_reuse")}
    if not wanted:
        return {}
    from approvals.querysets import valid_licences_named

    licences = {licence.licence_name: licence for licence in valid_licences_named(holder_code, wanted.values())}
    return {position: licences[name] for position, name in wanted.items() if name in licences}


@service
def record_material(application: Application, position: int, *, actor, state: str, stored_file=None,
                    note: str = "") -> MaterialSubmission:
    """Tick one material of the checklist (scanned at the window or uploaded online)."""
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION):
        raise transitions.TransitionRefused("受理后不能再修改申请材料。")
    if actor is not None and actor.is_applicant and application.applicant_id != actor.pk:
        raise PermissionDenied("只能操作本人的办件。")
    material = application.materials.select_for_update().get(position=position)
    material.state, material.stored_file, material.note = state, stored_file, note
    material.save(update_fields=["state", "stored_file", "note"])
    _forget_checklist(application)
    return material


# What an applicant may change on their own draft before submitting it.
DRAFT_FIELDS = ("contact_name", "contact_phone", "contact_email", "form_data")


@service
def update_draft(application: Application, *, actor, **values) -> Application:
    """Save the applicant's answers (contact details, form_data) on their own draft; audited with
    the personal fields encrypted."""
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"not editable on a draft: {sorted(unknown)}")
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.DRAFT:
        raise transitions.TransitionRefused("申请已提交，不能再修改。")
    if locked.applicant_id != actor.pk:
        raise PermissionDenied("只能操作本人的办件。")
    if "contact_phone" in values and not str(values["contact_phone"]).strip():
        raise ValidationError({"contact_phone": ["请填写联系电话。"]})
    before = snapshot(locked, list(values))
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(values))
    record_change(locked, actor=actor, event_type="approvals.application.draft_updated", before=before,
                  fields=list(values), personal_fields=DRAFT_FIELDS)
    for name in values:
        setattr(application, name, getattr(locked, name))
    return application


def missing_materials(application: Application) -> list[MaterialSubmission]:
    return [m for m in application.materials.all()
            if m.required and m.state not in (MaterialState.PROVIDED, MaterialState.REUSED)]


@service
def submit_application(application: Application, *, actor, tell_applicant: bool = True) -> Application:
    """Online filing reaches pre-review; materials count as received per TIME_RULES §4.

    ``tell_applicant=False``: the receipt is made but no "received" message is sent (the window's
    intake, which decides at once and tells the outcome)."""
    now = timezone.now()

    def changes(locked: Application) -> dict[str, Any]:
        return {
            "submitted_at": now,
            "received_on": clocks.received_on(now),
            "receipt_number": locked.receipt_number or next_receipt_number(clocks.beijing_date(now)),
        }

    locked = transitions.apply(application, "submit", actor=actor, changes=changes)
    effects.announce(locked, "submit", tell_applicant=tell_applicant)
    return locked


# --- Pre-review and acceptance -------------------------------------------------------------------


def _deadline_values(locked: Application, accepted_on: date) -> dict[str, Any]:
    computed = clocks.Clock(accepted_on=accepted_on, promised_limit=locked.promised_limit,
                            statutory_limit=locked.statutory_limit, today=accepted_on)
    return {"promised_due": computed.promised_due, "statutory_due": computed.statutory_due,
            "due_is_provisional": computed.provisional}


def _chain(application: Application) -> list[str]:
    return CHAINS[application.item_version.content["procedure_chain"]]


def _record_step(application: Application, kind: str, outcome: str, *, actor, opinion: str = "",
                 claimed_acted_at=None, started_at=None) -> Step:
    """Record a step at the server's time; a system's claimed acting time is checked, kept beside
    it and, when far off, flagged as possible off-system processing (``approvals.claimed_time``)."""
    acted_at = timezone.now()
    claimed_time.validate_claimed_time(claimed_acted_at, recorded_at=acted_at)
    payload = "|".join([application.receipt_number or str(application.pk), kind, outcome, opinion,
                        str(getattr(actor, "pk", "")), acted_at.isoformat()])
    [step] = insert_rows([Step(
        application=application, kind=kind, outcome=outcome, opinion=opinion, actor=actor,
        actor_name=_name(actor), started_at=started_at or application.claimed_at or acted_at, acted_at=acted_at,
        claimed_acted_at=claimed_acted_at, signature=STEP_SIGNER.signature(payload),
    )])
    claimed_time.flag_claimed_time_gap(step, actor=actor)
    return step


@service
def accept_application(application: Application, *, actor, opinion: str = "") -> Application:
    """受理: the clock starts today; every required material must be in (else: one-time notice).

    Never before the receipt day: a filing that arrived after hours counts as received on the
    next working day (TIME_RULES §4), so an evening acceptance dates from that day.
    """

    def check(locked: Application) -> None:
        missing = missing_materials(locked)
        if missing:
            names = "、".join(m.name for m in missing)
            raise transitions.TransitionRefused(f"以下必要材料尚未提交，不能受理，请一次性告知补正：{names}。")

    def changes(locked: Application) -> dict[str, Any]:
        chain = _chain(locked)
        accepted_on = max(today(), locked.received_on or today())
        return {"accepted_on": accepted_on, "current_step": chain[1], "assignee": None, "claimed_at": None,
                **_deadline_values(locked, accepted_on)}

    locked = transitions.apply(application, "accept", actor=actor, check=check, changes=changes)
    _record_step(locked, _chain(locked)[0], StepOutcome.PASSED, actor=actor, opinion=opinion or "材料齐全，予以受理。")
    open_subcases(locked, actor=actor)
    effects.announce(locked, "accept")
    return locked


@service
def issue_one_time_notice(application: Application, *, actor, items: Iterable[Mapping[str, Any]]) -> OneTimeNotice:
    """Tell the applicant everything to supplement, once (art. 32).

    An item may name the checklist row it is about (``position``): a material that came in but
    does not meet the requirement is then marked 需补正, so that it must be uploaded again before
    the filing can go back to pre-review or be accepted.
    """
    items = [_notice_item(item) for item in items]
    if not items or any(not item["material"] or not item["requirement"] for item in items):
        raise ValidationError({"items": ["请逐项写明需要补正的材料及补正要求。"]})
    positions = [item["position"] for item in items if "position" in item]
    if len(positions) != len(set(positions)):
        raise ValidationError({"items": ["同一材料只能告知一次，请把补正要求写在一起。"]})

    def check(locked: Application) -> None:
        if locked.notices.exists():
            raise transitions.TransitionRefused("一次性告知只能发出一次：请把需要补正的内容一次告知完整。")
        listed = {m.position: m for m in locked.materials.filter(position__in=positions)}
        unknown = sorted(set(positions) - set(listed))
        if unknown:
            raise ValidationError({"items": [f"申请材料清单中没有第 {unknown[0]} 项。"]})
        for item in items:
            if "position" in item:
                # What the notice says about the row: never received, or received but not good enough.
                state = listed[item["position"]].state
                item["problem"] = "未提交" if state == MaterialState.MISSING else "不符合要求"

    locked = transitions.apply(application, "issue_one_time_notice", actor=actor, check=check,
                               data={"items": items})
    for item in items:
        if "position" in item:
            material = locked.materials.select_for_update().get(position=item["position"])
            if material.state != MaterialState.MISSING:
                material.state, material.note = MaterialState.DEFICIENT, item["requirement"][:500]
                material.save(update_fields=["state", "note"])
                _forget_checklist(locked)
    notice = OneTimeNotice.objects.create(application=locked, issued_at=timezone.now(),
                                          issued_by_name=_name(actor), items=items)
    effects.announce(locked, "issue_one_time_notice")
    return notice


def _notice_item(item: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {"material": str(item.get("material", "")).strip(),
                               "requirement": str(item.get("requirement", "")).strip()}
    if item.get("position") not in (None, ""):
        try:
            cleaned["position"] = int(item["position"])
        except (TypeError, ValueError) as error:
            raise ValidationError({"items": ["材料序号应为整数。"]}) from error
    return cleaned


@service
def resubmit_application(application: Application, *, actor) -> Application:
    """The applicant has supplemented everything the notice asked for; back to pre-review.

    Refused while a required material is still missing or marked 需补正: the notice cannot be
    issued a second time, so an incomplete resubmission could only end in 不予受理.
    """

    def check(locked: Application) -> None:
        missing = missing_materials(locked)
        if missing:
            names = "、".join(m.name for m in missing)
            raise transitions.TransitionRefused(f"以下必要材料尚未提交，请补齐后再提交：{names}。")

    locked = transitions.apply(application, "resubmit", actor=actor, check=check)
    OneTimeNotice.objects.filter(application=locked, answered_at__isnull=True).update(answered_at=timezone.now())
    return locked


@service
def refuse_acceptance(application: Application, *, actor, reason: str) -> Application:
    """不予受理, with the written reason the notice will carry."""
    if not reason.strip():
        raise ValidationError({"reason": ["请写明不予受理的理由。"]})
    locked = transitions.apply(application, "refuse_acceptance", actor=actor,
                               changes=lambda locked: {"closing_reason": reason.strip()})
    effects.announce(locked, "refuse_acceptance")
    return locked


@service
def intake_at_window(version: ItemVersion, *, actor, subject_type: str, applicant_name: str, identity_code: str,
                     contact_phone: str, provided: Iterable[int], outcome: str, reason: str = "") -> Application:
    """一窗受理 of a walk-in, in one unit: file with the materials handed in, take a receipt number,
    and at once accept, refuse to accept (with the written reason), or issue the one-time notice
    of everything missing (``outcome``: "accept", "refuse" or "notice")."""
    if outcome not in ("accept", "refuse", "notice"):
        raise ValidationError({"outcome": ["请选择受理、不予受理或一次性告知。"]})
    application = start_application(
        version, actor=actor, subject_type=subject_type, applicant_name=applicant_name,
        identity_code=identity_code, contact_phone=contact_phone, channel=Channel.WINDOW, provided=provided,
    )
    application = submit_application(application, actor=actor, tell_applicant=False)
    if outcome == "accept":
        return accept_application(application, actor=actor)
    if outcome == "refuse":
        return refuse_acceptance(application, actor=actor, reason=reason)
    items = [{"material": m.name, "requirement": reason} for m in missing_materials(application)]
    issue_one_time_notice(application, actor=actor, items=items or [{"material": "申请材料", "requirement": reason}])
    application.refresh_from_db()
    return application


@service
def deem_accepted(application: Application, *, as_of: date) -> Application:
    """Art. 32: no one-time notice within five working days — accepted as of the receipt date."""

    def check(locked: Application) -> None:
        if locked.notices.exists():
            raise transitions.TransitionRefused("已发出一次性告知，不适用视为受理。")
        if clocks.deemed_acceptance_due(locked.received_on) >= as_of:
            raise transitions.TransitionRefused("预审期限尚未届满。")

    def changes(locked: Application) -> dict[str, Any]:
        return {"accepted_on": locked.received_on, "deemed_accepted": True, "current_step": _chain(locked)[1],
                **_deadline_values(locked, locked.received_on)}

    locked = transitions.apply(
        application, "deem_accepted", actor=None, check=check, changes=changes,
        data={"rule": "《行政许可法》第三十二条：逾期不告知的，自收到申请材料之日起即为受理"},
    )
    _record_step(locked, _chain(locked)[0], StepOutcome.PASSED, actor=None,
                 opinion="收到申请材料五个工作日内未一次性告知补正，依法视为自收到材料之日起受理。")
    open_subcases(locked, actor=None)
    effects.announce(locked, "deem_accepted")
    return locked


def deem_overdue_filings_accepted(*, as_of: date | None = None) -> int:
    """The sweep (a beat task): every filing left in pre-review too long is deemed accepted."""
    from approvals.querysets import deemed_acceptance_candidates

    as_of = as_of or today()
    count = 0
    for application in deemed_acceptance_candidates(as_of):
        try:
            deem_accepted(application, as_of=as_of)
            count += 1
        except transitions.TransitionRefused:
            continue  # someone acted on it meanwhile; level-triggered, nothing is lost
    return count


# --- The approval chain --------------------------------------------------------------------------


def _require_step_role(locked: Application, actor) -> None:
    roles = transitions.STEP_ACTORS[locked.current_step]
    if actor is not None and not actor.has_role(*roles):
        raise PermissionDenied(f"“{locked.get_current_step_display()}”环节须由相应岗位人员办理。")
    if actor is not None and actor.department_id != locked.department_id and not actor.is_superuser:
        raise PermissionDenied("只有办理部门的人员可以办理该环节。")


def _require_assignee(locked: Application, actor) -> None:
    if locked.assignee_id is None:
        raise transitions.TransitionRefused("请先认领该办件。")
    if locked.assignee_id != actor.pk and not acts_for(actor, locked.assignee_id):
        raise PermissionDenied("该办件已由他人认领。")


def acts_for(actor, assignee_id: int) -> bool:
    """True when ``actor`` holds an active delegation from the assignee (away on leave)."""
    from approvals.querysets import active_delegations

    return active_delegations(timezone.now()).filter(from_user_id=assignee_id, to_user=actor).exists()


# --- Delegation while someone is away (委托代办) ---------------------------------------------------


def case_roles(user) -> set[str]:
    """The case-handling posts a person holds (window, handler, reviewer, approver)."""
    return {role for role in transitions.STEP_ROLES if role in user.role_codes}


def may_manage_delegations_of(actor, person) -> bool:
    """Who may set up or end a delegation for ``person``: the person themself; an approver of
    their department (the head who also approves extensions, art. 42 — when someone falls ill,
    the office must not wait for them to sign in); an admin whose scope covers them."""
    from portal.organisation.models import User
    from portal.scoping import CHANGE

    if actor is None or not actor.is_active or actor.is_applicant or person.is_applicant:
        return False
    if actor.pk == person.pk or actor.is_superuser:
        return True
    if actor.department_id is not None and actor.department_id == person.department_id \
            and Role.APPROVER in actor.role_codes:
        return True
    return Role.ADMIN in actor.role_codes and User.objects.restrict(actor, CHANGE).filter(pk=person.pk).exists()


def _beijing_midnight(day: date):
    from datetime import datetime, time

    return datetime.combine(day, time.min, tzinfo=clocks.BEIJING)


def delegation_days(delegation: Delegation) -> tuple[date, date]:
    """The first and last calendar day (Beijing) a delegation covers."""
    last_moment = delegation.ends_at - timedelta(microseconds=1)
    return clocks.beijing_date(delegation.starts_at), clocks.beijing_date(last_moment)


@service
def create_delegation(*, from_user, to_user, starts_on: date, ends_on: date, reason: str, actor) -> Delegation:
    """While ``from_user`` is away, ``to_user`` acts on the cases assigned to them (``acts_for``).

    Whole days, Beijing time, from ``starts_on`` to ``ends_on`` inclusive, never backdated: an act
    is judged by the delegation in force when it was taken. The delegate must be a colleague of
    the same department holding every case-handling post of the absent person, so that each of
    their cases can be taken; one person has one delegate at a time, and a delegate may not be
    away (delegating) themselves in the same period.
    """
    from portal.audit.services import record_event
    from portal.organisation.models import User

    if not may_manage_delegations_of(actor, from_user):
        raise PermissionDenied("只有本人、本部门批准人或管理员可以为其设置委托。")
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    absent_roles = case_roles(from_user)
    if not absent_roles:
        errors["from_user"] = ["该人员不承担办件岗位，无需委托。"]
    if to_user.pk == from_user.pk:
        errors["to_user"] = ["不能委托给本人。"]
    elif to_user.is_applicant or not to_user.is_active or to_user.department_id != from_user.department_id:
        errors["to_user"] = ["受托人须为委托人所在部门的在岗工作人员。"]
    elif absent_roles - case_roles(to_user):
        posts = "、".join(str(Role(role).label) for role in transitions.STEP_ROLES
                         if role in absent_roles - case_roles(to_user))
        errors["to_user"] = [f"受托人须同样担任{posts}岗位，才能接办委托人的办件。"]
    if starts_on < today():
        errors["starts_on"] = ["开始日期不能早于今天（委托不能补登）。"]
    if ends_on < starts_on:
        errors["ends_on"] = ["结束日期不能早于开始日期。"]
    if not reason:
        errors["reason"] = ["请写明委托原因（如休假、出差）。"]
    if errors:
        raise ValidationError(errors)

    starts_at, ends_at = _beijing_midnight(starts_on), _beijing_midnight(ends_on + timedelta(days=1))
    # Both people's rows are locked (in a fixed order), so two managers acting at once cannot
    # both pass the overlap checks below.
    list(User.objects.select_for_update().filter(pk__in=[from_user.pk, to_user.pk]).order_by("pk"))
    in_force_after = max(starts_at, timezone.now())
    overlapping = Delegation.objects.filter(starts_at__lt=ends_at, ends_at__gt=in_force_after)
    existing = overlapping.filter(from_user=from_user).select_related("to_user").first()
    if existing is not None:
        first, last = delegation_days(existing)
        raise ValidationError({"starts_on": [
            f"该期间已委托{existing.to_user}办理（{first:%Y-%m-%d} 至 {last:%Y-%m-%d}），请先撤销原委托或调整日期。"]})
    if overlapping.filter(from_user=to_user).exists():
        raise ValidationError({"to_user": ["受托人在该期间本人也已委托他人，不能接受委托。"]})

    delegation = Delegation.objects.create(from_user=from_user, to_user=to_user, starts_at=starts_at,
                                           ends_at=ends_at, reason=reason)
    record_event("approvals.delegation.created", actor=actor, target=delegation,
                 data={"from": from_user.get_username(), "to": to_user.get_username(),
                       "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "reason": reason})
    return delegation


@service
def revoke_delegation(delegation: Delegation, *, actor) -> Delegation | None:
    """End a delegation early: one in force ends now; one not yet begun is withdrawn (deleted,
    with its terms kept in the audit trail). Returns the ended delegation, or None if withdrawn."""
    from portal.audit.services import record_event

    locked = Delegation.objects.select_for_update().select_related("from_user", "to_user").filter(
        pk=delegation.pk).first()
    if locked is None:
        raise transitions.TransitionRefused("该委托已撤销。")
    if not may_manage_delegations_of(actor, locked.from_user):
        raise PermissionDenied("只有本人、本部门批准人或管理员可以撤销该委托。")
    now = timezone.now()
    if locked.ends_at <= now:
        raise transitions.TransitionRefused("该委托已结束，无需撤销。")
    first, last = delegation_days(locked)
    terms = {"from": locked.from_user.get_username(), "to": locked.to_user.get_username(),
             "starts_on": first.isoformat(), "ends_on": last.isoformat(), "reason": locked.reason}
    if locked.starts_at >= now:
        record_event("approvals.delegation.revoked", actor=actor, target=locked,
                     data={**terms, "begun": False})
        locked.delete()
        return None
    before = snapshot(locked, ["ends_at"])
    locked.ends_at = now
    locked.save(update_fields=["ends_at"])
    record_change(locked, actor=actor, event_type="approvals.delegation.revoked", before=before,
                  fields=["ends_at"], data={**terms, "begun": True})
    return locked


def claim_application(application: Application, *, actor) -> Application:
    """Take a case from the department queue; two people cannot claim the same case."""

    def check(locked: Application) -> None:
        _require_step_role(locked, actor)
        if locked.assignee_id is not None:
            who = "您" if locked.assignee_id == actor.pk else "他人"
            raise transitions.TransitionRefused(f"该办件已由{who}认领。")

    return transitions.apply(application, "claim", actor=actor, check=check,
                             changes=lambda locked: {"assignee": actor, "claimed_at": timezone.now()})


def transfer_application(application: Application, *, actor, to_user, reason: str) -> Application:
    """转办: hand the claimed case to a colleague of the same step, with a reason."""
    if not reason.strip():
        raise ValidationError({"reason": ["请写明转办理由。"]})

    def check(locked: Application) -> None:
        _require_assignee(locked, actor)
        _require_step_role(locked, to_user)

    return transitions.apply(application, "transfer", actor=actor, check=check,
                             changes=lambda locked: {"assignee": to_user, "claimed_at": timezone.now()},
                             data={"to": to_user.get_username(), "reason": reason.strip()})


@service
def complete_step(application: Application, *, actor, opinion: str, claimed_acted_at=None) -> Application:
    """Pass the current step (承办 or 审核) on to the next one's queue.

    ``claimed_acted_at``: when a department's system says the step was really done. It must
    carry a time zone and not lie in the future; it is stored beside the server's time, and a
    gap beyond the configured limit is flagged in the audit trail (``approvals.claimed_time``).
    """
    recorded: dict[str, Any] = {}

    def check(locked: Application) -> None:
        _require_step_role(locked, actor)
        _require_assignee(locked, actor)
        if locked.current_step in DECISION_STEPS:
            raise transitions.TransitionRefused("批准环节请作出准予或不予许可的决定。")
        if locked.is_paused:
            raise transitions.TransitionRefused("办件正在暂停计时，请先恢复计时。")
        if not opinion.strip():
            raise ValidationError({"opinion": ["请填写办理意见。"]})
        recorded.update(kind=locked.current_step, started_at=locked.claimed_at)

    def changes(locked: Application) -> dict[str, Any]:
        chain = _chain(locked)
        return {"current_step": chain[chain.index(locked.current_step) + 1], "assignee": None, "claimed_at": None}

    locked = transitions.apply(application, "complete_step", actor=actor, check=check, changes=changes)
    _record_step(locked, recorded["kind"], StepOutcome.PASSED, actor=actor, opinion=opinion.strip(),
                 claimed_acted_at=claimed_acted_at, started_at=recorded["started_at"])
    return locked


@service
def return_step(application: Application, *, actor, opinion: str) -> Application:
    """退回: send the case back to the previous step of the chain, with the reason."""
    recorded: dict[str, Any] = {}

    def check(locked: Application) -> None:
        _require_step_role(locked, actor)
        _require_assignee(locked, actor)
        chain = _chain(locked)
        if chain.index(locked.current_step) <= 1:
            raise transitions.TransitionRefused("这是受理后的第一个环节，不能再退回；如需补正材料请暂停计时。")
        if not opinion.strip():
            raise ValidationError({"opinion": ["请写明退回理由。"]})
        recorded.update(kind=locked.current_step, started_at=locked.claimed_at)

    def changes(locked: Application) -> dict[str, Any]:
        chain = _chain(locked)
        return {"current_step": chain[chain.index(locked.current_step) - 1], "assignee": None, "claimed_at": None}

    locked = transitions.apply(application, "return_step", actor=actor, check=check, changes=changes)
    _record_step(locked, recorded["kind"], StepOutcome.RETURNED, actor=actor, opinion=opinion.strip(),
                 started_at=recorded["started_at"])
    return locked


# --- The clock -----------------------------------------------------------------------------------


def clock_of(application: Application, *, on: date | None = None) -> clocks.Clock:
    """The application's clock on ``on`` (today by default), from its recorded pauses."""
    return clocks.Clock(
        accepted_on=application.accepted_on,
        promised_limit=application.promised_limit,
        statutory_limit=application.statutory_limit,
        today=on or today(),
        pauses=[clocks.Pause(p.started_on, p.ended_on, p.get_reason_display()) for p in application.pauses.all()],
        extension_days=application.extension_days,
    )


def _refreshed_deadlines(locked: Application) -> dict[str, Any]:
    computed = clock_of(locked)
    return {"promised_due": computed.promised_due, "statutory_due": computed.statutory_due,
            "due_is_provisional": computed.provisional, "is_paused": computed.is_paused}


@service
def pause_clock(application: Application, *, actor, reason: str, note: str = "") -> Pause:
    """Stop the clock for supplementary materials or a special procedure (art. 45)."""
    if reason not in PauseReason.values:
        raise ValidationError({"reason": ["未知的暂停原因。"]})
    if not note.strip():
        raise ValidationError({"note": ["请说明暂停计时的原因（如补正内容、听证安排）。"]})

    def check(locked: Application) -> None:
        _require_assignee(locked, actor)
        if locked.is_paused:
            raise transitions.TransitionRefused("办件已在暂停计时中。")

    locked = transitions.apply(application, "pause", actor=actor, check=check,
                               changes=lambda locked: {"is_paused": True}, data={"reason": reason, "note": note})
    return Pause.objects.create(application=locked, reason=reason, note=note.strip(), started_on=today(),
                                started_by_name=_name(actor))


@service
def resume_clock(application: Application, *, actor) -> Application:
    """Restart the clock; the deadlines move back by the paused working days."""

    def check(locked: Application) -> None:
        if not locked.is_paused:
            raise transitions.TransitionRefused("办件未在暂停计时。")
        if actor is not None and not actor.is_applicant:
            _require_assignee(locked, actor)

    def changes(locked: Application) -> dict[str, Any]:
        Pause.objects.filter(application=locked, ended_on__isnull=True).update(
            ended_on=today(), ended_by_name=_name(actor))
        return _refreshed_deadlines(locked)

    locked = transitions.apply(application, "resume", actor=actor, check=check, changes=changes)
    _refresh_subcase_deadlines(locked, actor=actor)  # the case's pause stopped its sub-cases too
    return locked


@service
def extend_deadline(application: Application, *, actor, days: int, reason: str) -> Extension:
    """Art. 42: one extension, approved by the head, at most 10 working days (15 on joint
    handling); it moves both deadlines, starts a new deadline epoch and the applicant is told."""
    joint = is_joint(application)
    most = clocks.MAX_JOINT_EXTENSION_DAYS if joint else clocks.MAX_EXTENSION_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= most:
        raise ValidationError({"days": [f"延期应为 1 至 {most} 个工作日（《行政许可法》第四十二条）。"]})
    if not reason.strip():
        raise ValidationError({"reason": ["请写明延期理由，该理由将告知申请人。"]})

    def check(locked: Application) -> None:
        # Approved by the head of the handling (for a joint case: the lead) department — not by an
        # approver who merely sees the case from another department or takes part in it.
        if actor is not None and actor.department_id != locked.department_id and not actor.is_superuser:
            raise PermissionDenied("延期须由办理部门（联合办理的为牵头部门）负责人批准。")
        if hasattr(locked, "extension"):
            raise transitions.TransitionRefused("每个办件只能延期一次（《行政许可法》第四十二条）。")

    def changes(locked: Application) -> dict[str, Any]:
        locked.extension_days = days
        return {"extension_days": days, "deadline_epoch": locked.deadline_epoch + 1, **_refreshed_deadlines(locked)}

    basis = ("《行政许可法》第四十二条第二款：联合办理四十五日内不能办结的，经本级人民政府负责人批准，可以延长十五日"
             if joint else "《行政许可法》第四十二条第一款：经本行政机关负责人批准，可以延长十日")
    locked = transitions.apply(application, "extend", actor=actor, check=check, changes=changes,
                               data={"days": days, "reason": reason.strip(), "basis": basis})
    extension = Extension.objects.create(application=locked, days=days, reason=reason.strip(), approved_by=actor,
                                         approved_by_name=_name(actor), approved_at=timezone.now())
    # Sub-cases still open get the same days: their promises sit inside the case's limit.
    for subcase in locked.subcases.filter(status=SubCaseStatus.OPEN):
        transitions.apply_subcase(subcase, "extend", actor=actor, changes=lambda sub: {
            "extension_days": days, **_subcase_deadline_values(sub, locked, extension_days=days)})
    effects.announce(locked, "extend", reason=reason.strip())  # art. 42: the applicant is told why
    return extension


# --- Joint approval: the participating departments' sub-cases (联合审批/并联审批) -------------------


def is_joint(application: Application) -> bool:
    """Filed under a joint item (联办件): one limit of at most 45 days, extendable once by 15."""
    return application.item_version.handling_class == HandlingClass.JOINT


def subcase_clock_of(subcase: SubCase, *, on: date | None = None,
                     application: Application | None = None) -> clocks.Clock:
    """A sub-case's clock on ``on`` (today by default), computed like the case's own (TIME_RULES
    §10): from the acceptance, on the department's promised limit, stopped by the case's pauses,
    moved by the case's extension if it came while the sub-case was open. It stops on the day the
    department gives its opinion. The monitoring sweep reads ``SubCase.promised_due``, which this
    clock computes whenever the case's deadlines move.
    """
    application = application or subcase.application
    stopped_on = clocks.beijing_date(subcase.concluded_at) if subcase.concluded_at else None
    day = on or today()
    if stopped_on is not None and stopped_on < day:
        day = stopped_on
    pauses = [clocks.Pause(p.started_on, p.ended_on, p.get_reason_display()) for p in application.pauses.all()]
    return clocks.Clock(
        accepted_on=subcase.started_on,
        promised_limit=subcase.promised_limit,
        statutory_limit=application.statutory_limit,
        today=day,
        pauses=clocks.pauses_until(pauses, stopped_on),
        extension_days=subcase.extension_days,
    )


def _subcase_deadline_values(subcase: SubCase, application: Application, *,
                             extension_days: int | None = None) -> dict[str, Any]:
    if extension_days is not None:
        subcase.extension_days = extension_days
    computed = subcase_clock_of(subcase, application=application)
    return {"promised_due": computed.promised_due, "due_is_provisional": computed.promised_due.provisional}


def open_subcases(locked: Application, *, actor) -> list[SubCase]:
    """On acceptance of a joint case, open a sub-case in every participating department at once
    ("齐头并进", not a relay), each on the limit the published version promised, and tell them.

    Called inside the acceptance's transaction: the case is never accepted without its sub-cases.
    """
    from approvals.effects import announce_subcase
    from portal.audit.services import chain_for, record_event
    from portal.organisation.models import Department

    participants = locked.item_version.content.get("participating_departments") or []
    if not participants:
        return []
    departments = Department.objects.in_bulk([p["department_id"] for p in participants])
    missing = [p["department_name"] for p in participants if p["department_id"] not in departments]
    if missing:
        raise transitions.TransitionRefused(
            f"协办部门已不存在：{'、'.join(missing)}。请联系事项管理员更新并重新发布该联办事项。")
    opened = []
    for participant in participants:
        subcase = SubCase(application=locked, department=departments[participant["department_id"]],
                          duty=participant.get("duty", ""), promised_limit=participant["promised_limit"],
                          started_on=locked.accepted_on)
        computed = subcase_clock_of(subcase, on=locked.accepted_on, application=locked)
        subcase.promised_due = computed.promised_due
        subcase.due_is_provisional = computed.promised_due.provisional
        subcase.save()
        record_event("approvals.subcase.opened", actor=actor, target=subcase, chain=chain_for(locked),
                     data={"department": subcase.department_id, "promised_limit": subcase.promised_limit,
                           "promised_due": subcase.promised_due})
        announce_subcase(subcase, "opened")
        opened.append(subcase)
    return opened


def _refresh_subcase_deadlines(locked: Application, *, actor) -> None:
    """Move the open sub-cases' stored deadlines as the case's moved (after a pause ends)."""
    for subcase in locked.subcases.filter(status=SubCaseStatus.OPEN):
        if _subcase_deadline_values(subcase, locked) != {"promised_due": subcase.promised_due,
                                                          "due_is_provisional": subcase.due_is_provisional}:
            transitions.apply_subcase(subcase, "refresh_deadline", actor=actor,
                                      changes=lambda sub: _subcase_deadline_values(sub, locked))


def _cancel_open_subcases(locked: Application, *, actor) -> None:
    """The case left the lifecycle (withdrawn, terminated): its open sub-cases end with it."""
    for subcase in locked.subcases.filter(status=SubCaseStatus.OPEN):
        try:
            transitions.apply_subcase(subcase, "cancel", actor=actor,
                                      data={"case_status": locked.status})
        except transitions.TransitionRefused:
            continue  # concluded meanwhile: its opinion stays on the record


def _require_subcase_opinions(locked: Application, outcome: str) -> None:
    """One combined result: every participating department has given its opinion, and an approval
    needs all of them to agree (a disagreeing department means refusal, with reasons)."""
    subcases = list(locked.subcases.exclude(status=SubCaseStatus.CANCELLED).select_related("department"))
    waiting = [str(sub.department) for sub in subcases if sub.status == SubCaseStatus.OPEN]
    if waiting:
        raise transitions.TransitionRefused(
            f"以下协办部门尚未出具协办意见，不能作出决定：{'、'.join(waiting)}。")
    disagreeing = [str(sub.department) for sub in subcases if sub.opinion == SubCaseOpinion.DISAGREE]
    if disagreeing and outcome == DecisionOutcome.APPROVE:
        raise transitions.TransitionRefused(
            f"协办部门{'、'.join(disagreeing)}出具了不同意意见，不能准予许可；请作出不予许可决定并说明理由。")


def _require_case_in_progress(subcase: SubCase) -> None:
    application = Application.objects.only("status", "is_paused").get(pk=subcase.application_id)
    if application.status != ApplicationStatus.IN_PROGRESS:
        raise transitions.TransitionRefused(
            f"主办件当前状态为“{application.get_status_display()}”，不能再办理协办件。")


def claim_subcase(subcase: SubCase, *, actor) -> SubCase:
    """Take a sub-case from the participating department's queue (one person per sub-case)."""

    def check(locked: SubCase) -> None:
        _require_case_in_progress(locked)
        if locked.assignee_id is not None:
            who = "您" if locked.assignee_id == actor.pk else "他人"
            raise transitions.TransitionRefused(f"该协办件已由{who}认领。")

    return transitions.apply_subcase(subcase, "claim", actor=actor, check=check,
                                     changes=lambda locked: {"assignee": actor, "claimed_at": timezone.now()})


@service
def conclude_subcase(subcase: SubCase, *, actor, opinion: str, opinion_text: str) -> SubCase:
    """出具协办意见: the participating department agrees or disagrees, in writing and signed.

    Whoever claimed it concludes it (or a delegate); an unclaimed sub-case is taken by the one who
    concludes it. Not while the case's clock is paused: the materials may still change.
    """
    if opinion not in SubCaseOpinion.values:
        raise ValidationError({"opinion": ["请选择同意或不同意。"]})
    if not opinion_text.strip():
        message = "不同意的，须写明理由和依据。" if opinion == SubCaseOpinion.DISAGREE else "请填写协办意见。"
        raise ValidationError({"opinion_text": [message]})

    def check(locked: SubCase) -> None:
        _require_case_in_progress(locked)
        if Application.objects.filter(pk=locked.application_id, is_paused=True).exists():
            raise transitions.TransitionRefused("办件正在暂停计时，恢复计时后才能出具协办意见。")
        if locked.assignee_id not in (None, actor.pk) and not acts_for(actor, locked.assignee_id):
            raise PermissionDenied("该协办件已由他人认领。")

    def changes(locked: SubCase) -> dict[str, Any]:
        concluded_at = timezone.now()
        payload = "|".join([str(locked.application_id), str(locked.department_id), opinion, opinion_text.strip(),
                            str(actor.pk), concluded_at.isoformat()])
        values = {"opinion": opinion, "opinion_text": opinion_text.strip(), "concluded_at": concluded_at,
                  "concluded_by": actor, "concluded_by_name": _name(actor),
                  "signature": SUBCASE_SIGNER.signature(payload)}
        if locked.assignee_id is None:
            values.update(assignee=actor, claimed_at=concluded_at)
        return values

    locked = transitions.apply_subcase(subcase, "conclude", actor=actor, check=check, changes=changes,
                                       data={"opinion": opinion})
    from approvals.effects import announce_subcase

    announce_subcase(locked, "concluded")
    return locked


def _recomputed_deadlines(application: Application) -> dict[str, Any]:
    """The deadlines from today's calendar. A paused clock is taken as it stood when it stopped
    (the open pause not counted), which is what ``pause_clock`` leaves on record."""
    open_pause = next((pause for pause in application.pauses.all() if pause.ended_on is None), None)
    computed = clock_of(application, on=open_pause.started_on if open_pause else None)
    return {"promised_due": computed.promised_due, "statutory_due": computed.statutory_due,
            "due_is_provisional": computed.provisional}


def recompute_provisional_deadlines() -> int:
    """TIME_RULES.md §11: once admins publish a year, every deadline that was computed over it
    provisionally (weekends only) is computed again from the published calendar.

    Called by the calendar's publication hook (at least once: idempotent, a second run finds
    nothing to change). Each case moves through the guarded transition, so the change is locked
    and audited; returns how many cases' deadlines changed.
    """
    from approvals.querysets import provisional_deadline_cases

    changed = 0
    for application in provisional_deadline_cases().prefetch_related("pauses"):
        on_record = {"promised_due": application.promised_due, "statutory_due": application.statutory_due,
                     "due_is_provisional": application.due_is_provisional}
        if _recomputed_deadlines(application) == on_record:
            continue  # still reaching into an unpublished year, or already recomputed
        try:
            with unit():
                locked = transitions.apply(application, "recompute_deadlines", actor=None,
                                           changes=_recomputed_deadlines,
                                           data={"rule": "节假日安排发布后按正式日历重算期限"})
                # A joint case's open sub-cases were counted over the same provisional days.
                _refresh_subcase_deadlines(locked, actor=None)
        except transitions.TransitionRefused:
            continue  # concluded meanwhile: nothing left to recompute
        changed += 1
    return changed


# --- Decision and conclusion ---------------------------------------------------------------------


def next_document_number(outcome: str) -> str:
    """文号 such as 江审批许字〔2026〕第00012号: a sequence per Beijing year and outcome."""
    year = today().year
    prefix = "许" if outcome == DecisionOutcome.APPROVE else "不许"
    return f"江审批{prefix}字〔{year}〕第{next_in_sequence(f'decision:{outcome}:{year}'):05d}号"


@service
def decide(application: Application, *, actor, outcome: str, reasons: str = "") -> Decision:
    """批准: approve, or refuse with written reasons and the remedy rights (art. 38)."""
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": ["请选择准予许可或不予许可。"]})
    if outcome == DecisionOutcome.REFUSE and not reasons.strip():
        raise ValidationError({"reasons": ["不予许可须说明理由（《行政许可法》第三十八条）。"]})
    decided_on = today()
    recorded: dict[str, Any] = {}

    def check(locked: Application) -> None:
        _require_step_role(locked, actor)
        _require_assignee(locked, actor)
        if locked.current_step not in DECISION_STEPS:
            raise transitions.TransitionRefused("尚未到达批准环节。")
        if locked.is_paused:
            raise transitions.TransitionRefused("办件正在暂停计时，请先恢复计时。")
        _require_subcase_opinions(locked, outcome)
        recorded.update(kind=locked.current_step, started_at=locked.claimed_at)

    def changes(locked: Application) -> dict[str, Any]:
        conclusion = StepKind.CONCLUDE if locked.current_step == StepKind.APPROVE else StepKind.APPROVE_CONCLUDE
        return {"decided_on": decided_on, "current_step": conclusion, "assignee": None, "claimed_at": None}

    action = "approve" if outcome == DecisionOutcome.APPROVE else "refuse"
    locked = transitions.apply(application, action, actor=actor, check=check, changes=changes)
    outcome_label = DecisionOutcome(outcome).label
    _record_step(locked, recorded["kind"], StepOutcome.PASSED, actor=actor,
                 opinion=reasons.strip() or str(outcome_label), started_at=recorded["started_at"])
    decision = Decision.objects.create(
        application=locked, outcome=outcome, reasons=reasons.strip(),
        document_number=next_document_number(outcome), decided_by_name=_name(actor),
        decided_at=timezone.now(),
        licence_due=clocks.licence_issue_due(decided_on) if outcome == DecisionOutcome.APPROVE else None,
    )
    effects.announce(locked, "decide")
    return decision


@service
def conclude_application(application: Application, *, actor, served_method: str, valid_years: int | None = 5,
                         scope: str = "") -> Application:
    """办结: serve the decision (method and date recorded, remedy periods run from it) and, for
    an approval, put the licence into the licence library."""
    from approvals.choices import ServiceMethod

    if served_method not in ServiceMethod.values:
        raise ValidationError({"served_method": ["请选择送达方式。"]})
    served_on = today()

    def changes(locked: Application) -> dict[str, Any]:
        return {"concluded_at": timezone.now(), "current_step": ""}

    locked = transitions.apply(application, "conclude", actor=actor, changes=changes,
                               data={"served_method": served_method})
    Decision.objects.filter(application=locked).update(served_method=served_method, served_on=served_on)
    _record_step(locked, _chain(locked)[-1], StepOutcome.PASSED, actor=actor, opinion="办结，文书已送达。")
    if locked.decision.outcome == DecisionOutcome.APPROVE:
        if locked.kind == ApplicationKind.NEW:
            issue_licence(locked, actor=actor, valid_years=valid_years, scope=scope)
        else:
            apply_to_licence(locked, actor=actor, valid_years=valid_years)
    effects.announce(locked, "conclude", documents=effects.conclusion_documents(locked))
    return locked


def next_licence_number(organ, issued_on: date) -> str:
    """证照编号 of a new licence: ``{organ code}-{year}-{sequence:06d}``, e.g. ``JZ-SPJ-2026-000123``.

    - organ code: the issuing organ's department code — the application's department, whose
      seal the licence carries (the approval bureau for the items it approves, "一颗印章管审批").
      Codes are unique and by convention begin with the region's (``JZ-``, ``JZ-JC-``), so the
      number says who issued the licence and where;
    - year: the Beijing year of issue (TIME_RULES §1);
    - sequence: a locked counter per organ and year (``licence:<code>:<year>``, through
      ``next_in_sequence``), six digits, from 1 each year: two licences issued at once never
      share a number, and an issue that rolls back gives its number back (no gaps).

    Plain ASCII, so that anyone can type it into the public verification page; read from the
    right the parts are unambiguous although organ codes contain hyphens, and the column's unique
    constraint backs the scheme. Licences issued before it keep their numbers (basic code and
    receipt number run together, without a hyphen), which can never equal one of these.
    """
    year = issued_on.year
    return f"{organ.code}-{year}-{next_in_sequence(f'licence:{organ.code}:{year}'):06d}"


def issue_licence(application: Application, *, actor, valid_years: int | None, scope: str = "") -> Licence:
    """Create the licence in the library when the case concludes (art. 44: within 10 working days)."""
    from portal.audit.services import record_event

    issued_on = today()
    valid_until = None
    if valid_years:
        try:
            valid_until = issued_on.replace(year=issued_on.year + valid_years) - timedelta(days=1)
        except ValueError:  # 29 February
            valid_until = issued_on.replace(year=issued_on.year + valid_years, day=28)
    version = application.item_version
    licence = Licence.objects.create(
        number=next_licence_number(application.department, issued_on),
        application=application, item_version=version, licence_name=version.content.get("basic_name") or version.name,
        holder_name=application.applicant_name, holder_code=application.identity_code,
        department=application.department, region_path=application.region_path, scope=scope or version.name,
        issued_on=issued_on, valid_from=issued_on, valid_until=valid_until,
    )
    record_event("approvals.licence.issued", actor=actor, target=licence,
                 data={"number": licence.number, "application": application.receipt_number})
    return licence


# --- Leaving the lifecycle ----------------------------------------------------------------------


@service
def withdraw_application(application: Application, *, actor, reason: str = "") -> Application:
    """撤回: the applicant may withdraw any time before the decision."""
    locked = transitions.apply(application, "withdraw", actor=actor,
                               changes=lambda locked: {"closing_reason": reason.strip(), "current_step": "",
                                                       "assignee": None})
    _cancel_open_subcases(locked, actor=actor)
    effects.announce(locked, "withdraw")
    return locked


def terminate_application(application: Application, *, actor, reason: str) -> Application:
    """终止: e.g. the applicant died or the subject was dissolved; the reason is required."""
    if not reason.strip():
        raise ValidationError({"reason": ["请写明终止办理的理由。"]})
    with transaction.atomic():
        locked = transitions.apply(application, "terminate", actor=actor,
                                   changes=lambda locked: {"closing_reason": reason.strip(), "current_step": "",
                                                           "assignee": None})
        _cancel_open_subcases(locked, actor=actor)
        effects.announce(locked, "terminate", reason=reason.strip())
    return locked


# --- After conclusion ------------------------------------------------------------------------------


@service
def rate_application(application: Application, *, actor, level: int, comment: str = "") -> Rating:
    """好差评: the applicant rates a concluded case once, on the national five-level scale."""
    from approvals.choices import RatingLevel
    from portal.audit.services import record_event

    if level not in RatingLevel.values:
        raise ValidationError({"level": ["请选择评价等级。"]})
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if actor is None or not actor.is_applicant or locked.applicant_id != actor.pk:
        raise PermissionDenied("只有申请人本人可以评价。")
    if locked.status != ApplicationStatus.CONCLUDED:
        raise transitions.TransitionRefused("办结后才能评价。")
    if Rating.objects.filter(application=locked).exists():
        raise transitions.TransitionRefused("您已评价过该办件。")
    rating = Rating.objects.create(application=locked, level=level, comment=comment.strip()[:1000],
                                   rated_at=timezone.now())
    record_event("approvals.application.rated", actor=actor, target=locked, data={"level": level})
    # A bad review (差评) opens a rectification for the department, in this same transaction.
    from supervision.rectification.services import open_for_rating

    open_for_rating(rating)
    return rating



# --- The licence after issue: change, renewal, cancellation, status --------------------------------

# Administrative Licensing Law art. 50: renewal is applied for at least 30 days before expiry.
RENEWAL_DEADLINE_DAYS = 30
RENEWAL_REMINDER_DAYS = (60, 40)

LICENCE_MOVES = {
    LicenceStatus.VALID: {LicenceStatus.SUSPENDED, LicenceStatus.REVOKED, LicenceStatus.EXPIRED,
                          LicenceStatus.CANCELLED},
    LicenceStatus.SUSPENDED: {LicenceStatus.VALID, LicenceStatus.REVOKED, LicenceStatus.CANCELLED},
}


@service
def start_licence_application(licence: Licence, *, kind: str, actor, contact_phone: str,
                              form_data: Mapping[str, Any] | None = None) -> Application:
    """A change (变更), renewal (延续) or cancellation (注销) of a licence, as an application of its
    own kind under the item's current published version."""
    if kind not in (ApplicationKind.CHANGE, ApplicationKind.RENEWAL, ApplicationKind.CANCELLATION):
        raise ValidationError({"kind": ["请选择变更、延续或注销。"]})
    if actor is not None and actor.is_applicant and actor.identity_code != licence.holder_code:
        raise PermissionDenied("只有持证主体本人可以申请。")
    if licence.status not in (LicenceStatus.VALID, LicenceStatus.SUSPENDED) or (
            kind != ApplicationKind.CANCELLATION and licence.status != LicenceStatus.VALID):
        raise ValidationError(f"证照当前状态为“{licence.get_status_display()}”，不能申请{ApplicationKind(kind).label}。")
    if kind == ApplicationKind.RENEWAL:
        if licence.valid_until is None:
            raise ValidationError("该证照长期有效，无需延续。")
        if (licence.valid_until - today()).days < RENEWAL_DEADLINE_DAYS:
            raise ValidationError("延续申请应在有效期届满三十日前提出（《行政许可法》第五十条）。")
    if Application.objects.filter(subject_licence=licence, kind=kind,
                                  status__in=[ApplicationStatus.DRAFT, *OPEN_STATUSES]).exists():
        raise ValidationError(f"该证照已有一件办理中的{ApplicationKind(kind).label}申请。")
    version = ItemVersion.objects.current().filter(item_id=licence.item_version.item_id).first()
    if version is None:
        raise ValidationError("该证照对应的事项已无现行版本，请咨询办理部门。")
    subject_type = licence.application.subject_type if licence.application else _subject_type_of(licence.holder_code)
    return start_application(
        version, actor=actor, subject_type=subject_type, applicant_name=licence.holder_name,
        identity_code=licence.holder_code, contact_phone=contact_phone, form_data=form_data,
        applicant=actor if actor is not None and actor.is_applicant else None, kind=kind,
        subject_licence=licence,
    )


def _subject_type_of(code: str) -> str:
    """A holder whose code is a valid resident ID number is a citizen; otherwise an organisation."""
    try:
        validate_id_number(code)
    except ValidationError:
        return SubjectType.ENTERPRISE
    return SubjectType.CITIZEN


def apply_to_licence(application: Application, *, actor, valid_years: int | None) -> Licence:
    """On an approved change, renewal or cancellation, bring the licence in the library along."""
    licence = Licence.objects.select_for_update().get(pk=application.subject_licence_id)
    before = snapshot(licence, ["holder_name", "scope", "valid_until", "status"])
    if application.kind == ApplicationKind.CHANGE:
        for field in ("holder_name", "scope"):
            if application.form_data.get(field):
                setattr(licence, field, str(application.form_data[field]).strip())
    elif application.kind == ApplicationKind.RENEWAL:
        start = licence.valid_until + timedelta(days=1)
        licence.valid_until = _years_after(start, valid_years or 5) - timedelta(days=1)
    elif application.kind == ApplicationKind.CANCELLATION:
        licence.status = LicenceStatus.CANCELLED
    licence.save(update_fields=["holder_name", "scope", "valid_until", "status"])
    record_change(licence, actor=actor, event_type=f"approvals.licence.{application.kind}", before=before,
                  fields=["holder_name", "scope", "valid_until", "status"],
                  data={"application": application.receipt_number})
    return licence


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@service
def set_licence_status(licence: Licence, status: str, *, actor, reason: str) -> Licence:
    """Suspend, revoke, restore or cancel a licence (one guarded move; reason recorded)."""
    if not reason.strip():
        raise ValidationError({"reason": ["请写明理由。"]})
    locked = Licence.objects.select_for_update().get(pk=licence.pk)
    if status not in LICENCE_MOVES.get(locked.status, set()):
        raise transitions.TransitionRefused(
            f"证照当前状态为“{locked.get_status_display()}”，不能改为“{LicenceStatus(status).label}”。")
    if actor is not None and not Licence.objects.restrict(actor, "change").filter(pk=locked.pk).exists():
        raise PermissionDenied("该证照不在您的管辖范围内。")
    before = snapshot(locked, ["status"])
    locked.status = status
    locked.save(update_fields=["status"])
    record_change(locked, actor=actor, event_type="approvals.licence.status_changed", before=before,
                  fields=["status"], data={"reason": reason.strip()})
    return locked


def licence_sweep(*, on: date | None = None) -> dict[str, int]:
    """Daily, level-triggered: remind holders to renew (art. 50) and expire lapsed licences."""
    from approvals.models import RenewalReminder
    from portal.notifications.services import notify

    on = on or today()
    reminded = expired = 0
    for days_before in RENEWAL_REMINDER_DAYS:
        due = (Licence.objects.filter(status=LicenceStatus.VALID, valid_until__isnull=False,
                                      valid_until__lte=on + timedelta(days=days_before),
                                      valid_until__gt=on + timedelta(days=RENEWAL_DEADLINE_DAYS))
               .exclude(renewal_reminders__days_before=days_before)
               .select_related("application"))
        for licence in due:
            with transaction.atomic():
                _reminder, created = RenewalReminder.objects.get_or_create(licence=licence, days_before=days_before)
                if not created:
                    continue
                application = licence.application
                notify(
                    recipient=application.applicant if application else None,
                    phone=application.contact_phone if application else "",
                    subject="证照即将到期，请及时申请延续",
                    body=(f"您的{licence.licence_name}（{licence.number}）将于 {licence.valid_until:%Y-%m-%d} 到期。"
                          f"如需延续，请于 {licence.valid_until - timedelta(days=RENEWAL_DEADLINE_DAYS):%Y-%m-%d} 前提出申请"
                          "（《行政许可法》第五十条）。"),
                    key=f"licence:{licence.pk}:renewal-reminder:{days_before}",
                    channels=("inbox", "sms") if application and application.applicant_id else ("sms",),
                )
                reminded += 1
    for licence in Licence.objects.filter(status=LicenceStatus.VALID, valid_until__lt=on):
        try:
            set_licence_status(licence, LicenceStatus.EXPIRED, actor=None, reason="有效期届满")
            expired += 1
        except transitions.TransitionRefused:
            continue
    return {"reminded": reminded, "expired": expired}
