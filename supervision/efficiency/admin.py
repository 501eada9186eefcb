"""Admin for the people who edit the scoring rules: every save goes through the services.

A version is edited while it is a draft and published with the list action; a published version
is read-only here (and in the database). Runs are shown for reference, never edited.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from portal.admin import ScopedAdmin
from portal.organisation.models import Region
from portal.scoping import VIEW
from supervision.efficiency import services
from supervision.efficiency.models import ScoringRule, ScoringRuleVersion, ScoringRun


@admin.register(ScoringRule)
class ScoringRuleAdmin(ScopedAdmin):
    list_display = ["code", "name", "region", "current_version"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "region", "description"]

    @admin.display(description=_("现行版本"))
    def current_version(self, rule: ScoringRule):
        version = services.current_version(rule)
        return version.number if version else "—"

    def get_readonly_fields(self, request, obj=None):
        return ["code", "region"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["queryset"] = Region.objects.restrict(request.user, VIEW)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied("规则的名称和说明请通过新版本的修订说明记载。")
        created = services.create_rule(code=obj.code, name=obj.name, region=obj.region,
                                       description=obj.description, actor=request.user)
        obj.pk = created.pk
        obj._state.adding = False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class ScoringRuleVersionForm(forms.ModelForm):
    class Meta:
        model = ScoringRuleVersion
        fields = ["rule", *services.VERSION_FIELDS]

    def clean(self):
        cleaned = super().clean()
        weights = {name: cleaned.get(name) for name in services.VERSION_FIELDS if name.startswith("weight_")}
        if all(name in self.fields for name in weights):
            try:
                services.check_weights(weights)
            except ValidationError as error:
                self.add_error("weight_early_completion", error.message_dict["weight_early_completion"])
        return cleaned


@admin.register(ScoringRuleVersion)
class ScoringRuleVersionAdmin(ScopedAdmin):
    form = ScoringRuleVersionForm
    list_display = ["rule", "number", "status", "weight_early_completion", "weight_on_time", "weight_overdue",
                    "weight_satisfaction", "weight_compression", "weight_online", "weight_supplement",
                    "published_at"]
    list_filter = ["status", "rule"]
    list_select_related = ["rule"]
    actions = ["publish_selected"]
    fieldsets = [
        (None, {"fields": ["rule", "number", "status"]}),
        (_("权重（合计 100）"), {"fields": ["weight_early_completion", "weight_on_time", "weight_overdue",
                                         "weight_satisfaction", "weight_compression", "weight_online",
                                         "weight_supplement"]}),
        (_("参数"), {"fields": ["overdue_tolerance", "compression_target", "online_target", "supplement_tolerance",
                              "satisfied_min_level"]}),
        (_("说明"), {"fields": ["note", "created_by_name", "published_at", "published_by_name"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        bookkeeping = ["number", "status", "created_by_name", "published_at", "published_by_name"]
        if obj is None:
            return bookkeeping
        if obj.is_published:
            return [field.name for field in ScoringRuleVersion._meta.concrete_fields if field.name != "id"]
        return ["rule", *bookkeeping]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rule":
            kwargs["queryset"] = ScoringRule.objects.restrict(request.user, "change")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        """A new version starts from the rule's latest one (``?rule=<id>``)."""
        initial = super().get_changeform_initial_data(request)
        rule = ScoringRule.objects.restrict(request.user, VIEW).filter(pk=request.GET.get("rule") or None).first()
        latest = rule.versions.order_by("-number").first() if rule else None
        if latest is not None:
            initial.update({name: getattr(latest, name) for name in services.VERSION_FIELDS if name != "note"})
        return initial

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.VERSION_FIELDS if name in form.cleaned_data}
        if change:
            services.update_rule_version(ScoringRuleVersion.objects.get(pk=obj.pk), actor=request.user, **values)
        else:
            created = services.create_rule_version(form.cleaned_data["rule"], actor=request.user, **values)
            obj.pk = created.pk
            obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("发布所选版本（此后的评估使用新版本）"))
    def publish_selected(self, request, queryset):
        for version in queryset:
            try:
                services.publish_rule_version(version, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{version}：{text}", messages.ERROR)
            else:
                self.message_user(request, f"{version} 已发布。", messages.SUCCESS)


@admin.register(ScoringRun)
class ScoringRunAdmin(ScopedAdmin):
    list_display = ["period_start", "period_end", "kind", "region", "rule_version", "status", "published_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["region", "rule_version__rule"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
