"""Shared pages (home, workspace) and the base class every scoped staff view uses."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from portal.catalogue.choices import ItemStatus, ServiceCategory
from portal.catalogue.models import ItemVersion
from portal.organisation.models import Department
from portal.scoping import VIEW


class ScopedMixin(LoginRequiredMixin):
    """Restricts ``get_queryset`` to what the signed-in user may see; others get 404."""

    scope_action = VIEW

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.scope_action)


class ScopedListView(ScopedMixin, ListView):
    paginate_by = 50


class ScopedDetailView(ScopedMixin, DetailView):
    pass


def home(request):
    versions = ItemVersion.objects.in_force()
    per_category = dict(versions.values_list("service_category").annotate(count=Count("id")))
    categories = [
        {"value": value, "label": label, "count": per_category.get(value, 0)} for value, label in ServiceCategory.choices
    ]
    departments = (
        Department.objects.annotate(
            item_count=Count(
                "items",
                filter=Q(items__published_version__isnull=False) & ~Q(items__status=ItemStatus.CANCELLED),
            )
        )
        .filter(item_count__gt=0)
        .select_related("region")
        .order_by("region__path", "code")
    )
    context = {
        "item_count": versions.count(),
        "immediate_count": versions.filter(promised_limit=0).count(),
        "categories": categories,
        "departments": departments,
    }
    return render(request, "portal/home.html", context)


def workspace(request):
    from django.contrib.auth.views import redirect_to_login

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    context = {
        "departments": Department.objects.restrict(user).select_related("region")[:50],
        "role_labels": _role_labels(user),
    }
    return render(request, "portal/workspace.html", context)


def _role_labels(user) -> list[str]:
    from portal.organisation.choices import Role

    return [str(Role(code).label) for code in sorted(user.role_codes)]


def healthz(request):
    """Liveness and readiness for the container healthcheck: the database and the cache answer."""
    from django.core.cache import cache
    from django.db import connection
    from django.http import JsonResponse

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # any failure means "not ready"; the message names it
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error: no round trip"
    except Exception as error:
        checks["cache"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
