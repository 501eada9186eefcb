"""Screens of the supervision notices (督办通知书): supervisors review drafts, issue them, review
explanations, record outcomes and decide appeals; the department sees its issued notices,
explains each case and appeals a fault once.

Supervisors see the notices of their region (``restrict``); a department's staff see their own
department's issued notices. Anything else out of reach answers 404; a role that may not act
answers 403. Every action posts to a view that calls the named service; refusals come back as
a Chinese message on the notice page, never a 500.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from approvals.clock import BEIJING
from portal.documents.views import document_response
from portal.scoping import VIEW
from portal.uploads.serving import serve_stored_file
from supervision import forms, notice_services
from supervision.choices import NoticeItemStatus, NoticeStatus
from supervision.documents import notice_document
from supervision.models import Fault, NoticeItem, SupervisionNotice
from supervision.notice_services import DEPARTMENT_ROLES, SUPERVISOR_ROLES

PAGE_SIZE = 50


def _is_supervisor(user) -> bool:
    return not user.is_applicant and user.has_role(*SUPERVISOR_ROLES)


def _is_department_staff(user) -> bool:
    return not user.is_applicant and user.department_id is not None and user.has_role(*DEPARTMENT_ROLES)


def visible_notices(user):
    """Supervisors: every notice of their region. A department's staff: its issued notices.
    Anyone else may not use these screens (403)."""
    if _is_supervisor(user):
        return SupervisionNotice.objects.restrict(user, VIEW)
    if _is_department_staff(user):
        return SupervisionNotice.objects.restrict(user, VIEW).filter(department=user.department_id,
                                                                      status=NoticeStatus.ISSUED)
    raise PermissionDenied


@login_required
def notice_list(request):
    user = request.user
    notices = visible_notices(user)
    status = request.GET.get("status", "")
    if status in NoticeStatus.values:
        notices = notices.filter(status=status)
    notices = (notices.select_related("department", "organ")
               .annotate(item_count=Count("items"),
                         awaiting=Count("items", filter=Q(items__status=NoticeItemStatus.AWAITING)),
                         explained=Count("items", filter=Q(items__status=NoticeItemStatus.EXPLAINED)))
               .order_by("status", "-day", "-pk")[:PAGE_SIZE])
    return render(request, "supervision/notice_list.html", {
        "notices": notices, "status": status, "statuses": NoticeStatus.choices,
        "is_supervisor": _is_supervisor(user),
    })


@login_required
def notice_detail(request, pk: int):
    user = request.user
    notice = get_object_or_404(visible_notices(user).select_related("department", "organ"), pk=pk)
    items = (notice.items.select_related("warning__application__item_version", "warning__sub_case__department",
                                         "explanation", "fault__appeal")
             .order_by("pk"))
    # Days overdue as the notice states them: on its date of issue (a draft: today).
    on = notice.issued_at.astimezone(BEIJING).date() if notice.issued_at else notice_services.today()
    rows = [{"item": item, **notice_services.item_facts(item, on=on),
             "explanation": getattr(item, "explanation", None), "fault": getattr(item, "fault", None)}
            for item in items]
    for row in rows:
        row["appeal"] = getattr(row["fault"], "appeal", None) if row["fault"] else None
    supervisor = _is_supervisor(user)
    context = {
        "notice": notice, "rows": rows, "is_supervisor": supervisor,
        "is_department": not supervisor and user.department_id == notice.department_id,
        "may_appeal": user.has_role(*notice_services.APPEAL_ROLES),
        "document": notice_document(notice) if not notice.is_draft else None,
        "explain_form": forms.ExplainForm(), "accept_form": forms.AcceptForm(), "fault_form": forms.FaultForm(),
        "appeal_form": forms.AppealForm(), "decide_form": forms.DecideAppealForm(),
        "answer_overdue": bool(notice.answer_due and notice_services.today() > notice.answer_due),
        "today": notice_services.today(),
    }
    return render(request, "supervision/notice_detail.html", context)


DONE = {"issue": "督办通知书已签发，已通知被督办部门；加盖电子签章的文书正在生成。",
        "explain": "说明理由已提交，等待监察人员审查。", "accept": "已认定理由成立。",
        "fault": "已认定过错责任并通知被督办部门。", "appeal": "申诉已提交，等待复核。", "decide": "已作出复核结论。"}


def _run(request, action, done: str) -> None:
    """Call the service; refusals become messages on the notice page, permissions a 403."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, DONE[done])


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


@login_required
@require_POST
def issue(request, pk: int):
    notice = get_object_or_404(visible_notices(request.user), pk=pk)
    _run(request, lambda: notice_services.issue_notice(notice, actor=request.user), "issue")
    return redirect("supervision:notice", pk=pk)


@login_required
@require_POST
def item_action(request, pk: int, action: str):
    item = get_object_or_404(NoticeItem.objects.filter(notice__in=visible_notices(request.user)), pk=pk)
    user = request.user
    if action == "explain":
        form = forms.ExplainForm(request.POST, request.FILES)
        call = lambda data: notice_services.explain_item(item, actor=user, text=data["text"],  # noqa: E731
                                                         attachment=data.get("attachment"))
    elif action == "accept":
        form = forms.AcceptForm(request.POST)
        call = lambda data: notice_services.accept_explanation(item, actor=user, note=data["note"])  # noqa: E731
    elif action == "fault":
        form = forms.FaultForm(request.POST)
        call = lambda data: notice_services.record_fault(item, actor=user, reason=data["reason"])  # noqa: E731
    else:
        raise PermissionDenied
    if form.is_valid():
        _run(request, lambda: call(form.cleaned_data), action)
    else:
        _form_errors(request, form)
    return redirect("supervision:notice", pk=item.notice_id)


@login_required
@require_POST
def fault_action(request, pk: int, action: str):
    fault = get_object_or_404(Fault.objects.filter(item__notice__in=visible_notices(request.user))
                              .select_related("item"), pk=pk)
    user = request.user
    if action == "appeal":
        form = forms.AppealForm(request.POST)
        call = lambda data: notice_services.appeal_fault(fault, actor=user, reasons=data["reasons"])  # noqa: E731
    elif action == "decide":
        form = forms.DecideAppealForm(request.POST)
        call = lambda data: notice_services.decide_appeal(fault, actor=user, decision=data["decision"],  # noqa: E731
                                                          reasons=data["reasons"])
    else:
        raise PermissionDenied
    if form.is_valid():
        _run(request, lambda: call(form.cleaned_data), action)
    else:
        _form_errors(request, form)
    return redirect("supervision:notice", pk=fault.item.notice_id)


@login_required
def document(request, pk: int):
    notice = get_object_or_404(visible_notices(request.user), pk=pk, status=NoticeStatus.ISSUED)
    produced = notice_document(notice)
    if produced is None:
        messages.info(request, "督办通知书正在生成，请稍后刷新。")
        return redirect("supervision:notice", pk=pk)
    return document_response(produced)


@login_required
def attachment(request, pk: int):
    item = get_object_or_404(NoticeItem.objects.filter(notice__in=visible_notices(request.user))
                             .select_related("explanation__attachment"), pk=pk)
    explanation = getattr(item, "explanation", None)
    if explanation is None or explanation.attachment is None:
        raise Http404("该说明没有附件。")
    return serve_stored_file(explanation.attachment)
