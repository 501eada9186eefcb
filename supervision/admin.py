"""Admin for the people who run monitoring: item thresholds (edited through the services), and
read-only lists of warnings and sweep runs."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import ScopedAdmin
from portal.catalogue.models import Item
from supervision import services
from supervision.models import SweepRun, TimeLimitWarning, WarningThreshold


@admin.register(WarningThreshold)
class WarningThresholdAdmin(ScopedAdmin):
    list_display = ["item", "item_department", "yellow_percent", "yellow_days"]
    list_select_related = ["item__department"]
    search_fields = ["item__name", "item__implementation_code"]
    autocomplete_fields = ["item"]
    fields = ["item", "yellow_percent", "yellow_days"]

    @admin.display(description=_("实施部门"))
    def item_department(self, threshold: WarningThreshold):
        return threshold.item.department

    def get_readonly_fields(self, request, obj=None):
        return ["item"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "item":
            kwargs["queryset"] = Item.objects.restrict(request.user, "change")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        saved = services.save_warning_threshold(obj.item, yellow_percent=obj.yellow_percent,
                                                yellow_days=obj.yellow_days, actor=request.user)
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.delete_warning_threshold(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for threshold in queryset:
            services.delete_warning_threshold(threshold, actor=request.user)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TimeLimitWarning)
class TimeLimitWarningAdmin(_ReadOnlyAdmin, ScopedAdmin):
    list_display = ["application", "colour", "epoch", "department", "crossed_on", "raised_at",
                    "remaining_working_days", "notified_at", "cleared_at"]
    list_filter = ["colour"]
    list_select_related = ["application__item_version", "department"]
    search_fields = ["=application__receipt_number"]
    show_full_result_count = False  # grows with every warning ever raised


@admin.register(SweepRun)
class SweepRunAdmin(_ReadOnlyAdmin):
    list_display = ["pk", "swept_on", "trigger", "started_at", "finished_at", "duration_ms", "cases_scanned",
                    "yellow_raised", "red_raised", "statutory_raised", "cleared", "lag_max_seconds"]
    list_filter = ["trigger"]
    show_full_result_count = False
