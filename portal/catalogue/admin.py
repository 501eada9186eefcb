"""Admin for the people who edit the catalogue: every save goes through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from portal.admin import ScopedAdmin
from portal.catalogue import services
from portal.catalogue.models import (
    BasicItem,
    IntermediaryPrerequisite,
    Item,
    ItemVersion,
    Material,
    ParticipatingDepartment,
)
from portal.catalogue.resources import ItemResource
from portal.organisation.models import Department


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ["position", "name", "form", "copies", "required", "template", "sample", "licence_reuse", "notes"]


class PrerequisiteInline(admin.TabularInline):
    model = IntermediaryPrerequisite
    extra = 0


class ParticipationInline(admin.TabularInline):
    """Joint items (联办件): the participating departments and their promised limits."""

    model = ParticipatingDepartment
    extra = 0
    fields = ["position", "department", "duty", "promised_limit"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            # A participant may sit at another level (a city bureau on a district's joint item):
            # any department in use may be named, whatever the editor's own region.
            kwargs["queryset"] = Department.objects.filter(is_active=True).select_related("region")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Item)
class ItemAdmin(ImportExportMixin, ScopedAdmin):
    resource_classes = [ItemResource]
    inlines = [MaterialInline, PrerequisiteInline, ParticipationInline]
    list_display = [
        "implementation_code",
        "name",
        "department",
        "handling_class",
        "statutory_limit",
        "promised_limit",
        "status",
        "published_number",
        "publication_state",
    ]
    list_display_links = ["implementation_code", "name"]
    list_filter = ["nature", "status", "handling_class", "level", "service_category", "department"]
    search_fields = ["name", "implementation_code", "basic_item__basic_code"]
    list_select_related = ["department", "published_version"]
    autocomplete_fields = ["basic_item"]
    actions = ["publish_selected"]
    readonly_fields = ["published_version", "created_at", "updated_at"]
    fieldsets = [
        (_("基本信息"), {"fields": ["basic_item", "implementation_code", "name", "sub_items", "nature",
                                 "department", "level", "status", "catalogue_year", "legal_basis"]}),
        (_("办理要素"), {"fields": ["conditions", "review_standards", "procedure_chain", "procedure_steps",
                                 "on_site_inspection", "expert_review", "special_procedures", "fees"]}),
        (_("时限与分类"), {"fields": ["statutory_limit", "promised_limit", "handling_class", "service_category",
                                  "for_citizens", "for_enterprises", "max_trips"]}),
        (_("咨询与监督"), {"fields": ["counselling_phone", "supervision_phone", "office_address", "office_hours"]}),
        (_("监管标准"), {"fields": ["regulator", "supervision_objects", "supervision_content",
                                 "supervision_measures", "supervision_procedure", "supervision_annual_plan",
                                 "supervision_handling"]}),
        (_("发布"), {"fields": ["published_version", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("现行版本"))
    def published_number(self, item: Item):
        return item.published_version.number if item.published_version_id else "—"

    @admin.display(description=_("发布状态"))
    def publication_state(self, item: Item):
        if item.published_version_id is None:
            return _("未发布")
        return _("有未发布的修改") if item.has_unpublished_changes else _("已发布")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("department", "regulator"):
            kwargs["queryset"] = Department.objects.restrict(request.user).select_related("region")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in services.ITEM_FIELDS}
        if change:
            services.update_item(Item.objects.get(pk=obj.pk), actor=request.user, **values)
        else:
            values = {name: getattr(obj, name) for name in services.ITEM_FIELDS}
            created = services.create_item(actor=request.user, **values)
            obj.pk = created.pk
            obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        # commit=False only sorts the rows into new / changed / deleted (and gives the admin its
        # change message); the services do the writing.
        formset.save(commit=False)
        if formset.model is Material:
            for material in formset.deleted_objects:
                services.delete_material(material, actor=request.user)
            changed = [material for material, _fields in formset.changed_objects]
            for material in [*formset.new_objects, *changed]:
                material.item = form.instance
                services.save_material(material, actor=request.user)
        elif formset.model is IntermediaryPrerequisite:
            wanted = [
                {"document": f.cleaned_data["document"], "agency_kind": f.cleaned_data["agency_kind"]}
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            services.replace_prerequisites(form.instance, wanted, actor=request.user)
        elif formset.model is ParticipatingDepartment:
            rows = sorted(
                (f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")),
                key=lambda row: row.get("position") or 0,
            )
            services.replace_participations(
                form.instance,
                [{"department": row["department"], "promised_limit": row["promised_limit"], "duty": row["duty"]}
                 for row in rows],
                actor=request.user,
            )
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        raise PermissionDenied("事项不可删除：请将事项状态改为“取消”并发布。")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("发布所选事项（公众可见）"))
    def publish_selected(self, request, queryset):
        published, failed = 0, []
        for item in queryset:
            try:
                with transaction.atomic():
                    services.publish_item(item, actor=request.user)
                published += 1
            except (ValidationError, PermissionDenied) as error:
                failed.append(f"{item.name}：{'；'.join(_messages(error))}")
        if published:
            self.message_user(request, f"已发布 {published} 个事项。", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, f"未发布 {failure}", messages.ERROR)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error)]


@admin.register(BasicItem)
class BasicItemAdmin(admin.ModelAdmin):
    list_display = ["basic_code", "name", "nature"]
    search_fields = ["basic_code", "name"]

    def save_model(self, request, obj, form, change):
        services.save_basic_item(obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemVersion)
class ItemVersionAdmin(ScopedAdmin):
    """Published versions are immutable: the admin only looks."""

    list_display = ["implementation_code", "name", "number", "published_at", "department"]
    list_filter = ["nature", "status"]
    search_fields = ["name", "implementation_code"]
    list_select_related = ["department"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
