"""Admin for the outbox: read-only, with the backlog's health on top and a "retry dead" action.

Rows change only through ``portal.outbox.services``; the action calls ``retry_dead``, which
records who retried what in the audit trail.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.outbox import services
from portal.outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id", "kind", "idempotency_key", "status", "attempts", "available_at", "created_at", "delivered_at",
        "short_error",
    ]
    # No filter by kind and no date hierarchy: both would scan the whole (ever-growing) table on
    # every page load. Search by exact key or by kind instead.
    list_filter = ["status"]
    search_fields = ["=idempotency_key", "=kind"]
    ordering = ["-id"]
    actions = ["retry_dead_messages"]
    show_full_result_count = False  # the table grows with every side effect the portal produces

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("outbox.change_outboxmessage")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description=_("最近一次错误"))
    def short_error(self, message: OutboxMessage) -> str:
        lines = message.last_error.strip().splitlines()
        return lines[-1][:120] if lines else ""

    @admin.action(description=_("重新投递所选的失败消息"), permissions=["retry"])
    def retry_dead_messages(self, request, queryset):
        count = services.retry_dead(queryset, actor=request.user)
        if count:
            self.message_user(
                request,
                ngettext("已安排重新投递 %(count)d 条失败消息。", "已安排重新投递 %(count)d 条失败消息。", count)
                % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("所选消息中没有投递失败的消息。"), messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "backlog": services.backlog(),
                         "backlog_stale_minutes": int(services.BACKLOG_STALE_AFTER.total_seconds() // 60)}
        return super().changelist_view(request, extra_context)
