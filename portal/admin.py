"""The base admin class: scoped like every other screen, and writing through services.

Admins see only their region's objects (``restrict``), and out-of-scope objects answer 404 in the
admin too. Subclasses route saves and deletes through the owning app's services so that
validation and the audit trail cannot be skipped by editing in the admin.
"""

from django.contrib import admin

from portal.scoping import CHANGE, VIEW


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, VIEW)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return self.model._default_manager.restrict(request.user, CHANGE).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return self.model._default_manager.restrict(request.user, CHANGE).filter(pk=obj.pk).exists()
