"""Screens of the staff: the window's intake workstation, the department queue, the case page.

Every action posts to one view that calls the named service; refusals come back as a message on
the case page (in Chinese), never as a 500, and nothing half-done is saved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from approvals import forms, services
from approvals.choices import ApplicationStatus, SubCaseStatus
from approvals.models import Application, Delegation, SubCase
from approvals.querysets import active_delegations
from approvals.transitions import STEP_ACTORS, STEP_ROLES, SUBCASE_ROLES
from portal.catalogue.lookups import forget_in_force, in_force_version
from portal.catalogue.models import ItemVersion
from portal.organisation.choices import Role, UserKind
from portal.organisation.models import User
from portal.scoping import CHANGE, VIEW, within_scope
from supervision.querysets import with_subcase_lights, with_time_lights


def _staff_only(request):
    if request.user.is_applicant:
        raise PermissionDenied


@login_required
def intake(request, code: str | None = None):
    """一窗受理: find the item, identify the applicant, tick the materials, decide — one form."""
    _staff_only(request)
    if not request.user.has_role(Role.WINDOW_CLERK):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    if code is None:
        versions = ItemVersion.objects.in_force().restrict(request.user, VIEW).select_related("department")
        results = versions.search(query).order_by("implementation_code")[:30] if query else []
        return render(request, "approvals/intake_search.html", {"query": query, "results": results})
    # The item by its code, then the viewer's scope checked on the row (what ``restrict`` decides,
    # without building its query on the hall's busiest page).
    version = in_force_version(code)
    if version is None or not within_scope(request.user, version, VIEW):
        raise Http404
    materials = version.content["materials"]
    form = forms.IntakeForm(request.POST or None, materials=materials)
    if request.method == "POST" and form.is_valid():
        try:
            application = _intake(request.user, version, form)
        except ValidationError as error:
            if getattr(error, "code", None) == services.SUPERSEDED_VERSION:
                forget_in_force(code)  # the next request reads the version now in force
            _form_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"办件 {application.receipt_number}：{application.get_status_display()}。")
            return redirect("approvals:staff_case", pk=application.pk)
    return render(request, "approvals/intake.html", {"form": form, "version": version})


def _intake(clerk, version, form) -> Application:
    data = form.cleaned_data
    provided = [m["position"] for m in version.content["materials"] if data.get(f"material_{m['position']}")]
    return services.intake_at_window(
        version, actor=clerk, subject_type=data["subject_type"], applicant_name=data["applicant_name"],
        identity_code=data["identity_code"], contact_phone=data["contact_phone"], provided=provided,
        outcome=data["outcome"], reason=data["reason"],
    )


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@login_required
def queue(request):
    """The department's work: cases claimed by me, and unclaimed cases at steps I can do."""
    _staff_only(request)
    user = request.user
    my_steps = [step for step, roles in STEP_ACTORS.items() if user.has_role(*roles)]
    # Most urgent first: fewest working days left on the promised limit, with its yellow/red light.
    base = (with_time_lights(Application.objects.restrict(user, VIEW).filter(status__in=[ApplicationStatus.IN_PROGRESS,
                                                                                          ApplicationStatus.APPROVED,
                                                                                          ApplicationStatus.REFUSED]),
                             on=services.today())
            .select_related("item_version", "assignee")
            .order_by(F("remaining_working_days").asc(nulls_last=True), "promised_due", "pk"))
    # Cases of colleagues away on leave who delegated them to this user show up here too.
    delegators = active_delegations(timezone.now()).filter(to_user=user).values("from_user")
    context = {
        "mine": base.filter(Q(assignee=user) | Q(assignee__in=delegators)),
        "waiting": base.filter(assignee__isnull=True, current_step__in=my_steps, department=user.department_id),
        "pre_review": (Application.objects.restrict(user, VIEW).filter(status=ApplicationStatus.SUBMITTED)
                       .select_related("item_version").order_by("received_on", "pk")
                       if user.has_role(Role.WINDOW_CLERK) else []),
        "today": services.today(),
    }
    if user.department_id is not None and user.has_role(*SUBCASE_ROLES):
        # Joint cases led elsewhere: this department's open sub-cases (协办件).
        # Each with its own light on its own promised limit (TIME_RULES §10).
        subcases = (with_subcase_lights(SubCase.objects.restrict(user, VIEW), on=services.today())
                    .filter(department=user.department_id, status=SubCaseStatus.OPEN,
                            application__status=ApplicationStatus.IN_PROGRESS)
                    .select_related("application__item_version", "application__department", "assignee")
                    .order_by("promised_due", "pk"))
        context["subcases_mine"] = subcases.filter(assignee=user)
        context["subcases_waiting"] = subcases.filter(assignee__isnull=True)
    return render(request, "approvals/queue.html", context)


@login_required
def case(request, pk: int):
    _staff_only(request)
    application = get_object_or_404(
        Application.objects.restrict(request.user, VIEW).select_related("item_version", "department", "assignee")
        .prefetch_related("pauses"),
        pk=pk)
    user = request.user
    subcases = [
        {"subcase": subcase, "clock": services.subcase_clock_of(subcase, application=application),
         "mine": subcase.department_id == user.department_id and user.has_role(*SUBCASE_ROLES),
         "can_conclude": (subcase.status == SubCaseStatus.OPEN and subcase.department_id == user.department_id
                          and user.has_role(*SUBCASE_ROLES) and subcase.assignee_id in (None, user.pk)
                          and application.status == ApplicationStatus.IN_PROGRESS)}
        for subcase in application.subcases.select_related("department", "assignee")
    ]
    # A colleague away on leave has delegated their cases to this user (委托代办).
    acting_for = (application.assignee_id not in (None, request.user.pk)
                  and services.acts_for(request.user, application.assignee_id))
    context = {
        "application": application,
        "clock": services.clock_of(application) if application.accepted_on else None,
        "subcases": subcases,
        "subcase_form": forms.SubCaseOpinionForm(),
        "steps": application.steps.all(),
        "pauses": application.pauses.all(),
        "materials": application.materials.select_related("stored_file"),
        "notices": application.notices.all(),
        "opinion_form": forms.OpinionForm(),
        "pause_form": forms.PauseForm(),
        "extension_form": forms.ExtensionForm(),
        "decision_form": forms.DecisionForm(),
        "conclusion_form": forms.ConclusionForm(),
        "pre_review_form": forms.PreReviewForm(application=application),
        "transfer_form": forms.TransferForm(),
        "can_act": application.assignee_id == request.user.pk or acting_for,
        "acting_for": acting_for,
        # Offered only to whoever may take the current step (the service checks it again).
        "can_claim": (application.status == ApplicationStatus.IN_PROGRESS and application.assignee_id is None
                      and bool(application.current_step)
                      and request.user.has_role(*STEP_ACTORS[application.current_step])
                      and request.user.department_id == application.department_id),
        "is_lead_department": request.user.department_id == application.department_id,
    }
    return render(request, "approvals/case.html", context)


@login_required
def material_file(request, pk: int, position: int):
    """An uploaded material of a case in the staff member's scope, for the pre-review and the
    chain to read (as an attachment, as uploads are always served)."""
    from portal.uploads.serving import serve_stored_file

    _staff_only(request)
    application = get_object_or_404(Application.objects.restrict(request.user, VIEW), pk=pk)
    material = get_object_or_404(application.materials.select_related("stored_file"), position=position,
                                 stored_file__isnull=False)
    return serve_stored_file(material.stored_file)


def _one_time_notice(application, user, data):
    return services.issue_one_time_notice(application, actor=user, items=data["notice_items"])


def _transfer(application, user, data):
    """转办 within the handling department only, so usernames elsewhere cannot be probed."""
    from portal.organisation.models import User

    colleague = User.objects.filter(username=data["to_username"], department=application.department_id).first()
    if colleague is None:
        raise ValidationError({"to_username": ["办理部门中没有该用户。"]})
    return services.transfer_application(application, actor=user, to_user=colleague, reason=data["reason"])


ACTIONS = {
    "transfer": (forms.TransferForm, _transfer),
    "accept": (None, lambda app, user, data: services.accept_application(app, actor=user)),
    "notice": (forms.PreReviewForm, _one_time_notice),
    "refuse_acceptance": (forms.PreReviewForm,
                          lambda app, user, data: services.refuse_acceptance(app, actor=user, reason=data["reason"])),
    "claim": (None, lambda app, user, data: services.claim_application(app, actor=user)),
    "complete": (forms.OpinionForm, lambda app, user, data: services.complete_step(app, actor=user, **data)),
    "return": (forms.OpinionForm, lambda app, user, data: services.return_step(app, actor=user, **data)),
    "pause": (forms.PauseForm, lambda app, user, data: services.pause_clock(app, actor=user, **data)),
    "resume": (None, lambda app, user, data: services.resume_clock(app, actor=user)),
    "extend": (forms.ExtensionForm, lambda app, user, data: services.extend_deadline(app, actor=user, **data)),
    "decide": (forms.DecisionForm, lambda app, user, data: services.decide(app, actor=user, **data)),
    "conclude": (forms.ConclusionForm, lambda app, user, data: services.conclude_application(app, actor=user, **data)),
}


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One endpoint for every case action: validate the little form, call the service."""
    _staff_only(request)
    if action not in ACTIONS:
        raise Http404
    application = get_object_or_404(Application.objects.restrict(request.user, VIEW), pk=pk)
    form_class, perform = ACTIONS[action]
    form = form_class(request.POST, application=application) if form_class is not None else None
    _perform_on_case_page(request, pk, form, lambda data: perform(application, request.user, data))
    return redirect("approvals:staff_case", pk=pk)


def _perform_on_case_page(request, pk: int, form, perform) -> None:
    """Validate the action's little form (if any) and call the service; every outcome becomes a
    message on the case page, in Chinese."""
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return
    try:
        perform(form.cleaned_data if form is not None else {})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "您无权执行此操作。")
    else:
        messages.success(request, "已办理。")


SUBCASE_ACTIONS = {
    "claim": (None, lambda subcase, user, data: services.claim_subcase(subcase, actor=user)),
    "conclude": (forms.SubCaseOpinionForm,
                 lambda subcase, user, data: services.conclude_subcase(subcase, actor=user, **data)),
}


# --- Delegation while someone is away (委托代办) ---------------------------------------------------


def _absent_people(user):
    """Whose delegations ``user`` may set up (``services.may_manage_delegations_of`` in SQL):
    themself, their department if they approve there, the staff in their scope if an admin."""
    staff = User.objects.filter(kind=UserKind.STAFF, is_active=True, groups__name__in=STEP_ROLES).distinct()
    if user.is_superuser:
        return staff
    allowed = Q(pk=user.pk)
    if user.department_id is not None and Role.APPROVER in user.role_codes:
        allowed |= Q(department=user.department_id)
    if Role.ADMIN in user.role_codes:
        allowed |= Q(pk__in=User.objects.restrict(user, CHANGE).values("pk"))
    return staff.filter(allowed)


DELEGATIONS_LISTED = 100


@login_required
def delegations(request):
    """委托代办: the delegations I gave, received or manage; set one up; revoke one early."""
    _staff_only(request)
    user = request.user
    absent_people = _absent_people(user).select_related("department").order_by("department", "username")
    colleagues = (User.objects.filter(kind=UserKind.STAFF, is_active=True, groups__name__in=STEP_ROLES,
                                      department__in=absent_people.values("department"))
                  .distinct().select_related("department").order_by("department", "username"))
    form = forms.DelegationForm(request.POST if request.method == "POST" else None,
                                absent_people=absent_people, colleagues=colleagues,
                                initial={"from_user": user.pk, "starts_on": services.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation = services.create_delegation(actor=user, **data)
        except ValidationError as error:
            _form_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            first, last = services.delegation_days(delegation)
            messages.success(request, gettext("已委托%(to)s在 %(first)s 至 %(last)s 代%(absent)s办理办件。") % {
                "to": delegation.to_user, "absent": delegation.from_user, "first": f"{first:%Y-%m-%d}",
                "last": f"{last:%Y-%m-%d}"})
            return redirect("approvals:delegations")
    now = timezone.now()
    listed = list(_visible_delegations(user).select_related("from_user", "to_user")
                  .order_by("-starts_at", "-pk")[:DELEGATIONS_LISTED])
    # One query for whose delegations the user manages (the service checks again on revoke).
    managed = {user.pk, *absent_people.filter(pk__in=[d.from_user_id for d in listed]).values_list("pk", flat=True)}
    rows = []
    for delegation in listed:
        first, last = services.delegation_days(delegation)
        state = ("ended" if delegation.ends_at <= now else "active" if delegation.starts_at <= now else "upcoming")
        rows.append({"delegation": delegation, "first": first, "last": last, "state": state,
                     "can_revoke": state != "ended" and delegation.from_user_id in managed})
    return render(request, "approvals/delegations.html", {"form": form, "rows": rows,
                                                           "can_delegate": absent_people.exists()})


def _visible_delegations(user):
    return Delegation.objects.filter(Q(from_user=user) | Q(to_user=user)
                                     | Q(from_user__in=_absent_people(user).values("pk")))


@login_required
@require_POST
def subcase_act(request, pk: int, subcase_pk: int, action: str):
    """A participating department claims or concludes its sub-case from the case page."""
    _staff_only(request)
    if action not in SUBCASE_ACTIONS:
        raise Http404
    subcase = get_object_or_404(SubCase.objects.restrict(request.user, VIEW), pk=subcase_pk, application_id=pk)
    form_class, perform = SUBCASE_ACTIONS[action]
    form = form_class(request.POST) if form_class is not None else None
    _perform_on_case_page(request, pk, form, lambda data: perform(subcase, request.user, data))
    return redirect("approvals:staff_case", pk=pk)


@login_required
@require_POST
def revoke_delegation(request, pk: int):
    _staff_only(request)
    delegation = get_object_or_404(_visible_delegations(request.user), pk=pk)
    try:
        ended = services.revoke_delegation(delegation, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, gettext("委托已撤销，即时生效。") if ended else gettext("尚未开始的委托已取消。"))
    return redirect("approvals:delegations")
