"""Admin: the rectification rules (edited through the service), and the cases read-only.

Cases change only through their services on the case page (the guarded transition and the audit
trail cannot be skipped here); the admin lists them scoped, for lookups and exports.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from portal.admin import ScopedAdmin
from supervision.rectification import services
from supervision.rectification.models import (
    Callback,
    OverdueWarning,
    RectificationCase,
    RectificationEntry,
    RectificationPolicy,
)


@admin.register(RectificationPolicy)
class RectificationPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "deadline_working_days", "callback_required_by_default", "updated_at"]
    fields = ["deadline_working_days", "callback_required_by_default"]

    def has_add_permission(self, request) -> bool:
        # One row: added once, then edited.
        return super().has_add_permission(request) and not RectificationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = services.update_policy(actor=request.user, deadline_working_days=obj.deadline_working_days,
                                           callback_required_by_default=obj.callback_required_by_default)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, "；".join(getattr(error, "messages", [str(error)])))
            return
        obj.pk = saved.pk


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class EntryInline(_ReadOnlyInline):
    model = RectificationEntry
    fields = ["kind", "actor_name", "acted_at", "ground", "text"]
    readonly_fields = fields


class CallbackInline(_ReadOnlyInline):
    model = Callback
    fields = ["called_on", "method", "satisfaction", "note", "recorded_by_name"]
    readonly_fields = fields


@admin.register(RectificationCase)
class RectificationCaseAdmin(ScopedAdmin):
    list_display = ["application", "department", "status", "rated_on", "deadline", "is_overdue", "rating_excluded"]
    list_filter = ["status", "is_overdue", "rating_excluded"]
    search_fields = ["application__receipt_number"]
    list_select_related = ["application__item_version", "department"]
    inlines = [EntryInline, CallbackInline]
    readonly_fields = ["application", "department", "status", "rated_on", "deadline_working_days", "deadline",
                       "deadline_is_provisional", "is_overdue", "overdue_on", "callback_required",
                       "rating_excluded", "invalidity_ground", "opened_at", "closed_at"]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OverdueWarning)
class OverdueWarningAdmin(admin.ModelAdmin):
    list_display = ["case", "department", "deadline", "raised_on"]
    list_select_related = ["case__application__item_version", "department"]
    readonly_fields = ["case", "department", "deadline", "raised_on", "raised_at"]
    fields = readonly_fields

    def get_queryset(self, request):
        scoped = RectificationCase.objects.restrict(request.user).values("pk")
        return super().get_queryset(request).filter(case__in=scoped)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
