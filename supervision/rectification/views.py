"""Screens of rectification: the department's list, the supervisor's list, the case page.

Lists and the case page are scoped (``restrict``): out-of-scope cases answer 404. Every action
posts to one view that validates the little form and calls the named service; refusals come back
as messages on the case page, in Chinese, never as a 500.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from portal.organisation.choices import Role
from portal.scoping import VIEW
from supervision.rectification import forms, services, transitions
from supervision.rectification.models import RectificationCase

PER_PAGE = 50


def _staff_only(request) -> None:
    if request.user.is_applicant:
        raise PermissionDenied


def _listed(queryset):
    return queryset.select_related("application__item_version", "rating", "department")


@login_required
@require_safe
def department_list(request):
    """本部门差评整改: the cases of the user's own department, open ones first."""
    _staff_only(request)
    cases = (RectificationCase.objects.restrict(request.user, VIEW).of_department(request.user.department_id))
    context = {
        "open_cases": _listed(cases.open()).order_by("deadline", "pk"),
        "closed_page": Paginator(_listed(cases.exclude(pk__in=cases.open().values("pk"))).order_by("-closed_at", "-pk"),
                                 PER_PAGE).get_page(request.GET.get("page")),
        "today": services.today(),
    }
    return render(request, "rectification/department_list.html", context)


@login_required
@require_safe
def supervision_list(request):
    """差评整改监察: every case in the supervisor's region, filtered by status and overdue."""
    _staff_only(request)
    if not request.user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied
    form = forms.SupervisionFilterForm(request.GET or None)
    cases = RectificationCase.objects.restrict(request.user, VIEW)
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"]
        if status == "open":
            cases = cases.open()
        elif status:
            cases = cases.filter(status=status)
        if form.cleaned_data["overdue"]:
            cases = cases.overdue()
    page = Paginator(_listed(cases).order_by("-is_overdue", "deadline", "pk"), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "rectification/supervision_list.html",
                  {"form": form, "page": page, "today": services.today()})


# action -> (form class, service call)
ACTIONS = {
    "submit_rectification": (forms.RectificationForm, lambda case, user, data: services.submit_rectification(
        case, actor=user, measures=data["measures"], attachment=data["attachment"])),
    "request_invalidity": (forms.InvalidityForm, lambda case, user, data: services.request_invalidity(
        case, actor=user, ground=data["ground"], reasons=data["reasons"], attachment=data["attachment"])),
    "request_impossibility": (forms.ImpossibilityForm, lambda case, user, data: services.request_impossibility(
        case, actor=user, reasons=data["reasons"], attachment=data["attachment"])),
    "record_callback": (forms.CallbackForm, lambda case, user, data: services.record_callback(
        case, actor=user, **data)),
    "accept_rectification": (forms.OpinionForm, lambda case, user, data: services.accept_rectification(
        case, actor=user, **data)),
    "return_rectification": (forms.ReasonsForm, lambda case, user, data: services.return_rectification(
        case, actor=user, **data)),
    "judge_invalid": (forms.OpinionForm, lambda case, user, data: services.judge_invalid(case, actor=user, **data)),
    "reject_invalidity": (forms.ReasonsForm, lambda case, user, data: services.reject_invalidity(
        case, actor=user, **data)),
    "judge_impossible": (forms.OpinionForm, lambda case, user, data: services.judge_impossible(
        case, actor=user, **data)),
    "reject_impossibility": (forms.ReasonsForm, lambda case, user, data: services.reject_impossibility(
        case, actor=user, **data)),
    "require_callback": (None, lambda case, user, data: services.require_callback(case, actor=user)),
}


def _case_or_404(request, pk: int) -> RectificationCase:
    return get_object_or_404(
        RectificationCase.objects.restrict(request.user, VIEW)
        .select_related("application__item_version", "rating", "department__region"), pk=pk)


@login_required
@require_safe
def case_detail(request, pk: int):
    _staff_only(request)
    case = _case_or_404(request, pk)
    allowed = {action for action in ACTIONS if transitions.may_act(case, action, request.user)}
    action_forms = {action: form_class(prefix=action) for action, (form_class, _perform) in ACTIONS.items()
                    if action in allowed and form_class is not None}
    context = {
        "case": case,
        "entries": case.entries.select_related("attachment"),
        "callbacks": case.callbacks.all(),
        "allowed": allowed,
        "forms": action_forms,
        "today": services.today(),
    }
    return render(request, "rectification/case.html", context)


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One endpoint for every action on a case: validate its form, call its service."""
    _staff_only(request)
    if action not in ACTIONS:
        raise Http404
    case = _case_or_404(request, pk)
    form_class, perform = ACTIONS[action]
    data = {}
    if form_class is not None:
        form = form_class(request.POST, request.FILES, prefix=action)
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
            return redirect("rectification:case", pk=pk)
        data = form.cleaned_data
    try:
        perform(case, request.user, data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error) or gettext("您无权执行此操作。"))
    else:
        messages.success(request, gettext("已办理：%(action)s。") % {
            "action": transitions.TRANSITIONS[action].label})
    return redirect("rectification:case", pk=pk)


@login_required
@require_safe
def attachment(request, pk: int, entry_pk: int):
    """An evidence file of a case in the user's scope, as an attachment (as uploads always are)."""
    from portal.uploads.serving import serve_stored_file

    _staff_only(request)
    case = _case_or_404(request, pk)
    entry = get_object_or_404(case.entries.select_related("attachment"), pk=entry_pk, attachment__isnull=False)
    return serve_stored_file(entry.attachment)
