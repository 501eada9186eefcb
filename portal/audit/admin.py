"""Read-only admin for the audit trail: it may be searched and read, never added to or edited.

Personal values in ``changes`` are shown as their Fernet tokens; reading them in clear goes
through ``services.read_personal_changes``, which records who read them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.audit.models import AuditEntry, SealBlock


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "occurred_at",
        "event_type",
        "actor",
        "target_type",
        "target_id",
        "target_repr",
        "chain",
        "seq",
    ]
    list_filter = ["channel", "target_type"]
    search_fields = [
        "event_type",
        "chain",
        "actor_username",
        "target_type",
        "target_id",
        "target_repr",
        "request_id",
    ]
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # counting a very long table on every page is slow

    @admin.display(description=_("操作人"), ordering="actor_username")
    def actor(self, entry: AuditEntry) -> str:
        return entry.actor_label


@admin.register(SealBlock)
class SealBlockAdmin(ReadOnlyAdmin):
    list_display = ["number", "sealed_at", "after_entry_id", "through_entry_id", "entry_count", "block_hash"]
    search_fields = ["block_hash"]
    date_hierarchy = "sealed_at"
