"""Every change of the conduct app's state: the two sweeps, tuning a rule, reviewing a flag.

The sweeps are level-triggered: each run recomputes from the approvals tables what should be
in the ledger and inserts it with ``INSERT … SELECT … ON CONFLICT DO NOTHING``; the unique
constraints decide what is already there, so a missed, doubled or concurrent run changes
nothing. Tuning and reviewing lock the row, check the actor, save and write the audit trail in
one unit.
"""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.db.models import F, QuerySet, Value
from django.utils import timezone

from portal.audit.services import record_change, record_event, snapshot
from portal.organisation.choices import Role
from portal.scoping import VIEW, ensure_can
from portal.transactions import service, unit
from supervision.conduct import querysets, rules
from supervision.conduct.choices import ReviewVerdict
from supervision.conduct.models import ConductFlag, ConductRule, KeyEvent

MONITOR_ROLES = (Role.SUPERVISOR, Role.ADMIN)
TUNING_ROLES = (Role.SUPERVISOR, Role.ADMIN)
REVIEW_ROLES = (Role.SUPERVISOR,)

KEY_EVENT_FIELDS = ["application", "kind", "occurrence_key", "department", "region_path", "occurred_on",
                    "occurred_at", "detail"]
FLAG_FIELDS = ["rule", "rule_version", "parameters_hash", "step", "application", "department", "region_path",
               "occurred_on", "figures"]


# --- Who may do what -----------------------------------------------------------------------------


def may_monitor(user) -> bool:
    """Supervisors (and admins) read the ledger, the rules and the flags within their region."""
    return bool(user is not None and user.is_authenticated and user.is_active and not user.is_applicant
                and user.has_role(*MONITOR_ROLES))


def may_tune_rules(user) -> bool:
    """The rules apply to the whole platform, so only city-level supervisors and admins (whose
    scope is the top of the region tree) tune them; district supervisors read them."""
    if not may_monitor(user):
        return False
    if user.is_superuser:
        return True
    path = user.scope_path
    return path is not None and path.count("/") == 2 and user.has_role(*TUNING_ROLES)


def may_review_flags(user) -> bool:
    return may_monitor(user) and user.has_role(*REVIEW_ROLES)


def _name(actor) -> str:
    return (actor.full_name or actor.get_username()) if actor is not None else "系统"


# --- INSERT … SELECT … ON CONFLICT DO NOTHING ----------------------------------------------------


def insert_missing(model, rows: QuerySet, fields: list[str]) -> int:
    """Insert the rows of ``rows`` (annotated ``c_<field>`` for each of ``fields``) that the
    model's unique constraints do not already hold; return how many were inserted.

    One statement whatever the number of rows. Concurrent sweeps are safe: a row another run
    inserted meanwhile is skipped by the constraint, not duplicated.
    """
    aliases = [f"c_{name}" for name in fields]
    selection = rows.order_by().values(*aliases)
    compiler = selection.query.get_compiler(using=selection.db)
    select_sql, params = compiler.as_sql()
    selected = [alias for _expression, _sql, alias in compiler.select]
    if selected != aliases:  # the INSERT's columns are positional: refuse rather than mix them up
        raise RuntimeError(f"selected columns {selected} do not match {aliases}")
    connection = connections[selection.db]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
           f"SELECT * FROM ({select_sql}) AS candidate WHERE true ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- Sweeps --------------------------------------------------------------------------------------


def sweep_key_events() -> dict[str, int]:
    """Bring the key-event ledger up to date: one INSERT … SELECT per source; returns how many
    rows each source added. An audit entry records a run that added anything."""
    with unit():
        added = {name: insert_missing(KeyEvent, source(), KEY_EVENT_FIELDS)
                 for name, source in querysets.KEY_EVENT_SOURCES.items()}
        if any(added.values()):
            record_event("conduct.key_events.swept", actor=None, data={"added": added})
    return added


def rule_candidates(rule: ConductRule) -> QuerySet:
    """The steps ``rule`` flags under its current parameters, with the flag's columns."""
    parameters = rules.effective_parameters(rule.code, rule.parameters)
    found = rules.definition_of(rule.code).find(**parameters)
    return found.annotate(
        c_rule=Value(rule.pk), c_rule_version=Value(rule.version),
        c_parameters_hash=querysets.text(rules.parameters_hash(parameters)),
        c_step=F("pk"), c_application=F("application_id"), c_department=F("application__department_id"),
        c_region_path=F("application__region_path"), c_occurred_on=querysets.beijing_date("acted_at"),
        c_figures=F("figures"),
    )


def sweep_conduct_rules() -> dict[str, int]:
    """Evaluate every enabled rule and record what it finds; returns new flags per rule code."""
    added: dict[str, int] = {}
    with unit():
        for rule in ConductRule.objects.filter(enabled=True).order_by("pk"):
            added[rule.code] = insert_missing(ConductFlag, rule_candidates(rule), FLAG_FIELDS)
        if any(added.values()):
            record_event("conduct.rules.swept", actor=None, data={"added": added})
    return added


# --- Tuning and reviewing ------------------------------------------------------------------------


@service
def tune_rule(rule: ConductRule, *, actor, enabled: bool, parameters: Mapping[str, object],
              reason: str) -> ConductRule:
    """Change a rule's parameters or switch it on or off, with the reason; audited, versioned.

    The new version's parameters give flags of their own (the old flags stay, with their
    reviews); tuning back to earlier values finds the earlier flags again.
    """
    if actor is not None and not may_tune_rules(actor):
        raise PermissionDenied("只有市级监察人员或系统管理员可以调整监察规则。")
    cleaned = rules.clean_parameters(rule.code, parameters)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请写明调整理由。"]})
    locked = ConductRule.objects.select_for_update().get(pk=rule.pk)
    if cleaned == locked.parameters and bool(enabled) == locked.enabled:
        raise ValidationError("参数和启用状态均未改变。")
    fields = ["parameters", "enabled", "version", "updated_by_name"]
    before = snapshot(locked, fields)
    locked.parameters, locked.enabled = cleaned, bool(enabled)
    locked.version += 1
    locked.updated_by_name = _name(actor)
    locked.save(update_fields=[*fields, "updated_at"])
    record_change(locked, actor=actor, event_type="conduct.rule.tuned", before=before, fields=fields,
                  data={"reason": reason.strip(), "parameters_hash": rules.parameters_hash(cleaned)})
    for name in fields:
        setattr(rule, name, getattr(locked, name))
    return locked


@service
def review_flag(flag: ConductFlag, *, actor, verdict: str, note: str) -> ConductFlag:
    """A supervisor's conclusion on a flag: justified (a good reason exists) or not, with a note.

    Once: a reviewed flag keeps its verdict (the audit trail holds who said what and when).
    """
    if verdict not in ReviewVerdict.values:
        raise ValidationError({"verdict": ["请选择复核结论：有正当理由或无正当理由。"]})
    if not (note or "").strip():
        raise ValidationError({"note": ["请填写复核说明。"]})
    if actor is not None and not may_review_flags(actor):
        raise PermissionDenied("只有监察人员可以复核体外循环线索。")
    ensure_can(actor, flag, VIEW)
    locked = ConductFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.reviewed_at is not None:
        raise ValidationError(f"该线索已由{locked.reviewed_by_name}复核，不能重复复核。")
    fields = ["review_verdict", "review_note", "reviewed_by", "reviewed_by_name", "reviewed_at"]
    before = snapshot(locked, fields)
    locked.review_verdict, locked.review_note = verdict, note.strip()
    locked.reviewed_by, locked.reviewed_by_name, locked.reviewed_at = actor, _name(actor), timezone.now()
    locked.save(update_fields=fields)
    record_change(locked, actor=actor, event_type="conduct.flag.reviewed", before=before, fields=fields)
    for name in fields:
        setattr(flag, name, getattr(locked, name))
    return locked
