"""Who may see and act on what: one place, applied in SQL (NetBox's ``RestrictedQuerySet``).

A model opts in by using ``ScopedQuerySet`` as its manager and naming, as class attributes:

- ``scope_path_field``: the lookup to the region path of the object ("department__region__path");
  staff see objects whose region lies within their own scope region (a prefix match on the path);
- ``scope_department_field`` (optional): the lookup to the owning department; staff who are not
  admins may *change* only their own department's objects;
- ``scope_owner_field`` (optional): the lookup to the applicant who owns the object; applicants see
  only their own objects and nothing else;
- ``scope_public`` (optional, default False): anonymous visitors may view (published catalogue);
- ``scope_participant_field`` (optional): the lookup to departments that take part in the object
  without owning it (the participating departments of a joint case, 协办部门); their staff may
  *view* it wherever its region lies. One sub-query, like the grants below.

django-guardian holds the exceptions — a case assigned to someone outside the region, a
delegation — as per-object grants, added to the scope by one sub-query, never by enumerating rows.
Views, API viewsets and the admin all call ``restrict``; out-of-scope objects answer 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast

if TYPE_CHECKING:  # pragma: no cover
    from portal.organisation.models import User

VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

# Roles that may change any object within their region scope, whatever its department.
REGION_WIDE_CHANGE_ROLES = ("admin",)


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: User | None, action: str = VIEW, *, participation: bool = True) -> ScopedQuerySet:
        """The objects ``user`` may ``action`` ("view" or "change"); empty for strangers.

        ``participation=False`` leaves out what the user sees only as a participating department
        (a joint case's lead-department actions check that they are not merely a participant).
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        model = self.model
        if user is None or not user.is_authenticated:
            if action == VIEW and getattr(model, "scope_public", False):
                return self.all()
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.is_active:
            return self.none()
        if user.is_applicant:
            owner_field = getattr(model, "scope_owner_field", None)
            if owner_field is None:
                return self.all() if action == VIEW and getattr(model, "scope_public", False) else self.none()
            return self.filter(**{owner_field: user})
        condition = scope_condition(model, user, action) | grant_condition(model, user, action)
        if participation:
            condition |= participant_condition(model, user, action)
        return self.filter(condition)


def scope_condition(model: type[models.Model], user: User, action: str) -> models.Q:
    """The region (and, for changes, department) part of a staff member's scope."""
    path_field = getattr(model, "scope_path_field", None)
    scope_path = user.scope_path
    if path_field is None or scope_path is None:
        return models.Q(pk__in=[])
    condition = models.Q(**{f"{path_field}__startswith": scope_path})
    if action == CHANGE and not user.has_role(*REGION_WIDE_CHANGE_ROLES):
        department_field = getattr(model, "scope_department_field", None)
        if department_field is None or user.department_id is None:
            return models.Q(pk__in=[])
        condition &= models.Q(**{department_field: user.department_id})
    return condition


def participant_condition(model: type[models.Model], user: User, action: str) -> models.Q:
    """Objects the user's department takes part in (``scope_participant_field``), for viewing.

    A sub-query over the participation rows rather than a join, so an object with several
    participants is still one row, and the region condition keeps using its index.
    """
    field = getattr(model, "scope_participant_field", None)
    if field is None or action != VIEW or user.department_id is None:
        return models.Q(pk__in=[])
    participating = model._default_manager.filter(**{field: user.department_id}).values("pk")
    return models.Q(pk__in=participating)


def grant_condition(model: type[models.Model], user: User, action: str) -> models.Q:
    """Objects granted to the user (or one of the user's groups) one by one through guardian."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    content_type = ContentType.objects.get_for_model(model)
    codename = f"{action}_{model._meta.model_name}"
    pk_type = model._meta.pk.target_field if model._meta.pk.is_relation else model._meta.pk
    user_grants = (
        UserObjectPermission.objects.filter(user=user, content_type=content_type, permission__codename=codename)
        .annotate(granted_pk=Cast("object_pk", output_field=pk_type.__class__()))
        .values("granted_pk")
    )
    group_grants = (
        GroupObjectPermission.objects.filter(
            group__user=user, content_type=content_type, permission__codename=codename
        )
        .annotate(granted_pk=Cast("object_pk", output_field=pk_type.__class__()))
        .values("granted_pk")
    )
    return models.Q(pk__in=user_grants) | models.Q(pk__in=group_grants)


def within_scope(user: User, obj: models.Model, action: str = VIEW, *, participation: bool = True) -> bool:
    """Whether ``obj`` is in ``user``'s scope for ``action``: what ``restrict`` decides in SQL.

    Answered from the loaded object when its scope fields are its own columns and the region
    and department rules already admit it (the common case: staff acting in their own area);
    otherwise, and for every refusal, by the database, which also knows the per-object grants.
    """
    model = type(obj)
    if user is not None and user.is_authenticated and user.is_active and not user.is_superuser \
            and not user.is_applicant:
        path_field = getattr(model, "scope_path_field", None)
        department_field = getattr(model, "scope_department_field", None)
        scope_path = user.scope_path
        if path_field and "__" not in path_field and scope_path is not None \
                and str(getattr(obj, path_field, "") or "").startswith(scope_path):
            if action == VIEW or user.has_role(*REGION_WIDE_CHANGE_ROLES):
                return True
            if department_field and "__" not in department_field and user.department_id is not None \
                    and getattr(obj, f"{department_field}_id", None) == user.department_id:
                return True
    return model._default_manager.restrict(user, action, participation=participation).filter(pk=obj.pk).exists()


def ensure_can(user, obj: models.Model, action: str = CHANGE, *, roles: tuple[str, ...] = ()) -> None:
    """Refuse (PermissionDenied) unless ``user`` holds one of ``roles`` and ``obj`` is in scope.

    ``user`` None means the system itself (migrations, the demo loader, sweeps) and is allowed.
    """
    from django.core.exceptions import PermissionDenied

    if user is None:
        return
    if roles and not user.has_role(*roles):
        raise PermissionDenied("您的角色无权执行此操作。")
    if obj.pk is not None and not within_scope(user, obj, action):
        raise PermissionDenied("该对象不在您的管辖范围内。")
