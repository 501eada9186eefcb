"""The signed-in user's inbox: list their notifications and mark them read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.notifications import services
from portal.notifications.models import Notification

PAGE_SIZE = 20


@login_required
def inbox(request):
    notifications = Notification.objects.inbox_of(request.user).order_by("-created_at", "-id")
    context = {
        "page": Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page")),
        "unread_count": Notification.objects.inbox_of(request.user).unread().count(),
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def mark_read(request, pk: int):
    # Another person's notification is not found, not forbidden: its existence is not revealed.
    notification = get_object_or_404(Notification.objects.inbox_of(request.user), pk=pk)
    services.mark_read(notification, actor=request.user)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("已将 %(count)d 条消息标记为已读。") % {"count": count})
    return redirect("notifications:inbox")
