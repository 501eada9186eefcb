"""Every write to the organisation: regions, departments, halls, windows, staff and applicants."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from portal.audit.services import record_change, record_event, snapshot
from portal.organisation.choices import Role, UserKind
from portal.organisation.models import Department, Region, ServiceHall, User, Window
from portal.scoping import CHANGE, ensure_can

ADMIN_ROLES = (Role.ADMIN,)
# What the audit trail may record of a user; personal data is encrypted there.
USER_AUDIT_FIELDS = [
    "username", "kind", "full_name", "phone", "department", "scope_region", "subject_type",
    "identity_code", "is_active", "is_staff",
]
USER_PERSONAL_FIELDS = ["full_name", "phone", "identity_code"]


@transaction.atomic
def create_region(*, code: str, name: str, level: str, parent: Region | None, actor) -> Region:
    """Add a region below ``parent``; its path is derived once and never edited in place."""
    if parent is not None:
        ensure_can(actor, parent, CHANGE, roles=ADMIN_ROLES)
    elif actor is not None and not actor.is_superuser:
        raise PermissionDenied("只有超级管理员可以创建顶级区划。")
    if "/" in code:
        raise ValidationError({"code": ["区划代码不能包含“/”。"]})
    region = Region(code=code, name=name, level=level, parent=parent)
    region.path = f"{parent.path if parent else '/'}{code}/"
    region.full_clean()
    region.save()
    record_change(region, actor=actor, event_type="organisation.region.created", before=None)
    return region


@transaction.atomic
def rename_region(region: Region, *, name: str, actor) -> Region:
    ensure_can(actor, region, CHANGE, roles=ADMIN_ROLES)
    locked = Region.objects.select_for_update().get(pk=region.pk)
    before = snapshot(locked)
    locked.name = name
    locked.full_clean()
    locked.save(update_fields=["name"])
    record_change(locked, actor=actor, event_type="organisation.region.updated", before=before)
    return locked


def _save(instance, *, actor, event_prefix: str, scope_object, fields=None, personal_fields=()):
    """Validate, save and audit one organisation object whose scope is ``scope_object``'s."""
    ensure_can(actor, scope_object, CHANGE, roles=ADMIN_ROLES)
    before = None
    if instance.pk:
        current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        ensure_can(actor, current, CHANGE, roles=ADMIN_ROLES)
        before = snapshot(current, fields)
    instance.full_clean()
    instance.save()
    record_change(
        instance,
        actor=actor,
        event_type=f"{event_prefix}.{'created' if before is None else 'updated'}",
        before=before,
        fields=fields,
        personal_fields=personal_fields,
    )
    return instance


@transaction.atomic
def save_department(department: Department, *, actor) -> Department:
    return _save(department, actor=actor, event_prefix="organisation.department", scope_object=department.region)


@transaction.atomic
def save_hall(hall: ServiceHall, *, actor) -> ServiceHall:
    return _save(hall, actor=actor, event_prefix="organisation.hall", scope_object=hall.region)


@transaction.atomic
def save_window(window: Window, *, actor) -> Window:
    if window.department.region_id and not window.department.region.is_within(window.hall.region):
        raise ValidationError({"department": ["窗口所属部门须在大厅所在区划内。"]})
    return _save(window, actor=actor, event_prefix="organisation.window", scope_object=window.hall.region)


@transaction.atomic
def save_user(user: User, *, actor, roles: Iterable[str] | None = None, password: str | None = None) -> User:
    """Create or change a portal user; ``roles`` (when given) replaces the user's roles.

    Staff are created by admins of the region their department (or data scope) lies in.
    """
    scope_object = user.department or user.scope_region
    if actor is not None and not actor.is_superuser:
        if scope_object is None:
            raise PermissionDenied("工作人员须指定所属部门或数据范围。")
        ensure_can(actor, scope_object, CHANGE, roles=ADMIN_ROLES)
    if user.department_id and user.scope_region_id and not user.scope_region.is_within(user.department.region):
        raise ValidationError({"scope_region": ["数据范围不能超出所属部门的区划。"]})
    before = None
    if user.pk:
        before = snapshot(User.objects.select_for_update().get(pk=user.pk), USER_AUDIT_FIELDS)
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_change(
        user,
        actor=actor,
        event_type=f"organisation.user.{'created' if before is None else 'updated'}",
        before=before,
        fields=USER_AUDIT_FIELDS,
        personal_fields=USER_PERSONAL_FIELDS,
    )
    if roles is not None:
        set_roles(user, roles, actor=actor)
    return user


@transaction.atomic
def set_roles(user: User, roles: Iterable[str], *, actor) -> None:
    wanted = sorted(set(roles))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise ValidationError({"roles": [f"未知角色：{'、'.join(unknown)}"]})
    if actor is not None and not actor.is_superuser:
        if Role.ADMIN in wanted and not actor.has_role(Role.ADMIN):
            raise PermissionDenied("只有管理员可以授予管理员角色。")
    before = sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if before == wanted:
        return
    groups = [Group.objects.get_or_create(name=role)[0] for role in wanted]
    user.groups.remove(*user.groups.filter(name__in=Role.values))
    user.groups.add(*groups)
    user.__dict__.pop("role_codes", None)
    user.is_staff = user.kind == UserKind.STAFF and (Role.ADMIN in wanted or user.is_superuser)
    user.save(update_fields=["is_staff"])
    record_event("organisation.user.roles_changed", actor=actor, target=user, changes={"roles": [before, wanted]})


# Which models each role may manage in the admin (model-level; scope still applies per object).
ROLE_MODEL_PERMISSIONS = {
    Role.ADMIN: {
        "catalogue": ["basicitem", "item", "material", "intermediaryprerequisite", "participatingdepartment",
                      "itemversion"],
        "organisation": ["region", "department", "servicehall", "window", "user"],
        "workdays": ["calendarday", "calendaryear"],
        "audit": ["auditentry", "sealblock"],
        "supervision": ["warningthreshold", "timelimitwarning", "sweeprun"],
        "rectification": ["rectificationpolicy", "rectificationcase", "overduewarning"],
        "efficiency": ["scoringrule", "scoringruleversion", "scoringrun"],
    },
    Role.SUPERVISOR: {"audit": ["auditentry", "sealblock"], "supervision": ["warningthreshold", "timelimitwarning"],
                      "rectification": ["rectificationcase", "overduewarning"]},
}


def ensure_role_groups() -> None:
    """Create one group per role and give it its model permissions (idempotent, run after migrate)."""
    from django.contrib.auth.models import Permission

    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_MODEL_PERMISSIONS.get(role, {})
        permissions = [
            permission
            for app_label, models in wanted.items()
            for permission in Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models)
            if role == Role.ADMIN or permission.codename.startswith("view_")
        ]
        group.permissions.set(permissions)
