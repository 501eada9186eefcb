"""Excel (xlsx) round trip of the catalogue for officials, through django-import-export.

The sheet is what an official would keep: one row per item, Chinese column headers, choices as
their Chinese labels, yes/no as 是/否, and lists one entry per line inside a cell — materials as
``名称｜形式｜份数｜必要/可选｜可复用证照｜说明``, fees as ``项目｜标准｜依据``. Rows are saved through
``portal.catalogue.services`` so validation and the audit trail apply exactly as in the admin; the
admin's preview is import-export's dry run, and any invalid row makes the whole import write
nothing (IMPORT_EXPORT_USE_TRANSACTIONS).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from import_export import fields, resources, widgets

from portal.catalogue import services
from portal.catalogue.choices import (
    HandlingClass,
    ItemLevel,
    ItemNature,
    ItemStatus,
    MaterialForm,
    ProcedureChain,
    ServiceCategory,
    SpecialProcedure,
)
from portal.catalogue.models import Item
from portal.organisation.models import Department

CELL_SEPARATOR = "｜"
YES, NO = "是", "否"


SHEET_LANGUAGE = "zh-hans"  # the sheet is the officials' Chinese one, whatever the screen's language


class ChoiceLabelWidget(widgets.Widget):
    """Exports a choice as its Chinese label; imports either the label or the code."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        with translation.override(SHEET_LANGUAGE):
            for code, label in self.choices.choices:
                if text in (code, str(label)):
                    return code
            allowed = "、".join(str(label) for _code, label in self.choices.choices)
        raise ValueError(f"“{text}”不是有效选项，可选：{allowed}")

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        with translation.override(SHEET_LANGUAGE):
            return str(self.choices(value).label)


class ChoiceListWidget(ChoiceLabelWidget):
    def clean(self, value, row=None, **kwargs):
        lines = [line for line in str(value or "").replace("、", "\n").splitlines() if line.strip()]
        return [super(ChoiceListWidget, self).clean(line, row) for line in lines]

    def render(self, value, obj=None, **kwargs):
        with translation.override(SHEET_LANGUAGE):
            return "、".join(str(self.choices(code).label) for code in value or [])


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().lower()
        if text in (YES, "true", "1", "y", "yes"):
            return True
        if text in (NO, "false", "0", "n", "no", ""):
            return False
        raise ValueError(f"“{value}”应填写“是”或“否”")

    def render(self, value, obj=None, **kwargs):
        return YES if value else NO


class LinesWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]

    def render(self, value, obj=None, **kwargs):
        return "\n".join(value or [])


class FeesWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        fees = []
        for line in str(value or "").splitlines():
            if not line.strip() or line.strip() == "不收费":
                continue
            parts = [part.strip() for part in line.split(CELL_SEPARATOR)]
            fees.append({"name": parts[0], "standard": _part(parts, 1), "basis": _part(parts, 2)})
        return fees

    def render(self, value, obj=None, **kwargs):
        if not value:
            return "不收费"
        return "\n".join(CELL_SEPARATOR.join([fee["name"], fee["standard"], fee["basis"]]) for fee in value)


class DepartmentCodeWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs):
        super().__init__(Department, field="code", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if not str(value or "").strip():
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except Department.DoesNotExist as error:
            raise ValueError(f"部门编码“{value}”不存在") from error


def _part(parts: list[str], index: int) -> str:
    return parts[index] if len(parts) > index else ""


def parse_materials(text: str) -> list[dict[str, Any]]:
    """Materials cell → material dicts; raises ValidationError naming the bad line."""
    materials = []
    for number, line in enumerate([line for line in str(text or "").splitlines() if line.strip()], start=1):
        parts = [part.strip() for part in line.split(CELL_SEPARATOR)]
        try:
            form = ChoiceLabelWidget(MaterialForm).clean(_part(parts, 1) or MaterialForm.ORIGINAL.label)
            copies = int(_part(parts, 2).rstrip("份") or 1)
        except ValueError as error:
            raise ValidationError({"materials": [f"申请材料第 {number} 行：{error}"]}) from error
        requirement = _part(parts, 3) or "必要"
        if requirement not in ("必要", "可选"):
            raise ValidationError({"materials": [f"申请材料第 {number} 行：第四栏应为“必要”或“可选”"]})
        materials.append(
            {
                "name": parts[0],
                "form": form,
                "copies": copies,
                "required": requirement == "必要",
                "licence_reuse": _part(parts, 4),
                "notes": _part(parts, 5),
            }
        )
    return materials


def render_materials(item: Item) -> str:
    return "\n".join(
        CELL_SEPARATOR.join(
            [
                m.name,
                ChoiceLabelWidget(MaterialForm).render(m.form),
                f"{m.copies}份",
                "必要" if m.required else "可选",
                m.licence_reuse,
                m.notes,
            ]
        ).rstrip(CELL_SEPARATOR)
        for m in item.materials.all()
    )


def parse_prerequisites(text: str) -> list[dict[str, str]]:
    prerequisites = []
    for line in str(text or "").splitlines():
        if line.strip():
            parts = [part.strip() for part in line.split(CELL_SEPARATOR)]
            prerequisites.append({"document": parts[0], "agency_kind": _part(parts, 1)})
    return prerequisites


def _field(attribute: str, header: str, widget=None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget or widgets.CharWidget())


class ItemResource(resources.ModelResource):
    implementation_code = _field("implementation_code", "实施编码")
    basic_code = fields.Field(attribute="basic_item__basic_code", column_name="基本编码", readonly=False)
    name = _field("name", "事项名称")
    sub_items = _field("sub_items", "子项", LinesWidget())
    nature = _field("nature", "事项类型", ChoiceLabelWidget(ItemNature))
    department = _field("department", "实施部门编码", DepartmentCodeWidget())
    level = _field("level", "行使层级", ChoiceLabelWidget(ItemLevel))
    status = _field("status", "事项状态", ChoiceLabelWidget(ItemStatus))
    catalogue_year = _field("catalogue_year", "目录年度", widgets.IntegerWidget())
    legal_basis = _field("legal_basis", "设定依据")
    conditions = _field("conditions", "申请条件")
    review_standards = _field("review_standards", "审查标准")
    procedure_chain = _field("procedure_chain", "审批环节", ChoiceLabelWidget(ProcedureChain))
    procedure_steps = _field("procedure_steps", "办理流程", LinesWidget())
    on_site_inspection = _field("on_site_inspection", "现场踏勘", YesNoWidget())
    expert_review = _field("expert_review", "专家论证", YesNoWidget())
    special_procedures = _field("special_procedures", "特殊环节", ChoiceListWidget(SpecialProcedure))
    fees = _field("fees", "收费标准", FeesWidget())
    statutory_limit = _field("statutory_limit", "法定时限（工作日）", widgets.IntegerWidget())
    promised_limit = _field("promised_limit", "承诺时限（工作日）", widgets.IntegerWidget())
    handling_class = _field("handling_class", "办件类型", ChoiceLabelWidget(HandlingClass))
    service_category = _field("service_category", "服务类别", ChoiceLabelWidget(ServiceCategory))
    for_citizens = _field("for_citizens", "面向个人", YesNoWidget())
    for_enterprises = _field("for_enterprises", "面向法人", YesNoWidget())
    max_trips = _field("max_trips", "最多跑动次数", widgets.IntegerWidget())
    counselling_phone = _field("counselling_phone", "咨询电话")
    supervision_phone = _field("supervision_phone", "监督投诉电话")
    office_address = _field("office_address", "办理地点")
    office_hours = _field("office_hours", "办理时间")
    regulator = _field("regulator", "监管部门编码", DepartmentCodeWidget())
    supervision_objects = _field("supervision_objects", "监管对象")
    supervision_content = _field("supervision_content", "监管内容")
    supervision_measures = _field("supervision_measures", "监管措施")
    supervision_procedure = _field("supervision_procedure", "监管流程")
    supervision_annual_plan = _field("supervision_annual_plan", "年度监管计划")
    supervision_handling = _field("supervision_handling", "处理方式")
    materials = fields.Field(column_name="申请材料", readonly=True)
    intermediary_prerequisites = fields.Field(column_name="中介前置要件", readonly=True)

    class Meta:
        model = Item
        import_id_fields = ["implementation_code"]
        # Only the declared fields, in their order: the sheet an official keeps.
        fields = (
            "implementation_code", "basic_code", "name", "sub_items", "nature", "department", "level", "status",
            "catalogue_year", "legal_basis", "conditions", "review_standards", "procedure_chain", "procedure_steps",
            "on_site_inspection", "expert_review", "special_procedures", "fees", "statutory_limit",
            "promised_limit", "handling_class", "service_category", "for_citizens", "for_enterprises", "max_trips",
            "counselling_phone", "supervision_phone", "office_address", "office_hours", "regulator",
            "supervision_objects", "supervision_content", "supervision_measures", "supervision_procedure",
            "supervision_annual_plan", "supervision_handling", "materials", "intermediary_prerequisites",
        )
        export_order = fields
        skip_unchanged = False
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, **kwargs):
        """All or nothing: import-export rolls back on errors but keeps the valid rows of a sheet
        with invalid ones; an official's sheet with any bad row must write nothing at all."""
        with transaction.atomic():
            result = super().import_data(
                dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=use_transactions,
                collect_failed_rows=collect_failed_rows, **kwargs,
            )
            if result.has_errors() or result.has_validation_errors():
                transaction.set_rollback(True)
        return result

    def get_queryset(self):
        queryset = Item.objects.select_related("department", "regulator", "basic_item").prefetch_related(
            "materials", "intermediary_prerequisites"
        )
        return queryset.restrict(self.user) if self.user is not None else queryset

    def dehydrate_basic_code(self, item: Item) -> str:
        return item.basic_item.basic_code if item.basic_item_id else ""

    def dehydrate_materials(self, item: Item) -> str:
        return render_materials(item)

    def dehydrate_intermediary_prerequisites(self, item: Item) -> str:
        return "\n".join(
            f"{p.document}{CELL_SEPARATOR}{p.agency_kind}" for p in item.intermediary_prerequisites.all()
        )

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "basic_item__basic_code":
            return  # resolved in import_instance, where the name and nature are known
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Parse the list cells now so that their errors join the row's validation errors.
        instance._import_basic_code = str(row.get("基本编码") or "").strip()
        if not instance._import_basic_code:
            errors.setdefault("basic_item", []).append("请填写基本编码。")
        instance._import_materials = []
        try:
            instance._import_materials = parse_materials(row.get("申请材料", ""))
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance._import_prerequisites = parse_prerequisites(row.get("中介前置要件", ""))
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = list(errors)
        if not instance.basic_item_id:
            exclude.append("basic_item")  # a new basic item is created when the row is saved
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user") or self.user
        values = {name: getattr(instance, name) for name in services.ITEM_FIELDS if name != "basic_item"}
        if is_create:
            values["basic_item"] = services.ensure_basic_item(
                basic_code=instance._import_basic_code, name=instance.name, nature=instance.nature, actor=actor
            )
            saved = services.create_item(actor=actor, **values)
        else:
            existing = Item.objects.get(pk=instance.pk)
            saved = services.update_item(existing, actor=actor, **values)
        services.replace_materials(saved, instance._import_materials, actor=actor)
        services.replace_prerequisites(saved, instance._import_prerequisites, actor=actor)
        instance.pk = saved.pk
