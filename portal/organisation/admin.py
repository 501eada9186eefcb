"""Admin for regions, departments, halls, windows and users: scoped, and saved through services."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.admin import ScopedAdmin
from portal.audit.masking import mask_identity_code, mask_phone
from portal.audit.services import reveal_personal_data
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
    """Personal data is shown masked; the full value is one audited POST away (reveal)."""

    REVEALABLE = {"identity_code": mask_identity_code, "phone": mask_phone}

    list_display = ["username", "full_name", "kind", "department", "is_active"]
    list_filter = ["kind", "is_active", "groups"]
    search_fields = ["username", "full_name"]
    list_select_related = ["department"]
    readonly_fields = ["masked_identity_code", "masked_phone"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("身份"), {"fields": ["kind", "full_name", "masked_phone", "subject_type", "masked_identity_code"]}),
        (_("组织与角色"), {"fields": ["department", "scope_region", "groups", "is_active"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2", "kind", "full_name", "phone", "department",
                           "scope_region"]}),
    ]

    @admin.display(description=_("证件号码"))
    def masked_identity_code(self, user: User):
        return self._masked_with_reveal(user, "identity_code")

    @admin.display(description=_("手机号"))
    def masked_phone(self, user: User):
        return self._masked_with_reveal(user, "phone")

    def _masked_with_reveal(self, user: User, field: str):
        value = getattr(user, field)
        if not value:
            return "—"
        url = reverse("admin:organisation_user_reveal", args=[user.pk, field])
        return format_html(
            '{} <button type="submit" form="reveal-{}" class="button">{}</button>'
            '<form id="reveal-{}" method="post" action="{}" hidden>'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}"></form>',
            self.REVEALABLE[field](value), field, _("查看完整信息（将记录审计）"), field, url,
            self._csrf_token,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from django.middleware.csrf import get_token

        self._csrf_token = get_token(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        reveal = self.admin_site.admin_view(require_POST(self.reveal_view))
        return [path("<int:pk>/reveal/<str:field>/", reveal, name="organisation_user_reveal"), *super().get_urls()]

    def reveal_view(self, request, pk: int, field: str):
        """Show one full personal value to a role that may see it; the reveal is audited."""
        if field not in self.REVEALABLE:
            raise Http404
        user = self.get_queryset(request).filter(pk=pk).first()
        if user is None:
            raise Http404
        with transaction.atomic():
            try:
                value = reveal_personal_data(user, field, actor=request.user, reason="admin")
            except PermissionDenied:
                value = None  # the refusal is recorded; commit it, then refuse
        if value is None:
            raise PermissionDenied("您的角色无权查看个人信息。")
        context = {**self.admin_site.each_context(request), "title": _("个人信息"), "subject": user,
                   "label": User._meta.get_field(field).verbose_name, "value": value, "opts": self.model._meta}
        return TemplateResponse(request, "admin/organisation/user/reveal.html", context)

    def save_model(self, request, obj, form, change):
        password = form.cleaned_data.get("password1") if not change else None
        services.save_user(obj, actor=request.user, password=password)

    def save_related(self, request, form, formsets, change):
        if "groups" in form.cleaned_data:
            services.set_roles(form.instance, [group.name for group in form.cleaned_data["groups"]], actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False
