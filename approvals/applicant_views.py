"""The applicant's online filing (网上申报), in the GOV.UK manner.

Sign up → "在线申报" from the guide starts (or resumes) a draft → a task list of four sections →
one question a page → materials uploaded one by one (or fetched from the licence library) →
"核对您的申请" with change links → submit → a confirmation with the receipt number, what happens
next and the expected finish date → "我的办件", each with its steps, clock and a withdraw button.

Applicants see only their own applications (``restrict``; anyone else's answers 404); staff file
for applicants at the window instead. Every state change is a service call.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from approvals import clock as clocks
from approvals import services, transitions
from approvals.applicant_forms import (
    QUESTION_SUMMARY_LABELS,
    QUESTIONS,
    ApplicantDetailsForm,
    ContactPhoneForm,
    MaterialUploadForm,
    SignUpForm,
    WithdrawForm,
    question_by_slug,
    question_key,
)
from approvals.choices import ApplicationStatus, Channel, MaterialState, RatingLevel
from approvals.documents import remedies
from approvals.models import Application, Decision
from portal.catalogue.choices import MaterialForm
from portal.catalogue.models import ItemVersion
from portal.documents.models import Document
from portal.documents.views import document_response
from portal.organisation import services as organisation
from portal.organisation.choices import SubjectType
from portal.organisation.models import User
from portal.scoping import VIEW
from portal.uploads.choices import UploadChannel
from portal.uploads.services import store_upload

# Materials may still change while the window has not accepted (TIME_RULES: the window's
# pre-review and the one-time notice); ``record_material`` refuses afterwards.
MATERIAL_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.CORRECTION)
RETURN_TO_CHECK = "check"


class SectionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    COMPLETED = "completed", _("已完成")
    CANNOT_START = "cannot_start", _("暂不能开始")


# --- Access -----------------------------------------------------------------------------------


def applicant_required(view):
    """Signed in as an applicant; staff file on an applicant's behalf at the window (一窗受理)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_applicant:
            raise PermissionDenied(gettext("网上申报仅供申请人账号使用；工作人员请在一窗受理为申请人代办。"))
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _own(request, pk: int, *, related=()) -> Application:
    """The signed-in applicant's application, or 404 (someone else's does not exist for them)."""
    queryset = Application.objects.restrict(request.user, VIEW).select_related("item_version", "department")
    if related:
        queryset = queryset.prefetch_related(*related)
    return get_object_or_404(queryset, pk=pk)


def _draft_or_redirect(request, pk: int):
    """(application, None) for a draft; (application, redirect to its page) once it is submitted."""
    application = _own(request, pk)
    if application.status != ApplicationStatus.DRAFT:
        messages.info(request, gettext("该申请已提交，不能再修改。"))
        return application, redirect("apply:detail", pk=application.pk)
    return application, None


def _posted(request):
    """A form's data: bound on every POST, even an empty one (``request.POST or None`` is not)."""
    return request.POST if request.method == "POST" else None


def _returning_to_check(request) -> bool:
    return request.GET.get("return") == RETURN_TO_CHECK


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
        return candidate
    return ""


# --- The draft's answers ----------------------------------------------------------------------


def _open_draft(user: User, version: ItemVersion) -> Application | None:
    return (Application.objects.restrict(user, VIEW)
            .filter(item_version=version, status=ApplicationStatus.DRAFT).order_by("-created_at").first())


@transaction.atomic
def _start_draft(user: User, version: ItemVersion, contact_phone: str) -> Application:
    """One open draft per applicant and item: a double click must not start two."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    existing = _open_draft(user, version)
    if existing is not None:
        return existing
    return services.start_application(
        version, actor=user, subject_type=user.subject_type, applicant_name=user.full_name,
        identity_code=user.identity_code, contact_phone=contact_phone, channel=Channel.ONLINE,
        contact_email=user.email,
    )


def _serves(version: ItemVersion, subject_type: str) -> bool:
    if subject_type == SubjectType.CITIZEN:
        return version.for_citizens
    if subject_type == SubjectType.ENTERPRISE:
        return version.for_enterprises
    return False


# --- The task list ----------------------------------------------------------------------------


def _form_status(application: Application) -> str:
    answered = [question for question in QUESTIONS if question_key(question) in application.form_data]
    if len(answered) == len(QUESTIONS):
        return SectionStatus.COMPLETED
    return SectionStatus.IN_PROGRESS if answered else SectionStatus.NOT_STARTED


def _materials_status(materials) -> str:
    missing = [m for m in materials if m.required and m.state not in (MaterialState.PROVIDED, MaterialState.REUSED)]
    if not missing:
        return SectionStatus.COMPLETED
    if any(m.state == MaterialState.PROVIDED for m in materials):
        return SectionStatus.IN_PROGRESS
    return SectionStatus.NOT_STARTED


def _first_unanswered(application: Application) -> type:
    return next((question for question in QUESTIONS if question_key(question) not in application.form_data),
                QUESTIONS[0])


def _sections(application: Application) -> list[dict]:
    materials = list(application.materials.all())
    statuses = [
        SectionStatus.COMPLETED if application.contact_name else SectionStatus.NOT_STARTED,
        _form_status(application),
        _materials_status(materials),
    ]
    ready = all(status == SectionStatus.COMPLETED for status in statuses)
    statuses.append(SectionStatus.NOT_STARTED if ready else SectionStatus.CANNOT_START)
    pk = application.pk
    sections = [
        {"title": _("申请人信息"), "hint": _("确认申请人，填写联系人和联系方式"),
         "url": reverse("apply:applicant", args=[pk])},
        {"title": _("申请表"), "hint": _("经营场所、经营项目、从业人员，一页一题"),
         "url": reverse("apply:question", args=[pk, _first_unanswered(application).slug])},
        {"title": _("申请材料"), "hint": _("逐项上传；电子证照库已有的证照自动调取"),
         "url": reverse("apply:materials", args=[pk])},
        {"title": _("核对并提交"), "hint": _("核对全部内容后提交，提交后由窗口预审"),
         "url": reverse("apply:check", args=[pk]) if ready else ""},
    ]
    for number, (section, status) in enumerate(zip(sections, statuses, strict=True), start=1):
        section.update(number=number, status=status, status_label=SectionStatus(status).label,
                       id=f"section-{number}")
    return sections


@applicant_required
def start(request, code: str):
    """"在线申报" from the guide: resume the open draft of this item, or start one."""
    version = ItemVersion.objects.in_force().filter(implementation_code=code).select_related("department").first()
    if version is None:
        raise Http404("没有找到该事项，或该事项已取消。")
    user = request.user
    if not _serves(version, user.subject_type):
        reason = (gettext("该事项只受理企业及其他组织的申请，个人不能在线申报。")
                  if user.subject_type == SubjectType.CITIZEN
                  else gettext("该事项只受理个人的申请，企业及其他组织不能在线申报。"))
        return render(request, "approvals/apply/cannot_start.html", {"version": version, "reasons": [reason]},
                      status=403)
    draft = _open_draft(user, version)
    if draft is not None:
        return redirect("apply:task_list", pk=draft.pk)
    form = ContactPhoneForm(_posted(request))
    phone = user.phone
    if request.method == "POST":
        phone = form.cleaned_data["contact_phone"] if form.is_valid() else ""
    if phone:
        try:
            application = _start_draft(user, version, phone)
        except ValidationError as error:
            return render(request, "approvals/apply/cannot_start.html",
                          {"version": version, "reasons": error.messages}, status=400)
        return redirect("apply:task_list", pk=application.pk)
    return render(request, "approvals/apply/start.html", {"form": form, "version": version})


@applicant_required
def task_list(request, pk: int):
    application, refused = _draft_or_redirect(request, pk)
    if refused:
        return refused
    sections = _sections(application)
    completed = sum(1 for section in sections[:3] if section["status"] == SectionStatus.COMPLETED)
    return render(request, "approvals/apply/task_list.html", {
        "application": application, "sections": sections, "completed": completed, "total": 3,
    })


# --- Section 1: the applicant ------------------------------------------------------------------


@applicant_required
def applicant_details(request, pk: int):
    application, refused = _draft_or_redirect(request, pk)
    if refused:
        return refused
    user = request.user
    initial = {
        "contact_name": application.contact_name or (user.full_name if user.subject_type == SubjectType.CITIZEN
                                                     else ""),
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        "identity_confirmed": bool(application.contact_name),
    }
    form = ApplicantDetailsForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_draft(application, actor=user, contact_name=data["contact_name"],
                     contact_phone=data["contact_phone"], contact_email=data["contact_email"])
        return redirect("apply:check" if _returning_to_check(request) else "apply:task_list", pk=application.pk)
    return render(request, "approvals/apply/applicant.html", {"application": application, "form": form})


# --- Section 2: one question a page ------------------------------------------------------------


@applicant_required
def question(request, pk: int, slug: str):
    application, refused = _draft_or_redirect(request, pk)
    if refused:
        return refused
    question_form = question_by_slug(slug)
    if question_form is None:
        raise Http404("没有这一题。")
    key = question_key(question_form)
    index = QUESTIONS.index(question_form)
    form = question_form(_posted(request), initial={key: application.form_data.get(key)})
    if request.method == "POST" and form.is_valid():
        services.update_draft(application, actor=request.user,
                     form_data={**application.form_data, key: form.cleaned_data[key]})
        if _returning_to_check(request):
            return redirect("apply:check", pk=application.pk)
        if index + 1 < len(QUESTIONS):
            return redirect("apply:question", pk=application.pk, slug=QUESTIONS[index + 1].slug)
        return redirect("apply:task_list", pk=application.pk)
    if _returning_to_check(request):
        back = reverse("apply:check", args=[application.pk])
    elif index:
        back = reverse("apply:question", args=[application.pk, QUESTIONS[index - 1].slug])
    else:
        back = reverse("apply:task_list", args=[application.pk])
    return render(request, "approvals/apply/question.html", {
        "application": application, "form": form, "field": form[key], "back": back,
        "number": index + 1, "total": len(QUESTIONS),
    })


# --- Section 3: materials ----------------------------------------------------------------------


def _material_rows(application: Application) -> list[dict]:
    guide = {material["position"]: material for material in application.item_version.content["materials"]}
    rows = []
    for material in application.materials.select_related("stored_file", "reused_licence"):
        listed = guide.get(material.position, {})
        rows.append({
            "material": material,
            "form_label": MaterialForm(listed["form"]).label if listed.get("form") in MaterialForm.values else "",
            "copies": listed.get("copies"),
            "notes": listed.get("notes", ""),
            "reused": material.state == MaterialState.REUSED,
            "provided": material.state == MaterialState.PROVIDED,
        })
    return rows


def _materials_application(request, pk: int):
    application = _own(request, pk)
    if application.status not in MATERIAL_STATUSES:
        messages.info(request, gettext("窗口受理后不能再修改申请材料。"))
        return application, redirect("apply:detail", pk=application.pk)
    return application, None


@applicant_required
def materials(request, pk: int):
    application, refused = _materials_application(request, pk)
    if refused:
        return refused
    rows = _material_rows(application)
    return render(request, "approvals/apply/materials.html", {
        "application": application, "rows": rows,
        "status": SectionStatus(_materials_status([row["material"] for row in rows])),
    })


@applicant_required
def material_upload(request, pk: int, position: int):
    application, refused = _materials_application(request, pk)
    if refused:
        return refused
    material = get_object_or_404(application.materials, position=position)
    if material.state == MaterialState.REUSED:
        messages.info(request, gettext("该材料已从电子证照库调取，无需上传。"))
        return redirect("apply:materials", pk=application.pk)
    form = MaterialUploadForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                stored = store_upload(form.cleaned_data["file"], actor=request.user, purpose="material",
                                      channel=UploadChannel.WEB)
                services.record_material(
                    application, material.position, actor=request.user, state=MaterialState.PROVIDED,
                    stored_file=stored, note=f"网上申报上传：{stored.original_name}（文件编号 {stored.pk}）",
                )
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(request, gettext("已上传：%(name)s") % {"name": material.name})
            if _returning_to_check(request):
                return redirect("apply:check", pk=application.pk)
            return redirect("apply:materials", pk=application.pk)
    return render(request, "approvals/apply/material_upload.html", {
        "application": application, "material": material, "form": form,
        "row": next(row for row in _material_rows(application) if row["material"].pk == material.pk),
        "back": reverse("apply:check" if _returning_to_check(request) else "apply:materials",
                        args=[application.pk]),
    })


# --- Section 4: check your answers, submit, confirmation ---------------------------------------


def _answers(application: Application) -> list[dict]:
    rows = []
    for question_form in QUESTIONS:
        key = question_key(question_form)
        value = application.form_data.get(key)
        if key == "staff_count" and value is not None:
            value = gettext("%(count)s 人") % {"count": value}
        rows.append({"key": key, "label": QUESTION_SUMMARY_LABELS[key], "value": value, "id": f"answer-{key}",
                     "change": reverse("apply:question", args=[application.pk, question_form.slug])
                     + f"?return={RETURN_TO_CHECK}"})
    return rows


def _problems(application: Application, answers, rows) -> list[dict]:
    """What stops the submission, each linked to its row on the check page."""
    problems = []
    if not application.contact_name:
        problems.append({"href": "#answer-contact_name", "message": gettext("请填写申请人信息并确认证件号码")})
    for answer in answers:
        if answer["value"] in (None, ""):
            problems.append({"href": f"#{answer['id']}",
                             "message": gettext("请回答：%(question)s") % {"question": answer["label"]}})
    for row in rows:
        material = row["material"]
        if material.required and not (row["provided"] or row["reused"]):
            problems.append({"href": f"#material-{material.position}",
                             "message": gettext("请上传必要材料：%(name)s") % {"name": material.name}})
    return problems


@applicant_required
def check_answers(request, pk: int):
    application = _own(request, pk)
    if application.status != ApplicationStatus.DRAFT:
        if application.receipt_number:
            return redirect("apply:confirmation", pk=application.pk)  # a second click on "提交"
        return redirect("apply:detail", pk=application.pk)
    answers = _answers(application)
    rows = _material_rows(application)
    problems = _problems(application, answers, rows)
    if request.method == "POST" and not problems:
        try:
            services.submit_application(application, actor=request.user)
        except transitions.TransitionRefused:
            pass  # submitted meanwhile (another tab): the confirmation shows the receipt
        return redirect("apply:confirmation", pk=application.pk)
    return render(request, "approvals/apply/check.html", {
        "application": application, "answers": answers, "rows": rows,
        "problems": problems if request.method == "POST" else [],
        "incomplete": bool(problems),
        "change_suffix": f"?return={RETURN_TO_CHECK}",
    })


def _expected(application: Application) -> clocks.Clock | None:
    """The deadlines if the window accepts on the receipt day: an estimate, said as 预计."""
    if application.received_on is None:
        return None
    return clocks.Clock(accepted_on=application.received_on, promised_limit=application.promised_limit,
                        statutory_limit=application.statutory_limit, today=application.received_on)


@applicant_required
def confirmation(request, pk: int):
    application = _own(request, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("apply:task_list", pk=application.pk)
    content = application.item_version.content
    return render(request, "approvals/apply/confirmation.html", {
        "application": application,
        "expected": _expected(application),
        "pre_review_due": (clocks.deemed_acceptance_due(application.received_on)
                           if application.received_on else None),
        "max_trips": content.get("max_trips", 1),
    })


# --- 我的办件 ---------------------------------------------------------------------------------


@applicant_required
def my_applications(request):
    applications = (Application.objects.restrict(request.user, VIEW).select_related("item_version")
                    .order_by("-created_at", "-pk"))
    page = Paginator(applications, 20).get_page(request.GET.get("page"))
    return render(request, "approvals/apply/my_applications.html", {"page": page})


def _documents(application: Application):
    return Document.objects.filter(target_type=Application._meta.label_lower,
                                   target_id=str(application.pk)).order_by("created_at", "pk")


@applicant_required
def detail(request, pk: int):
    application = _own(request, pk, related=("steps", "pauses", "notices"))
    notice = None
    if application.status == ApplicationStatus.CORRECTION:
        notice = next((n for n in application.notices.all() if n.answered_at is None), None)
    return render(request, "approvals/apply/detail.html", {
        "application": application,
        "decision": Decision.objects.filter(application=application).first(),
        "documents": _documents(application),
        "remedies": remedies(),
        "clock": services.clock_of(application) if application.accepted_on else None,
        "expected": _expected(application) if application.status == ApplicationStatus.SUBMITTED else None,
        "can_withdraw": application.status in transitions.BEFORE_DECISION,
        "notice": notice,
        "missing": services.missing_materials(application) if notice else [],
        "steps": application.steps.all(),
        "rows": _material_rows(application),
        "can_rate": application.status == ApplicationStatus.CONCLUDED and not hasattr(application, "rating"),
        "rating_levels": RatingLevel.choices,
    })


@applicant_required
def document(request, pk: int, document_pk: int):
    """A notice, decision or licence of the applicant's own application, sealed as issued."""
    application = _own(request, pk)
    return document_response(get_object_or_404(_documents(application), pk=document_pk))


@applicant_required
@require_POST
def rate(request, pk: int):
    """好差评 after conclusion: five levels (national scale), an optional comment, once."""
    application = _own(request, pk)
    try:
        level = int(request.POST.get("level", ""))
    except ValueError:
        level = 0
    try:
        services.rate_application(application, actor=request.user, level=level,
                                  comment=request.POST.get("comment", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("感谢您的评价。"))
    return redirect("apply:detail", pk=application.pk)


@applicant_required
def withdraw(request, pk: int):
    """撤回, before the decision: a confirmation page first (it cannot be undone)."""
    application = _own(request, pk)
    if application.status not in transitions.BEFORE_DECISION:
        messages.error(request, gettext("已作出决定或已结束的办件不能撤回。"))
        return redirect("apply:detail", pk=application.pk)
    form = WithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_application(application, actor=request.user, reason=form.cleaned_data["reason"])
        except transitions.TransitionRefused as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, gettext("申请已撤回。"))
        return redirect("apply:detail", pk=application.pk)
    return render(request, "approvals/apply/withdraw.html", {"application": application, "form": form})


@require_POST
@applicant_required
def resubmit(request, pk: int):
    """After the one-time notice: the supplemented materials go back to the window's pre-review."""
    application = _own(request, pk)
    try:
        services.resubmit_application(application, actor=request.user)
    except transitions.TransitionRefused as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("补正材料已提交，窗口将重新预审。"))
    return redirect("apply:detail", pk=application.pk)


# --- Sign-up ----------------------------------------------------------------------------------


def signup(request):
    """An applicant account; signing in afterwards is the ordinary /accounts/login/."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or reverse("apply:my_applications"))
    form = SignUpForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = organisation.save_user(form.build_user(), actor=None, password=form.cleaned_data["password1"])
        except ValidationError as error:  # lost a race for the username
            for field, field_messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            login(request, user, backend="portal.organisation.backends.UserBackend")
            messages.success(request, gettext("注册成功，您已登录。"))
            return redirect(next_url or reverse("apply:my_applications"))
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
