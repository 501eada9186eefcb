"""Screens of the staff: the window's intake workstation, the department queue, the case page.

Every action posts to one view that calls the named service; refusals come back as a message on
the case page (in Chinese), never as a 500, and nothing half-done is saved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from approvals import forms, services
from approvals.choices import ApplicationStatus, Channel, MaterialState
from approvals.models import Application
from approvals.transitions import STEP_ACTORS
from portal.catalogue.models import ItemVersion
from portal.organisation.choices import Role
from portal.scoping import VIEW
from supervision.querysets import with_time_lights


def _staff_only(request):
    if request.user.is_applicant:
        raise PermissionDenied


@login_required
def intake(request, code: str | None = None):
    """一窗受理: find the item, identify the applicant, tick the materials, decide — one form."""
    _staff_only(request)
    if not request.user.has_role(Role.WINDOW_CLERK):
        raise PermissionDenied
    versions = ItemVersion.objects.in_force().restrict(request.user, VIEW).select_related("department")
    query = request.GET.get("q", "").strip()
    if code is None:
        results = versions.search(query).order_by("implementation_code")[:30] if query else []
        return render(request, "approvals/intake_search.html", {"query": query, "results": results})
    version = get_object_or_404(versions, implementation_code=code)
    materials = version.content["materials"]
    form = forms.IntakeForm(request.POST or None, materials=materials)
    if request.method == "POST" and form.is_valid():
        try:
            application = _intake(request.user, version, form)
        except ValidationError as error:
            _form_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"办件 {application.receipt_number}：{application.get_status_display()}。")
            return redirect("approvals:staff_case", pk=application.pk)
    return render(request, "approvals/intake.html", {"form": form, "version": version})


@transaction.atomic
def _intake(clerk, version, form) -> Application:
    data = form.cleaned_data
    application = services.start_application(
        version, actor=clerk, subject_type=data["subject_type"], applicant_name=data["applicant_name"],
        identity_code=data["identity_code"], contact_phone=data["contact_phone"], channel=Channel.WINDOW,
    )
    for material in application.materials.all():
        if data.get(f"material_{material.position}") and material.state != MaterialState.REUSED:
            services.record_material(application, material.position, actor=clerk, state=MaterialState.PROVIDED)
    application = services.submit_application(application, actor=clerk)
    if data["outcome"] == "accept":
        return services.accept_application(application, actor=clerk)
    if data["outcome"] == "refuse":
        return services.refuse_acceptance(application, actor=clerk, reason=data["reason"])
    missing = services.missing_materials(application)
    items = [{"material": m.name, "requirement": data["reason"]} for m in missing] or [
        {"material": "申请材料", "requirement": data["reason"]}]
    services.issue_one_time_notice(application, actor=clerk, items=items)
    application.refresh_from_db()
    return application


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
    context = {
        "mine": base.filter(assignee=user),
        "waiting": base.filter(assignee__isnull=True, current_step__in=my_steps, department=user.department_id),
        "pre_review": (Application.objects.restrict(user, VIEW).filter(status=ApplicationStatus.SUBMITTED)
                       .select_related("item_version").order_by("received_on", "pk")
                       if user.has_role(Role.WINDOW_CLERK) else []),
        "today": services.today(),
    }
    return render(request, "approvals/queue.html", context)


@login_required
def case(request, pk: int):
    _staff_only(request)
    application = get_object_or_404(
        Application.objects.restrict(request.user, VIEW).select_related("item_version", "department", "assignee"),
        pk=pk)
    context = {
        "application": application,
        "clock": services.clock_of(application) if application.accepted_on else None,
        "steps": application.steps.all(),
        "pauses": application.pauses.all(),
        "materials": application.materials.all(),
        "opinion_form": forms.OpinionForm(),
        "pause_form": forms.PauseForm(),
        "extension_form": forms.ExtensionForm(),
        "decision_form": forms.DecisionForm(),
        "conclusion_form": forms.ConclusionForm(),
        "pre_review_form": forms.PreReviewForm(),
        "transfer_form": forms.TransferForm(),
        "can_act": application.assignee_id == request.user.pk,
        # Offered only to whoever may take the current step (the service checks it again).
        "can_claim": (application.status == ApplicationStatus.IN_PROGRESS and application.assignee_id is None
                      and bool(application.current_step)
                      and request.user.has_role(*STEP_ACTORS[application.current_step])
                      and request.user.department_id == application.department_id),
    }
    return render(request, "approvals/case.html", context)


def _one_time_notice(application, user, data):
    missing = services.missing_materials(application)
    items = [{"material": m.name, "requirement": data["reason"]} for m in missing] or [
        {"material": "申请材料", "requirement": data["reason"]}]
    return services.issue_one_time_notice(application, actor=user, items=items)


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
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("approvals:staff_case", pk=pk)
        data = form.cleaned_data
    try:
        perform(application, request.user, data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "您无权执行此操作。")
    else:
        messages.success(request, "已办理。")
    return redirect("approvals:staff_case", pk=pk)
