"""Admin for regions, departments, halls, windows and users: scoped, and saved through services."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.admin import ScopedAdmin
from portal.organisation import services
from portal.organisation.models import Department, Region, ServiceHall, User, Window


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    readonly_fields = ["path"]

    def get_readonly_fields(self, request, obj=None):
        # The code and the parent make the path; they are fixed once the region exists.
        return ["path", "code", "parent", "level"] if obj else ["path"]

    def save_model(self, request, obj, form, change):
        if change:
            services.rename_region(obj, name=obj.name, actor=request.user)
        else:
            created = services.create_region(
                code=obj.code, name=obj.name, level=obj.level, parent=obj.parent, actor=request.user
            )
            obj.pk, obj.path = created.pk, created.path

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "code", "kind", "region", "contact_person", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    list_select_related = ["region"]

    def save_model(self, request, obj, form, change):
        services.save_department(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ["number", "name", "department", "chief_representative"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceHall)
class ServiceHallAdmin(ScopedAdmin):
    list_display = ["name", "region", "address", "opening_hours"]
    inlines = [WindowInline]

    def save_model(self, request, obj, form, change):
        services.save_hall(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Window)
class WindowAdmin(ScopedAdmin):
    list_display = ["hall", "number", "name", "department", "chief_representative"]
    list_filter = ["hall"]
    list_select_related = ["hall", "department", "chief_representative"]

    def save_model(self, request, obj, form, change):
        services.save_window(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedAdmin):
    list_display = ["username", "full_name", "kind", "department", "is_active"]
    list_filter = ["kind", "is_active", "groups"]
    search_fields = ["username", "full_name"]
    list_select_related = ["department"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("身份"), {"fields": ["kind", "full_name", "phone", "subject_type", "identity_code"]}),
        (_("组织与角色"), {"fields": ["department", "scope_region", "groups", "is_active"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "kind", "full_name", "department", "scope_region"]}),
    ]

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password1") if not change else None
        services.save_user(obj, actor=request.user, password=password)

    def save_related(self, request, form, formsets, change):
        if "groups" in form.cleaned_data:
            services.set_roles(form.instance, [group.name for group in form.cleaned_data["groups"]], actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False
