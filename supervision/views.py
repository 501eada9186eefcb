"""Monitoring screens: the supervisors' list of lit cases, and the admins' sweep health page.

Both refresh themselves with htmx polling (the page asks for its list again every minute and
swaps it in), so a supervisor watching the screen sees a case turn red without reloading.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from approvals.models import Application
from portal.organisation.choices import Role
from portal.scoping import VIEW
from supervision import querysets, services
from supervision.choices import NoticeStatus, WarningColour
from supervision.models import SupervisionNotice, SweepRun, TimeLimitWarning

# The sweep runs every five minutes (portal/schedule.py): three missed runs make it stale.
SWEEP_STALE_AFTER = timedelta(minutes=15)
# A run unfinished after this long has lost its worker.
SWEEP_ABANDONED_AFTER = timedelta(minutes=10)
# Notifications still not out after this long mean the outbox is not keeping up (or nobody to tell).
NOTICE_LATE_AFTER = timedelta(minutes=10)
POLL_SECONDS = 60
PAGE_SIZE = 50


def _require_role(user, *roles: str) -> None:
    if user.is_applicant or not user.has_role(*roles):
        raise PermissionDenied


@login_required
def warnings(request):
    """Cases in the viewer's region showing yellow or red now, gravest and most urgent first."""
    user = request.user
    _require_role(user, Role.SUPERVISOR, Role.ADMIN)
    colour = request.GET.get("colour", "")
    if colour not in WarningColour.values:
        colour = ""
    on = services.today()
    in_scope = Application.objects.restrict(user, VIEW)
    lit = querysets.lit_applications(in_scope, on=on, colours=[colour] if colour else ()).select_related(
        "item_version", "department")
    counts = dict(
        in_scope.filter(pk__in=TimeLimitWarning.objects.current().of_cases().values("application_id"))
        .annotate(time_light=querysets.current_light())
        .filter(time_light__isnull=False)
        .order_by()
        .values_list("time_light")
        .annotate(count=Count("pk"))
    )
    # Joint cases' sub-cases, lit on their own promises (TIME_RULES §10): the departments' part.
    subcases = querysets.lit_subcases(TimeLimitWarning.objects.restrict(user, VIEW), on=on)
    if colour:
        subcases = subcases.filter(time_light=colour)
    context = {
        "page": Paginator(lit, PAGE_SIZE).get_page(request.GET.get("page")),
        "subcases": subcases[:PAGE_SIZE],
        "drafts_waiting": SupervisionNotice.objects.restrict(user, VIEW).filter(status=NoticeStatus.DRAFT).count()
        if user.has_role(Role.SUPERVISOR) else None,
        "colour": colour,
        "colours": WarningColour.choices,
        "counts": [(value, label, counts.get(value, 0)) for value, label in WarningColour.choices],
        "today": on,
        "poll_seconds": POLL_SECONDS,
    }
    template = "supervision/_warning_list.html" if request.htmx else "supervision/warnings.html"
    return render(request, template, context)


@login_required
def sweep_health(request):
    """Is the sweep running, on time and complete? Last runs, durations, counts and lag."""
    user = request.user
    _require_role(user, Role.ADMIN)
    now = timezone.now()
    runs = list(SweepRun.objects.order_by("-started_at", "-pk")[:20])
    last_finished = SweepRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    in_scope = TimeLimitWarning.objects.restrict(user, VIEW).current()
    current_counts = dict(in_scope.order_by().values_list("colour").annotate(count=Count("pk")))
    context = {
        "runs": runs,
        "last_finished": last_finished,
        "is_stale": last_finished is None or now - last_finished.finished_at > SWEEP_STALE_AFTER,
        "stale_minutes": int(SWEEP_STALE_AFTER.total_seconds() // 60),
        "abandoned": SweepRun.objects.filter(finished_at__isnull=True,
                                             started_at__lt=now - SWEEP_ABANDONED_AFTER).count(),
        "current_counts": [(label, current_counts.get(value, 0)) for value, label in WarningColour.choices],
        "unnotified": in_scope.filter(querysets.unnotified(now - NOTICE_LATE_AFTER)).count(),
        "notice_late_minutes": int(NOTICE_LATE_AFTER.total_seconds() // 60),
        "poll_seconds": POLL_SECONDS // 2,
    }
    template = "supervision/_sweep_health.html" if request.htmx else "supervision/sweep_health.html"
    return render(request, template, context)
