"""Read-only admin pages: the ledger and the flags are written by the sweeps, rules are tuned
and flags reviewed in the portal (``/supervision/conduct/``), where the services audit them."""

from django.contrib import admin

from supervision.conduct.models import ConductFlag, ConductRule, KeyEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        restrict = getattr(queryset, "restrict", None)
        return restrict(request.user) if restrict else queryset


@admin.register(KeyEvent)
class KeyEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "kind", "application", "department"]
    list_filter = ["kind"]
    list_select_related = ["application__item_version", "department"]


@admin.register(ConductRule)
class ConductRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "enabled", "version", "updated_at", "updated_by_name"]


@admin.register(ConductFlag)
class ConductFlagAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "rule", "application", "department", "review_verdict"]
    list_filter = ["rule", "review_verdict"]
    list_select_related = ["rule", "application__item_version", "department"]
