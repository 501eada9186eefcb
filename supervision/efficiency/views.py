"""Screens of efficiency supervision: dashboards, scoring runs, scores explained down to the cases,
and the public monthly ranking.

Staff screens are for supervisors and admins; everything they show is scoped by the viewer's
region (``restrict``) and out-of-scope objects answer 404. The dashboard page is light (filters
and chart frames); its charts fetch one JSON answer read from the monthly rollups only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from approvals.clock import beijing_date
from approvals.models import Application
from approvals.services import today
from portal.organisation.choices import Role
from portal.scoping import VIEW
from portal.workdays import working_days_between
from supervision.efficiency import dashboard as dashboards
from supervision.efficiency import exports, rollups, services
from supervision.efficiency.choices import Figure, Indicator, RunKind, RunStatus, SubjectKind
from supervision.efficiency.forms import DashboardFilterForm, ScoringRequestForm, add_months, parse_month
from supervision.efficiency.formula import DEFINITIONS
from supervision.efficiency.models import Score, ScoringRule, ScoringRun
from supervision.efficiency.querysets import Period, figure_cases_sql, positional

PAGE_SIZE = 50
VIEWER_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def _require_viewer(user) -> None:
    if user.is_applicant or not user.has_role(*VIEWER_ROLES):
        raise PermissionDenied


def _charts() -> list[dict]:
    """The dashboard's charts (DOMAIN.md §5), in page order."""
    return [
        {"id": "volume", "title": _("月度办件量趋势（收件、受理、办结）"), "wide": True},
        {"id": "channels", "title": _("申报渠道：网上与窗口")},
        {"id": "top-departments", "title": _("受理量前十部门（受理与办结）")},
        {"id": "top-items", "title": _("受理量前十事项")},
        {"id": "early", "title": _("提前办结率排名")},
        {"id": "overdue", "title": _("超期件数排名")},
        {"id": "compression", "title": _("时限压缩率排名")},
        {"id": "satisfaction", "title": _("满意率排名（非差评占比）")},
        {"id": "online", "title": _("网上办理率排名")},
        {"id": "licences", "title": _("电子证照入库与复用"), "wide": True},
    ]


def _chart_labels() -> dict[str, str]:
    return {
        "received": _("收件"), "accepted": _("受理"), "concluded": _("办结"), "early_rate": _("提前办结率"),
        "on_time_rate": _("按时办结率"), "overdue": _("超期件数"), "online_rate": _("网上办理率"),
        "satisfaction_rate": _("满意率"), "compression": _("时限压缩率"), "licences_issued": _("证照入库"),
        "materials_reused": _("证照复用"), "empty": _("本期暂无数据"), "error": _("图表数据加载失败："),
    }


def _filters(form: DashboardFilterForm) -> dashboards.Filters:
    data = form.cleaned_data
    return dashboards.Filters(start=data["start"], end=data["end"], region=data.get("region"),
                              department=data.get("department"))


# --- Dashboard -------------------------------------------------------------------------------------


@login_required
def dashboard(request):
    """The dashboard page: filters, freshness, chart frames; the charts load ``dashboard_data``."""
    _require_viewer(request.user)
    form = DashboardFilterForm(_with_default_months(request.GET), user=request.user)
    valid = form.is_valid()
    query = request.GET.urlencode()
    context = {
        "form": form,
        "valid": valid,
        "data_url": f"{reverse('efficiency:dashboard_data')}?{query}",
        "export_xlsx": f"{reverse('efficiency:dashboard_export_xlsx')}?{query}",
        "export_csv": f"{reverse('efficiency:dashboard_export_csv')}?{query}",
        "freshness": rollups.freshness(),
        "period": form.cleaned_data if valid else None,
        "charts": _charts(),
        "labels": _chart_labels(),
    }
    return render(request, "efficiency/dashboard.html", context, status=200 if valid else 400)


def _with_default_months(query):
    """The filters as asked, the default months (the last twelve) filled in, so the form shows them."""
    data = query.copy()
    end = today().replace(day=1)
    if not data.get("end"):
        data["end"] = f"{end:%Y-%m}"
    if not data.get("start"):
        last = parse_month(data["end"]) or end
        data["start"] = f"{add_months(last, -11):%Y-%m}"
    return data


def _json_error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    error = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return JsonResponse({"error": error}, status=status, json_dumps_params={"ensure_ascii": False})


def dashboard_data(request):
    """The charts' data (JSON), from the monthly rollups; errors in the API's structured shape."""
    user = request.user
    if not user.is_authenticated:
        return _json_error(401, "not_authenticated", _("请先登录。"))
    if user.is_applicant or not user.has_role(*VIEWER_ROLES):
        return _json_error(403, "permission_denied", _("只有监察人员和管理员可以查看绩效分析。"))
    form = DashboardFilterForm(request.GET, user=user)
    if not form.is_valid():
        fields = {name: [str(message) for message in errors] for name, errors in form.errors.items()}
        return _json_error(400, "invalid", _("筛选条件有误，请按字段提示修改。"), fields)
    data = dashboards.dashboard_data(user, _filters(form))
    state = rollups.freshness()
    data["refreshed_at"] = state.last_finished_at.isoformat() if state and state.last_finished_at else None
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
def dashboard_export(request, fmt: str):
    """The dashboard's figures as xlsx (every table a sheet) or CSV (one table, ``?table=``)."""
    _require_viewer(request.user)
    form = DashboardFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "efficiency/dashboard.html", {"form": form, "valid": False}, status=400)
    data = dashboards.dashboard_data(request.user, _filters(form))
    tables = exports.dashboard_tables(data)
    filename = f"efficiency-{data['period']['start']}-{data['period']['end']}"
    if fmt == "xlsx":
        return exports.workbook_response(tables, exports.table_titles(), filename)
    table = request.GET.get("table", "departments")
    if table not in tables:
        raise Http404(_("没有该表。"))
    header, rows = tables[table]
    return exports.csv_response(header, rows, f"{filename}-{table}")


# --- Runs and scores -------------------------------------------------------------------------------


@login_required
def runs(request):
    """Scoring runs the viewer may open, and the form to score a period on demand."""
    _require_viewer(request.user)
    user = request.user
    form = ScoringRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = services.request_scoring_run(rule=data["rule"], region=data["region"],
                                               period_start=data["period_start"], period_end=data["period_end"],
                                               actor=user)
        except ValidationError as error:
            for field, field_messages in (error.message_dict.items() if hasattr(error, "error_dict")
                                          else [(None, error.messages)]):
                form.add_error(field if field in form.fields else None, field_messages)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已提交评估，完成后即可查看得分。"))
            return redirect("efficiency:run", pk=run.pk)
    visible = (ScoringRun.objects.visible_to(user).select_related("rule", "rule_version", "region")
               .order_by("-period_start", "-requested_at"))
    page = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "efficiency/runs.html", {"form": form, "page": page},
                  status=400 if request.method == "POST" else 200)


@login_required
def run(request, pk: int):
    """One run's ranking of departments, items or windows (the viewer's scope of them)."""
    _require_viewer(request.user)
    user = request.user
    scoring_run = get_object_or_404(ScoringRun.objects.visible_to(user).select_related("rule", "rule_version",
                                                                                       "region"), pk=pk)
    kind = request.GET.get("kind", SubjectKind.DEPARTMENT)
    if kind not in SubjectKind.values:
        raise Http404(_("没有该类评估对象。"))
    scores = (Score.objects.restrict(user, VIEW).filter(run=scoring_run, subject_kind=kind)
              .order_by("rank", "subject_name"))
    counts = dict(Score.objects.filter(run=scoring_run).order_by().values_list("subject_kind")
                  .annotate(total=Count("pk")))
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "run": scoring_run, "kind": kind, "page": page,
        "kinds": [(value, label, counts.get(value, 0)) for value, label in SubjectKind.choices],
        "total": counts.get(kind, 0), "indicators": _indicator_labels(),
        "weights": _weights(scoring_run.rule_version),
    }
    return render(request, "efficiency/run.html", context)


@login_required
def run_export(request, pk: int, fmt: str):
    _require_viewer(request.user)
    scoring_run = get_object_or_404(ScoringRun.objects.visible_to(request.user), pk=pk)
    kind = request.GET.get("kind", SubjectKind.DEPARTMENT)
    if kind not in SubjectKind.values:
        raise Http404(_("没有该类评估对象。"))
    scores = (Score.objects.restrict(request.user, VIEW).filter(run=scoring_run, subject_kind=kind)
              .order_by("rank", "subject_name"))
    header, rows = exports.ranking_table(scores, kind)
    filename = f"scores-{scoring_run.period_start:%Y%m%d}-{scoring_run.period_end:%Y%m%d}-{kind}"
    if fmt == "xlsx":
        return exports.workbook_response({"ranking": (header, rows)}, {"ranking": _("排名")}, filename)
    return exports.csv_response(header, rows, filename)


def _indicator_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Indicator.choices}


def _weights(version) -> list[tuple[str, object]]:
    return [(str(Indicator(indicator).label), weight) for indicator, weight in version.weights.items()]


@login_required
def score(request, pk: int):
    """A score explained: each indicator's figure, share, weight and points, and behind each
    counted figure the list of its cases."""
    _require_viewer(request.user)
    item = get_object_or_404(Score.objects.restrict(request.user, VIEW)
                             .select_related("run__region", "run__rule", "rule_version__rule", "department__region"), pk=pk)
    labels = {value: str(label) for value, label in Figure.choices}
    rows = []
    for definition, entry in zip(DEFINITIONS, item.breakdown, strict=True):
        rows.append({
            "label": str(Indicator(entry["indicator"]).label),
            "indicator": entry["indicator"],
            "entry": entry,
            "value": _display_value(entry, is_count=definition.denominator is None),
            "share": f"{float(entry['share']) * 100:.2f}%",
            "numerator": _figure_link(item, definition.numerator, labels),
            "denominator": _figure_link(item, definition.denominator, labels) if definition.denominator else None,
        })
    total_in_kind = Score.objects.filter(run=item.run, subject_kind=item.subject_kind).count()
    context = {"score": item, "rows": rows, "total_in_kind": total_in_kind, "version": item.rule_version,
               "figures": [_figure_link(item, figure, labels) for figure in Figure.values]}
    return render(request, "efficiency/score.html", context)


def _display_value(entry: dict, *, is_count: bool) -> str:
    if entry["value"] is None:
        return "—"
    if is_count:
        return entry["value"]
    return f"{float(entry['value']) * 100:.2f}%"


def _figure_link(score: Score, figure: str, labels: dict[str, str]) -> dict:
    """A counted figure and the list of its cases (the limits' sums open the accepted cases)."""
    opens = figure if figure in labels else Figure.ACCEPTED
    label = labels.get(figure) or (_("承诺时限合计（工作日）") if figure == "promised_days" else _("法定时限合计（工作日）"))
    return {"figure": figure, "label": label, "value": getattr(score, figure),
            "url": reverse("efficiency:score_cases", args=[score.pk, opens])}


def _period_of(score: Score) -> Period:
    run = score.run
    return Period(start=run.period_start, end=run.period_end, as_of=run.as_of, region_path=run.region_path,
                  satisfied_min_level=score.rule_version.satisfied_min_level)


def figure_cases(score: Score, figure: str, user):
    """The applications behind one figure of a score, recomputed now from the same statement."""
    sql, params = figure_cases_sql(figure, _period_of(score), subject_kind=score.subject_kind,
                                   department_id=score.department_id, item_id=score.item_id)
    sql, ordered = positional(sql, params)
    return Application.objects.restrict(user, VIEW).filter(pk__in=RawSQL(sql, ordered))


@login_required
def score_cases(request, pk: int, figure: str):
    """Drill-down: receipt number, item, dates and why each case counts in the figure."""
    _require_viewer(request.user)
    if figure not in Figure.values:
        raise Http404(_("没有该项数据。"))
    item = get_object_or_404(Score.objects.restrict(request.user, VIEW)
                             .select_related("run", "rule_version"), pk=pk)
    cases = (figure_cases(item, figure, request.user).select_related("item_version", "department", "rating")
             .prefetch_related("notices", "pauses").order_by("receipt_number", "pk"))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    stored = getattr(item, figure)
    rows = [{"application": application, **_why(application, figure, item)} for application in page.object_list]
    context = {"score": item, "figure": figure, "figure_label": Figure(figure).label, "page": page, "rows": rows,
               "stored": stored, "live": page.paginator.count}
    return render(request, "efficiency/score_cases.html", context)


def _why(application: Application, figure: str, score: Score) -> dict:
    """The dates that matter and one sentence saying why the case counts."""
    concluded = beijing_date(application.concluded_at) if application.concluded_at else None
    due = application.promised_due
    rating = getattr(application, "rating", None) if figure in (Figure.RATINGS, Figure.RATINGS_SATISFIED) else None
    if figure == Figure.CONCLUDED_EARLY:
        reason = _("%(concluded)s 办结，早于承诺办结日 %(due)s（提前 %(days)s 个工作日）") % {
            "concluded": concluded, "due": due, "days": working_days_between(concluded, due)}
    elif figure == Figure.CONCLUDED_ON_TIME:
        reason = _("%(concluded)s 办结，未超过承诺办结日 %(due)s") % {"concluded": concluded, "due": due}
    elif figure == Figure.CONCLUDED:
        reason = _("%(concluded)s 办结") % {"concluded": concluded}
    elif figure == Figure.OVERDUE:
        if concluded is not None:
            reason = _("承诺办结日 %(due)s，%(concluded)s 才办结（超期 %(days)s 个工作日）") % {
                "due": due, "concluded": concluded, "days": working_days_between(due, concluded)}
        else:
            reason = _("承诺办结日 %(due)s 已过，截至 %(as_of)s 仍未办结") % {"due": due, "as_of": score.run.as_of}
    elif figure == Figure.ONLINE:
        reason = _("网上申报，%(accepted)s 受理") % {"accepted": application.accepted_on}
    elif figure == Figure.ACCEPTED_AFTER_NOTICE:
        notice = next(iter(application.notices.all()), None)
        reason = _("%(issued)s 一次性告知补正，%(accepted)s 受理") % {
            "issued": beijing_date(notice.issued_at) if notice else "—", "accepted": application.accepted_on}
    elif rating is not None:
        reason = _("%(rated)s 评价为“%(level)s”") % {"rated": beijing_date(rating.rated_at),
                                                      "level": rating.get_level_display()}
    else:
        reason = _("%(accepted)s 受理（承诺 %(promised)s / 法定 %(statutory)s 个工作日）") % {
            "accepted": application.accepted_on, "promised": application.promised_limit,
            "statutory": application.statutory_limit}
    return {"concluded_on": concluded, "reason": reason}


@login_required
def rules(request):
    """The published scoring rules with every version's weights (the rules are public)."""
    _require_viewer(request.user)
    rule_list = ScoringRule.objects.select_related("region").prefetch_related("versions").order_by("code")
    return render(request, "efficiency/rules.html", {"rules": rule_list, "indicators": Indicator.choices,
                                                     "can_edit": request.user.has_role(Role.ADMIN)})


# --- Public -----------------------------------------------------------------------------------------


def public_rankings(request):
    """The monthly ranking of departments, published (no personal data: departments only)."""
    published = ScoringRun.objects.filter(kind=RunKind.MONTHLY, status=RunStatus.DONE, published_at__isnull=False)
    months = list(published.order_by("-period_start").values_list("period_start", flat=True).distinct()[:36])
    requested = request.GET.get("month")
    if requested:
        month = parse_month(requested)
        if month is None or month not in months:
            return render(request, "efficiency/public_rankings.html",
                          {"months": months, "month": None, "rankings": [],
                           "error": _("该月的绩效排名尚未公布。")}, status=404)
    else:
        month = months[0] if months else None
    rankings = []
    if month is not None:
        for published_run in published.filter(period_start=month).select_related("rule", "rule_version",
                                                                                  "region"):
            scores = list(published_run.scores.filter(subject_kind=SubjectKind.DEPARTMENT).order_by("rank",
                                                                                                     "subject_name"))
            rankings.append({"run": published_run, "rows": [_public_row(score) for score in scores],
                             "weights": _weights(published_run.rule_version)})
    return render(request, "efficiency/public_rankings.html",
                  {"months": months, "month": month, "rankings": rankings})


def _percent(value: str | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _public_row(score: Score) -> dict:
    """What the public sees of a score: the department and its published figures, nothing else."""
    values = {entry["indicator"]: entry["value"] for entry in score.breakdown}
    return {"rank": score.rank, "department": score.subject_name, "points": score.points,
            "early": _percent(values.get(Indicator.EARLY_COMPLETION)),
            "on_time": _percent(values.get(Indicator.ON_TIME)), "overdue": score.overdue,
            "satisfaction": _percent(values.get(Indicator.SATISFACTION)),
            "compression": _percent(values.get(Indicator.COMPRESSION)),
            "online": _percent(values.get(Indicator.ONLINE))}
