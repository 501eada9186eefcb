"""Every change to scoring: rules and their versions, scoring runs, and publishing rankings.

Rules: admins keep a draft version, edit it, and publish it; a published version never changes
again (a PostgreSQL trigger refuses it too), and every run and score names its version.

Runs: a supervisor asks for a period (``request_scoring_run``) or beat makes last month's
(``ensure_monthly_runs``); ``compute_scoring_run`` then scores it in one transaction — one
aggregate statement over the cases (``querysets.score_figures_sql``), the formula over the
subjects (a few hundred rows, not the cases), one bulk insert — and a monthly run is published as
that month's ranking. At-least-once delivery is safe: the run row is locked while it is scored,
and a run already done is left alone.
"""

from __future__ import annotations

import logging
import time as timer
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from approvals.services import today
from portal.audit.services import record_change, record_event, snapshot
from portal.organisation.choices import Role
from portal.organisation.models import Department, Region
from portal.scoping import CHANGE, VIEW, ensure_can, within_scope
from portal.transactions import service
from supervision.efficiency import formula
from supervision.efficiency.choices import RuleVersionStatus, RunKind, RunStatus, SubjectKind
from supervision.efficiency.models import Score, ScoringRule, ScoringRuleVersion, ScoringRun
from supervision.efficiency.querysets import SCORE_FIGURES, Period, score_figures_sql

logger = logging.getLogger(__name__)

EDITOR_ROLES = (Role.ADMIN,)
VIEWER_ROLES = (Role.SUPERVISOR, Role.ADMIN)
VERSION_FIELDS = [
    "weight_early_completion", "weight_on_time", "weight_overdue", "weight_satisfaction", "weight_compression",
    "weight_online", "weight_supplement", "overdue_tolerance", "compression_target", "online_target",
    "supplement_tolerance", "satisfied_min_level", "note",
]
# An on-demand period longer than this is refused: scores compare like with like (a year at most).
LONGEST_PERIOD_DAYS = 366
DEFAULT_RULE_CODE = "efficiency"


def _name(actor) -> str:
    return str(actor) if actor is not None else "系统"


# --- Rules ---------------------------------------------------------------------------------------


@service
def create_rule(*, code: str, name: str, region: Region, actor, description: str = "") -> ScoringRule:
    """A new rule of a region, with a first draft version at the default weights."""
    ensure_can(actor, region, CHANGE, roles=EDITOR_ROLES)
    rule = ScoringRule(code=code.strip(), name=name.strip(), region=region, description=description.strip())
    rule.full_clean()
    rule.save()
    record_change(rule, actor=actor, event_type="efficiency.rule.created", before=None,
                  fields=["code", "name", "region", "description"])
    create_rule_version(rule, actor=actor)
    return rule


@service
def create_rule_version(rule: ScoringRule, *, actor, **values: Any) -> ScoringRuleVersion:
    """A new draft version: the latest version's weights and parameters, changed by ``values``.
    A rule has at most one draft at a time (edit it, or publish it first)."""
    ensure_can(actor, rule, CHANGE, roles=EDITOR_ROLES)
    locked = ScoringRule.objects.select_for_update().get(pk=rule.pk)
    if locked.versions.filter(status=RuleVersionStatus.DRAFT).exists():
        raise ValidationError("该规则已有未发布的草稿版本，请修改或发布该草稿。")
    latest = locked.versions.order_by("-number").first()
    version = ScoringRuleVersion(rule=locked, number=(latest.number + 1) if latest else 1,
                                 created_by_name=_name(actor))
    if latest is not None:
        for name in VERSION_FIELDS:
            setattr(version, name, getattr(latest, name))
        version.note = ""
    _assign(version, values)
    _validate(version)
    version.save()
    record_change(version, actor=actor, event_type="efficiency.rule_version.created", before=None,
                  fields=["number", *VERSION_FIELDS])
    return version


@service
def update_rule_version(version: ScoringRuleVersion, *, actor, **values: Any) -> ScoringRuleVersion:
    """Edit a draft; a published version is never changed (scores made with it keep meaning it)."""
    ensure_can(actor, version.rule, CHANGE, roles=EDITOR_ROLES)
    locked = ScoringRuleVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise ValidationError("已发布的规则版本不可修改：请新建版本。")
    before = snapshot(locked, VERSION_FIELDS)
    _assign(locked, values)
    _validate(locked)
    locked.save(update_fields=VERSION_FIELDS)
    record_change(locked, actor=actor, event_type="efficiency.rule_version.updated", before=before,
                  fields=VERSION_FIELDS)
    return locked


@service
def publish_rule_version(version: ScoringRuleVersion, *, actor) -> ScoringRuleVersion:
    """Publish a draft: from now on runs use it; runs and scores made before keep theirs."""
    ensure_can(actor, version.rule, CHANGE, roles=EDITOR_ROLES)
    updated = ScoringRuleVersion.objects.filter(pk=version.pk, status=RuleVersionStatus.DRAFT).update(
        status=RuleVersionStatus.PUBLISHED, published_at=timezone.now(), published_by_name=_name(actor))
    if not updated:
        raise ValidationError("该版本已发布。")
    published = ScoringRuleVersion.objects.get(pk=version.pk)
    record_event("efficiency.rule_version.published", actor=actor, target=published,
                 data={"rule": published.rule.code, "number": published.number,
                       "weights": {name: str(value) for name, value in published.weights.items()}})
    return published


def _assign(version: ScoringRuleVersion, values: dict[str, Any]) -> None:
    unknown = set(values) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a rule version: {sorted(unknown)}")
    for name, value in values.items():
        setattr(version, name, value)


def _validate(version: ScoringRuleVersion) -> None:
    version.full_clean(exclude=["rule"], validate_constraints=False)
    check_weights(version.weights)


def check_weights(weights: dict[str, Any]) -> None:
    """The seven weights add up to 100 (forms call this too, to show the error on the field)."""
    total = sum((value for value in weights.values() if value is not None), Decimal(0))
    if total != 100:
        raise ValidationError({"weight_early_completion": [
            f"七项指标的权重之和应为 100，当前为 {total.normalize():f}。"]})


def current_version(rule: ScoringRule) -> ScoringRuleVersion | None:
    """The version runs use now: the rule's latest published one."""
    return rule.versions.filter(status=RuleVersionStatus.PUBLISHED).order_by("-number").first()


@service
def ensure_default_rule(*, actor=None) -> ScoringRule | None:
    """The platform's rule (评估办法) at the default weights, published, for the top region —
    created once (``manage.py setup_efficiency``); None while there is no region yet."""
    existing = ScoringRule.objects.filter(code=DEFAULT_RULE_CODE).first()
    if existing is not None:
        return existing
    region = Region.objects.filter(parent__isnull=True).order_by("path").first()
    if region is None:
        return None
    rule = create_rule(code=DEFAULT_RULE_CODE, name=f"{region.name}政务服务效能评估办法", region=region, actor=actor,
                       description="按月对各部门、事项和窗口评估提前办结率、按时办结率、超期件数、满意率、"
                                   "时限压缩率、网上办理率和补正率，权重由管理员设定并发布。")
    publish_rule_version(rule.versions.get(), actor=actor)
    return rule


# --- Runs ----------------------------------------------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


@service
def request_scoring_run(*, rule: ScoringRule, region: Region, period_start: date, period_end: date,
                        actor) -> ScoringRun:
    """A supervisor's scoring of any period over a region in their scope; scored by a task."""
    if actor is None or actor.is_applicant or not actor.has_role(*VIEWER_ROLES):
        raise PermissionDenied("只有监察人员和管理员可以发起绩效评估。")
    if not within_scope(actor, region, VIEW):
        raise PermissionDenied("该区划不在您的管辖范围内。")
    if period_end < period_start:
        raise ValidationError({"period_end": ["评估期止不能早于评估期起。"]})
    if (period_end - period_start).days >= LONGEST_PERIOD_DAYS:
        raise ValidationError({"period_end": ["评估期最长一年。"]})
    if period_start > today():
        raise ValidationError({"period_start": ["评估期尚未开始。"]})
    version = current_version(rule)
    if version is None:
        raise ValidationError({"rule": ["该规则尚无已发布的版本。"]})
    run = ScoringRun.objects.create(
        rule=rule, rule_version=version, region=region, region_path=region.path, kind=RunKind.ON_DEMAND,
        period_start=period_start, period_end=period_end, requested_by=actor, requested_by_name=_name(actor),
    )
    record_event("efficiency.run.requested", actor=actor, target=run,
                 data={"period": [period_start.isoformat(), period_end.isoformat()], "region": region.code,
                       "rule_version": version.pk})
    _enqueue(run)
    return run


def ensure_monthly_runs(*, on: date | None = None) -> list[ScoringRun]:
    """Level-triggered (beat, daily): every rule with a published version has its monthly run of
    the month before ``on``; a run still pending (a lost message) is queued again."""
    on = on or today()
    period_start, period_end = month_bounds(on.replace(day=1) - timedelta(days=1))
    runs = []
    for rule in ScoringRule.objects.select_related("region"):
        version = current_version(rule)
        if version is None:
            continue
        with transaction.atomic():
            run = ScoringRun.objects.filter(rule=rule, region=rule.region, period_start=period_start,
                                            kind=RunKind.MONTHLY).first()
            if run is None:
                try:
                    with transaction.atomic():
                        run = ScoringRun.objects.create(
                            rule=rule, rule_version=version, region=rule.region, region_path=rule.region.path,
                            kind=RunKind.MONTHLY, period_start=period_start, period_end=period_end,
                            requested_by_name="系统",
                        )
                        record_event("efficiency.run.requested", actor=None, target=run,
                                     data={"period": [period_start.isoformat(), period_end.isoformat()],
                                           "region": rule.region.code, "rule_version": version.pk})
                except IntegrityError:  # another sweep made it meanwhile (one per month: a constraint)
                    run = ScoringRun.objects.get(rule=rule, region=rule.region, period_start=period_start,
                                                 kind=RunKind.MONTHLY)
            if run.status == RunStatus.PENDING:
                _enqueue(run)
        runs.append(run)
    return runs


def _enqueue(run: ScoringRun) -> None:
    from supervision.efficiency.tasks import compute_scoring_run as task

    run_id = run.pk
    transaction.on_commit(lambda: task.delay(run_id))


def compute_scoring_run(run_id: int) -> ScoringRun | None:
    """Score the run: figures by one statement, points by the formula, ranks, one insert; then a
    monthly run is published. Idempotent: a run already done (or gone) is returned as it is."""
    started = timer.perf_counter()
    with transaction.atomic():
        run = (ScoringRun.objects.select_for_update(of=("self",)).select_related("rule_version", "region")
               .filter(pk=run_id).first())
        if run is None or run.status == RunStatus.DONE:
            return run
        as_of = today()
        period = Period(start=run.period_start, end=run.period_end, as_of=as_of, region_path=run.region_path,
                        satisfied_min_level=run.rule_version.satisfied_min_level)
        scores = _scores(run, period)
        Score.objects.bulk_create(scores, batch_size=2000)
        run.status, run.as_of, run.error = RunStatus.DONE, as_of, ""
        run.finished_at = timezone.now()
        run.duration_ms = int((timer.perf_counter() - started) * 1000)
        fields = ["status", "as_of", "error", "finished_at", "duration_ms"]
        if run.kind == RunKind.MONTHLY:
            run.published_at = run.finished_at
            fields.append("published_at")
        run.save(update_fields=fields)
        record_event("efficiency.run.completed", actor=None, target=run,
                     data={"scores": len(scores), "duration_ms": run.duration_ms, "as_of": as_of.isoformat()})
        if run.published_at:
            record_event("efficiency.ranking.published", actor=None, target=run,
                         data={"period": [run.period_start.isoformat(), run.period_end.isoformat()]})
    return run


def mark_run_failed(run_id: int, error: str) -> None:
    """Record why a run could not be scored (it stays unpublished; a new request may follow)."""
    ScoringRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(status=RunStatus.FAILED,
                                                                          error=error[:2000])


def score_figures(period: Period) -> list[tuple]:
    """The raw rows of the scoring statement: (kind, department id, item id, *SCORE_FIGURES)."""
    sql, params = score_figures_sql(period)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scores(run: ScoringRun, period: Period) -> list[Score]:
    from portal.catalogue.models import Item

    rows = score_figures(period)
    department_ids = {row[1] for row in rows}
    item_ids = {row[2] for row in rows if row[2] is not None}
    departments = {d.pk: d for d in Department.objects.filter(pk__in=department_ids).select_related("region")}
    items = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "name"))
    scores: list[Score] = []
    for kind, department_id, item_id, *values in rows:
        figures = {name: int(value or 0) for name, value in zip(SCORE_FIGURES, values, strict=True)}
        points, breakdown = formula.score(figures, run.rule_version)
        if points is None:
            continue  # nothing weighted applies (e.g. only ratings, weighted 0): not scored
        department = departments[department_id]
        if kind == SubjectKind.ITEM:
            name, key = items[item_id], f"item:{item_id}"
        elif kind == SubjectKind.WINDOW:
            name, key = f"{department.name}窗口", f"window:{department_id}"
        else:
            name, key = department.name, f"department:{department_id}"
        scores.append(Score(run=run, rule_version=run.rule_version, subject_kind=kind, subject_key=key,
                            department=department, item_id=item_id if kind == SubjectKind.ITEM else None,
                            subject_name=name, department_name=department.name,
                            region_path=department.region.path, points=points, rank=0, breakdown=breakdown,
                            **figures))
    for kind in SubjectKind.values:
        same_kind = [score for score in scores if score.subject_kind == kind]
        for score, rank in zip(same_kind, formula.competition_ranks([s.points for s in same_kind]), strict=True):
            score.rank = rank
    return scores
