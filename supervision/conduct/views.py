"""Supervisors' screens: the key-event ledger, the off-system rules and their flags.

Signed-in supervisors (and admins) only; everything listed is ``restrict``-ed to the user's
region, and an object out of scope answers 404. Rules are tuned by city-level supervisors and
admins, flags reviewed by supervisors; refusals come back as Chinese messages on the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.audit.services import entries_for
from portal.scoping import VIEW
from supervision.conduct import forms, rules, services
from supervision.conduct.choices import KeyEventKind, RuleCode
from supervision.conduct.models import ConductFlag, ConductRule, KeyEvent

PAGE_SIZE = 50


def _require_monitor(request) -> None:
    if not services.may_monitor(request.user):
        raise PermissionDenied("只有监察人员可以查看办理行为监察。")


def _put_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def key_events(request):
    """The ledger, filtered by kind, department and period, with the count of each kind."""
    _require_monitor(request)
    form = forms.KeyEventFilterForm(request.GET or None, user=request.user)
    events = KeyEvent.objects.restrict(request.user, VIEW)
    if form.is_bound and not form.is_valid():
        events = events.none()
    elif form.is_bound:
        events = form.filter_period(events)
    per_kind = dict(events.order_by().values_list("kind").annotate(count=Count("pk")))
    kind = form.cleaned_data.get("kind") if form.is_bound and form.is_valid() else ""
    if kind:
        events = events.filter(kind=kind)
    counts = [{"kind": value, "label": label, "count": per_kind.get(value, 0)}
              for value, label in KeyEventKind.choices]
    page = _page(request, events.select_related("application__item_version", "department"))
    return render(request, "conduct/key_events.html", {
        "form": form, "counts": counts, "total": sum(per_kind.values()), "page": page,
        "query": _query_without_page(request),
    })


def _parameter_rows(rule: ConductRule) -> list[dict]:
    values = rules.effective_parameters(rule.code, rule.parameters)
    return [{"label": parameter.label, "value": values[parameter.name], "unit": parameter.unit}
            for parameter in rules.definition_of(rule.code).parameters]


@login_required
def rule_list(request):
    _require_monitor(request)
    open_flags = dict(ConductFlag.objects.restrict(request.user, VIEW).filter(review_verdict="")
                      .order_by().values_list("rule").annotate(count=Count("pk")))
    rows = [{"rule": rule, "parameters": _parameter_rows(rule), "open_flags": open_flags.get(rule.pk, 0)}
            for rule in ConductRule.objects.order_by("pk")]
    return render(request, "conduct/rule_list.html", {"rows": rows,
                                                       "may_tune": services.may_tune_rules(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def rule_detail(request, code: str):
    """What a rule detects and why, its parameters and history; the tuning form for those who may."""
    _require_monitor(request)
    rule = get_object_or_404(ConductRule, code=code)
    definition = rules.definition_of(rule.code)
    may_tune = services.may_tune_rules(request.user)
    initial = {"enabled": rule.enabled, **rules.effective_parameters(rule.code, rule.parameters)}
    form = forms.RuleTuningForm(request.POST or None, initial=initial, definition=definition)
    if request.method == "POST":
        if not may_tune:
            raise PermissionDenied("只有市级监察人员或系统管理员可以调整监察规则。")
        if form.is_valid():
            try:
                services.tune_rule(rule, actor=request.user, enabled=form.cleaned_data["enabled"],
                                   parameters=form.parameters(), reason=form.cleaned_data["reason"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, f"规则“{rule.name}”已调整为第 {rule.version} 版，下次扫描按新参数执行。")
                return redirect("conduct:rule_detail", code=rule.code)
    history = entries_for(rule).filter(event_type="conduct.rule.tuned").order_by("-seq")[:20]
    return render(request, "conduct/rule_detail.html", {
        "rule": rule, "parameters": _parameter_rows(rule), "form": form, "may_tune": may_tune,
        "history": history,
    }, status=400 if form.errors else 200)


@login_required
def flag_list(request):
    """Flags in the user's region, filtered by rule, review state, department and period."""
    _require_monitor(request)
    form = forms.FlagFilterForm(request.GET or None, user=request.user)
    flags = ConductFlag.objects.restrict(request.user, VIEW)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    if not valid:
        flags = flags.none()
    elif data:
        flags = form.filter_period(flags)
    if not data.get("earlier_parameters"):
        # Flags found under each rule's current parameters (rows of earlier settings stay, hidden).
        current = [(rule.pk, rules.parameters_hash(rules.effective_parameters(rule.code, rule.parameters)))
                   for rule in ConductRule.objects.all()]
        condition = Q(pk__in=[])
        for rule_pk, fingerprint in current:
            condition |= Q(rule_id=rule_pk, parameters_hash=fingerprint)
        flags = flags.filter(condition)
    state = data.get("state") or "open"
    if state == "open":
        flags = flags.filter(review_verdict="")
    elif state != "all":
        flags = flags.filter(review_verdict=state)
    per_rule = dict(flags.order_by().values_list("rule__code").annotate(count=Count("pk")))
    if data.get("rule"):
        flags = flags.filter(rule__code=data["rule"])
    counts = [{"code": value, "label": label, "count": per_rule.get(value, 0)} for value, label in RuleCode.choices]
    page = _page(request, flags.select_related("rule", "step", "application__item_version", "department"))
    return render(request, "conduct/flag_list.html", {
        "form": form, "counts": counts, "total": sum(per_rule.values()), "page": page,
        "query": _query_without_page(request),
    })


@login_required
@require_http_methods(["GET", "POST"])
def flag_detail(request, pk: int):
    _require_monitor(request)
    flag = get_object_or_404(
        ConductFlag.objects.restrict(request.user, VIEW)
        .select_related("rule", "step", "application__item_version", "department"), pk=pk)
    may_review = services.may_review_flags(request.user) and not flag.is_reviewed
    form = forms.FlagReviewForm(request.POST or None)
    if request.method == "POST":
        if not services.may_review_flags(request.user):
            raise PermissionDenied("只有监察人员可以复核体外循环线索。")
        if form.is_valid():
            try:
                services.review_flag(flag, actor=request.user, verdict=form.cleaned_data["verdict"],
                                     note=form.cleaned_data["note"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, "复核结论已记录。")
                return redirect("conduct:flag_detail", pk=flag.pk)
    return render(request, "conduct/flag_detail.html", {
        "flag": flag, "form": form, "may_review": may_review,
        "description": flag.rule.description,
    }, status=400 if form.errors else 200)
