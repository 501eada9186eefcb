"""The permission-item catalogue (DOMAIN.md §2), shaped by GB/T 39554.1 item coding.

- ``BasicItem``: the basic item and its basic code — the same power wherever it is exercised.
- ``Item``: its implementation by one organ in one region (implementation code). This is the
  working copy that admins edit; edits are invisible to the public until published.
- ``ParticipatingDepartment``: for a joint item (联办件), each other department that handles a
  parallel sub-case (协办部门) and the limit it promises inside the item's own.
- ``ItemVersion``: an immutable, published snapshot. The public guide shows an item's published
  version and an application is filed under one, so a later edit never changes the terms of a
  case already filed.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
from portal.scoping import ScopedQuerySet

# Administrative Licensing Law art. 42: unified, joint or centralised handling may take at most
# 45 working days (extendable once by 15); a single organ's limit is set by the item's own law.
JOINT_HANDLING_MAX_DAYS = 45


class BasicItem(models.Model):
    """A basic item (基本目录事项): one power, one basic code, many implementations."""

    basic_code = models.CharField(_("基本编码"), max_length=32, unique=True)
    name = models.CharField(_("基本事项名称"), max_length=200)
    nature = models.CharField(_("事项类型"), max_length=16, choices=ItemNature.choices)

    class Meta:
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.basic_code} {self.name}"


class Item(models.Model):
    """An implementation item (实施清单事项): the working copy admins edit, with all its elements."""

    basic_item = models.ForeignKey(
        BasicItem, verbose_name=_("基本目录事项"), on_delete=models.PROTECT, related_name="implementations"
    )
    implementation_code = models.CharField(_("实施编码"), max_length=64, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    sub_items = models.JSONField(_("子项"), default=list, blank=True)
    nature = models.CharField(_("事项类型"), max_length=16, choices=ItemNature.choices)
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="items"
    )
    level = models.CharField(_("行使层级"), max_length=16, choices=ItemLevel.choices)
    status = models.CharField(_("事项状态"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.KEPT)
    catalogue_year = models.PositiveSmallIntegerField(_("目录年度"))
    legal_basis = models.TextField(_("设定依据"))
    conditions = models.TextField(_("申请条件"), blank=True)
    review_standards = models.TextField(_("审查标准"), blank=True)
    procedure_chain = models.CharField(
        _("审批环节"), max_length=16, choices=ProcedureChain.choices, default=ProcedureChain.FIVE_STEP
    )
    procedure_steps = models.JSONField(_("办理流程"), default=list, blank=True)
    on_site_inspection = models.BooleanField(_("需要现场踏勘"), default=False)
    expert_review = models.BooleanField(_("需要专家论证"), default=False)
    special_procedures = models.JSONField(_("特殊环节"), default=list, blank=True)
    fees = models.JSONField(_("收费标准及依据"), default=list, blank=True)
    statutory_limit = models.PositiveSmallIntegerField(_("法定时限（工作日）"))
    promised_limit = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    handling_class = models.CharField(_("办件类型"), max_length=16, choices=HandlingClass.choices)
    service_category = models.CharField(
        _("服务类别"), max_length=32, choices=ServiceCategory.choices, default=ServiceCategory.OTHER
    )
    for_citizens = models.BooleanField(_("面向个人"), default=False)
    for_enterprises = models.BooleanField(_("面向法人"), default=True)
    max_trips = models.PositiveSmallIntegerField(_("最多跑动次数"), default=1)
    counselling_phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    supervision_phone = models.CharField(_("监督投诉电话"), max_length=64, blank=True)
    office_address = models.CharField(_("办理地点"), max_length=200, blank=True)
    office_hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    # Supervision standard (监管标准清单): what the regulator must do after approval (§6).
    regulator = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("监管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regulated_items",
    )
    supervision_objects = models.TextField(_("监管对象"), blank=True)
    supervision_content = models.TextField(_("监管内容"), blank=True)
    supervision_measures = models.TextField(_("监管措施"), blank=True)
    supervision_procedure = models.TextField(_("监管流程"), blank=True)
    supervision_annual_plan = models.TextField(_("年度监管计划"), blank=True)
    supervision_handling = models.TextField(_("处理方式"), blank=True)

    # Joint items (联办件): the other departments that handle parallel sub-cases (协办部门).
    participating_departments = models.ManyToManyField(
        "organisation.Department",
        verbose_name=_("协办部门"),
        through="catalogue.ParticipatingDepartment",
        related_name="participated_items",
        blank=True,
    )

    published_version = models.OneToOneField(
        "catalogue.ItemVersion",
        verbose_name=_("现行发布版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_for",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "department__region__path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("实施清单事项")
        verbose_name_plural = _("实施清单事项")
        ordering = ["implementation_code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit__lte=models.F("statutory_limit")),
                name="item_promised_within_statutory",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audiences(self) -> list[str]:
        return [label for flag, label in ((self.for_citizens, "个人"), (self.for_enterprises, "法人")) if flag]

    def clean(self) -> None:
        """Rules an official expects the catalogue to keep, with messages they can act on."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.statutory_limit is not None and self.statutory_limit < 1:
            add("statutory_limit", _("法定时限必须是正整数（工作日）。"))
        if self.statutory_limit is not None and self.promised_limit is not None:
            if self.promised_limit > self.statutory_limit:
                add(
                    "promised_limit",
                    _("承诺时限（%(promised)s 个工作日）不得超过法定时限（%(statutory)s 个工作日）。")
                    % {"promised": self.promised_limit, "statutory": self.statutory_limit},
                )
        if self.handling_class == HandlingClass.IMMEDIATE and self.promised_limit != 0:
            add("promised_limit", _("即办件的承诺时限应为 0 个工作日（当场办结）。"))
        if self.handling_class and self.handling_class != HandlingClass.IMMEDIATE and self.promised_limit == 0:
            add("handling_class", _("承诺时限为 0 的事项应为即办件；其他办件类型的承诺时限至少 1 个工作日。"))
        if self.handling_class == HandlingClass.JOINT and (self.statutory_limit or 0) > JOINT_HANDLING_MAX_DAYS:
            add("statutory_limit", _("联合办理的法定时限不得超过 45 个工作日（《行政许可法》第四十二条）。"))
        unknown = [code for code in self.special_procedures or [] if code not in SpecialProcedure.values]
        if unknown:
            add("special_procedures", _("未知的特殊环节：%(codes)s。") % {"codes": "、".join(unknown)})
        if not (self.for_citizens or self.for_enterprises):
            add("for_enterprises", _("请至少选择一类服务对象（个人或法人）。"))
        if not (self.legal_basis or "").strip():
            add("legal_basis", _("请填写设定依据（法律法规名称及条款）。"))
        for position, fee in enumerate(self.fees or [], start=1):
            if not isinstance(fee, dict) or not str(fee.get("name", "")).strip():
                add("fees", _("第 %(n)s 项收费缺少收费项目名称。") % {"n": position})
        if self.department_id and self.regulator_id is None and self.supervision_content:
            add("regulator", _("填写了监管内容时请指定监管部门。"))
        if errors:
            raise ValidationError(errors)

    @property
    def has_unpublished_changes(self) -> bool:
        version = self.published_version
        return version is None or self.updated_at > version.published_at


def material_upload_path(instance: "Material", filename: str) -> str:
    """Random names, so that an uploaded form never overwrites one a published version points to."""
    import os
    import uuid

    extension = os.path.splitext(filename)[1].lower()[:10]
    return f"catalogue/forms/{uuid.uuid4().hex}{extension}"


class Material(models.Model):
    """A material the applicant submits (申请材料), with its form template and a filled sample."""

    item = models.ForeignKey(Item, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(_("材料形式"), max_length=32, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必要"), default=True)
    template = models.FileField(_("空白表格"), upload_to=material_upload_path, blank=True)
    sample = models.FileField(_("示例样表"), upload_to=material_upload_path, blank=True)
    licence_reuse = models.CharField(_("可复用证照"), max_length=100, blank=True)
    notes = models.CharField(_("填报说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.copies is not None and self.copies < 1:
            raise ValidationError({"copies": _("份数至少为 1。")})


class IntermediaryPrerequisite(models.Model):
    """A document an intermediary agency must produce before the application (中介前置要件)."""

    item = models.ForeignKey(
        Item, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="intermediary_prerequisites"
    )
    document = models.CharField(_("要件名称"), max_length=200)
    agency_kind = models.CharField(_("中介机构类别"), max_length=100)

    class Meta:
        verbose_name = _("中介服务前置要件")
        verbose_name_plural = _("中介服务前置要件")

    def __str__(self) -> str:
        return self.document


class ParticipatingDepartment(models.Model):
    """A participating department (协办部门) of a joint item and the limit it promises.

    Joint approval (联合审批/并联审批): the implementing department leads (牵头部门) and every
    participating department handles a sub-case in parallel, within its own promised limit, which
    lies inside the item's limit (TIME_RULES §10). Carried into each published version, so a case
    keeps the participants and limits it was filed under.
    """

    item = models.ForeignKey(Item, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="participations")
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("协办部门"), on_delete=models.PROTECT, related_name="participations"
    )
    duty = models.CharField(_("协办内容"), max_length=200, blank=True)
    promised_limit = models.PositiveSmallIntegerField(_("协办承诺时限（工作日）"))

    class Meta:
        verbose_name = _("协办部门")
        verbose_name_plural = _("协办部门")
        ordering = ["item", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "department"], name="participating_department_once_per_item"),
            models.CheckConstraint(condition=models.Q(promised_limit__gte=1),
                                   name="participating_department_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.department}（{self.promised_limit} 个工作日）"

    def clean(self) -> None:
        """Checked against the item as edited (the admin's inline rows see the item's new values)."""
        item = getattr(self, "item", None)
        errors = participation_errors(item, self.department_id, self.promised_limit) if item is not None else {}
        if errors:
            raise ValidationError(errors)


def participation_errors(item: Item, department_id: int | None, promised_limit: int | None) -> dict[str, list]:
    """Why one participating department does not fit its item (empty when it does)."""
    errors: dict[str, list] = {}
    if item.handling_class != HandlingClass.JOINT:
        errors.setdefault("department", []).append(_("只有联办件可以指定协办部门，请先将办件类型设为“联办件”。"))
    if department_id is not None and department_id == item.department_id:
        errors.setdefault("department", []).append(_("牵头部门（实施部门）不能同时列为协办部门。"))
    if promised_limit is not None:
        if promised_limit < 1:
            errors.setdefault("promised_limit", []).append(_("协办承诺时限至少为 1 个工作日。"))
        elif item.promised_limit is not None and promised_limit > item.promised_limit:
            errors.setdefault("promised_limit", []).append(
                _("协办承诺时限（%(limit)s 个工作日）不得超过事项的承诺时限（%(item_limit)s 个工作日）。")
                % {"limit": promised_limit, "item_limit": item.promised_limit}
            )
    return errors


class PublishedQuerySet(ScopedQuerySet):
    def current(self) -> "PublishedQuerySet":
        """Versions that are the published face of their item now."""
        return self.filter(published_for__isnull=False)

    def in_force(self) -> "PublishedQuerySet":
        """Current versions of items that applicants can still use (not cancelled)."""
        from portal.catalogue.choices import ItemStatus

        return self.current().exclude(status=ItemStatus.CANCELLED)

    def search(self, text: str) -> "PublishedQuerySet":
        """Substring search on Chinese text; each whitespace-separated term must match.

        PostgreSQL's full-text search does not segment Chinese, so we match substrings of a
        lower-cased search column, which a pg_trgm GIN index serves on PostgreSQL.
        """
        queryset = self
        for term in text.lower().split():
            queryset = queryset.filter(search_text__contains=term)
        return queryset


class ItemVersion(models.Model):
    """An immutable published snapshot of an item. Never updated after creation: services only
    ever create versions; filed applications point at one."""

    item = models.ForeignKey(Item, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.JSONField(_("发布人"), default=dict)
    content = models.JSONField(_("发布内容"))
    # Denormalised from ``content`` for filtering, search and joins; copied once, at publication.
    implementation_code = models.CharField(_("实施编码"), max_length=64, db_index=True)
    name = models.CharField(_("事项名称"), max_length=200)
    nature = models.CharField(_("事项类型"), max_length=16, choices=ItemNature.choices)
    status = models.CharField(_("事项状态"), max_length=16, choices=ItemStatus.choices)
    department = models.ForeignKey(
        "organisation.Department", verbose_name=_("实施部门"), on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(_("区划路径"), max_length=255)
    handling_class = models.CharField(_("办件类型"), max_length=16, choices=HandlingClass.choices)
    service_category = models.CharField(_("服务类别"), max_length=32, choices=ServiceCategory.choices)
    for_citizens = models.BooleanField(_("面向个人"))
    for_enterprises = models.BooleanField(_("面向法人"))
    statutory_limit = models.PositiveSmallIntegerField(_("法定时限（工作日）"))
    promised_limit = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    search_text = models.TextField(editable=False)

    objects = PublishedQuerySet.as_manager()
    scope_public = True
    scope_path_field = "region_path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("事项发布版本")
        verbose_name_plural = _("事项发布版本")
        ordering = ["implementation_code", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.number} 版）"

    @property
    def compression_ratio(self) -> float | None:
        """Promised ÷ statutory limit: the published compression figure (lower is better)."""
        if not self.statutory_limit:
            return None
        return self.promised_limit / self.statutory_limit

    @property
    def compression_percent(self) -> int | None:
        """How much of the statutory limit the promise saves, in whole percent."""
        ratio = self.compression_ratio
        return None if ratio is None else round((1 - ratio) * 100)
