"""Every write to the catalogue: admin screens, the Excel importer and the demo loader call these.

Each service validates (model ``clean`` with Chinese messages), checks the actor's role and scope,
locks what it changes, and records the change in the audit trail in the same transaction.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit.services import record_change, record_event, snapshot
from portal.catalogue.choices import HandlingClass
from portal.catalogue.lookups import forget_in_force
from portal.catalogue.models import (
    BasicItem,
    IntermediaryPrerequisite,
    Item,
    ItemVersion,
    Material,
    ParticipatingDepartment,
    participation_errors,
)
from portal.organisation.choices import Role
from portal.scoping import CHANGE, ensure_can

EDITOR_ROLES = (Role.ADMIN,)

# The fields of an item that admins edit and the audit trail compares (everything but bookkeeping).
ITEM_FIELDS = [
    field.name
    for field in Item._meta.concrete_fields
    if field.name not in {"id", "published_version", "created_at", "updated_at"}
]
MATERIAL_FIELDS = ["position", "name", "form", "copies", "required", "template", "sample", "licence_reuse", "notes"]


def ensure_basic_item(*, basic_code: str, name: str, nature: str, actor) -> BasicItem:
    """The basic item with this code, created on first use (its name and nature then fixed)."""
    basic_item = BasicItem.objects.filter(basic_code=basic_code).first()
    if basic_item is not None:
        return basic_item
    basic_item = BasicItem(basic_code=basic_code, name=name, nature=nature)
    basic_item.full_clean()
    basic_item.save()
    record_change(basic_item, actor=actor, event_type="catalogue.basic_item.created", before=None)
    return basic_item


@transaction.atomic
def save_basic_item(basic_item: BasicItem, *, actor) -> BasicItem:
    """Create or rename a basic item (its code is its identity and is not changed once used)."""
    before = None
    if basic_item.pk:
        current = BasicItem.objects.select_for_update().get(pk=basic_item.pk)
        before = snapshot(current)
        if current.basic_code != basic_item.basic_code and current.implementations.exists():
            raise ValidationError({"basic_code": ["基本编码已被实施事项使用，不能修改。"]})
    if actor is not None and not actor.has_role(*EDITOR_ROLES):
        raise PermissionDenied("您的角色无权执行此操作。")
    basic_item.full_clean()
    basic_item.save()
    event = "catalogue.basic_item.created" if before is None else "catalogue.basic_item.updated"
    record_change(basic_item, actor=actor, event_type=event, before=before)
    return basic_item


@transaction.atomic
def create_item(
    *,
    actor,
    materials: Iterable[Mapping[str, Any]] = (),
    prerequisites: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> Item:
    """Create an implementation item (a draft until published)."""
    item = Item(**fields)
    item.full_clean()
    # A new item is in scope when its department is: check the department, the item has no pk yet.
    ensure_can(actor, item.department, CHANGE, roles=EDITOR_ROLES)
    item.save()
    record_change(item, actor=actor, event_type="catalogue.item.created", before=None, fields=ITEM_FIELDS)
    if materials:
        replace_materials(item, materials, actor=actor)
    if prerequisites:
        replace_prerequisites(item, prerequisites, actor=actor)
    return item


@transaction.atomic
def update_item(item: Item, *, actor, **fields: Any) -> Item:
    """Change a draft item's elements; the public sees nothing until it is published again."""
    ensure_can(actor, item, roles=EDITOR_ROLES)
    locked = Item.objects.select_for_update().get(pk=item.pk)
    before = snapshot(locked, ITEM_FIELDS)
    for name, value in fields.items():
        if name not in ITEM_FIELDS:
            raise ValueError(f"{name} is not an editable item field")
        setattr(locked, name, value)
    locked.full_clean()
    changed = [name for name, value in snapshot(locked, ITEM_FIELDS).items() if before.get(name) != value]
    if changed:
        locked.save()
        record_change(locked, actor=actor, event_type="catalogue.item.updated", before=before, fields=ITEM_FIELDS)
    for name in fields:
        setattr(item, name, getattr(locked, name))
    item.updated_at = locked.updated_at
    return locked


@transaction.atomic
def save_material(material: Material, *, actor) -> Material:
    """Create or change one material of an item (the admin's inline rows come here)."""
    ensure_can(actor, material.item, roles=EDITOR_ROLES)
    before = None
    if material.pk:
        before = snapshot(Material.objects.select_for_update().get(pk=material.pk), MATERIAL_FIELDS)
    material.full_clean()
    material.save()
    record_change(
        material,
        actor=actor,
        event_type="catalogue.material.created" if before is None else "catalogue.material.updated",
        before=before,
        fields=MATERIAL_FIELDS,
        data={"item": material.item_id},
    )
    Item.objects.filter(pk=material.item_id).update(updated_at=timezone.now())
    return material


@transaction.atomic
def delete_material(material: Material, *, actor) -> None:
    ensure_can(actor, material.item, roles=EDITOR_ROLES)
    record_event(
        "catalogue.material.deleted",
        actor=actor,
        target=material,
        changes={name: [value, None] for name, value in snapshot(material, MATERIAL_FIELDS).items()},
        data={"item": material.item_id},
    )
    item_id = material.item_id
    material.delete()
    Item.objects.filter(pk=item_id).update(updated_at=timezone.now())


@transaction.atomic
def replace_materials(item: Item, materials: Iterable[Mapping[str, Any]], *, actor) -> list[Material]:
    """Make the item's materials exactly ``materials`` (in order), matched by name so that
    uploaded templates and samples survive a round trip through Excel."""
    ensure_can(actor, item, roles=EDITOR_ROLES)
    existing = {material.name: material for material in item.materials.all()}
    kept: list[Material] = []
    for position, data in enumerate(materials, start=1):
        values = dict(data)
        values["position"] = position
        material = existing.pop(values["name"], None) or Material(item=item)
        unchanged = material.pk and all(getattr(material, key) == value for key, value in values.items())
        if not unchanged:
            for key, value in values.items():
                setattr(material, key, value)
            save_material(material, actor=actor)
        kept.append(material)
    for leftover in existing.values():
        delete_material(leftover, actor=actor)
    return kept


@transaction.atomic
def replace_prerequisites(item: Item, prerequisites: Iterable[Mapping[str, Any]], *, actor) -> None:
    ensure_can(actor, item, roles=EDITOR_ROLES)
    wanted = [(str(p["document"]).strip(), str(p["agency_kind"]).strip()) for p in prerequisites]
    current = list(item.intermediary_prerequisites.order_by("pk").values_list("document", "agency_kind"))
    if current == wanted:
        return
    item.intermediary_prerequisites.all().delete()
    for document, agency_kind in wanted:
        prerequisite = IntermediaryPrerequisite(item=item, document=document, agency_kind=agency_kind)
        prerequisite.full_clean()
        prerequisite.save()
    record_event(
        "catalogue.item.prerequisites_replaced",
        actor=actor,
        target=item,
        changes={"intermediary_prerequisites": [current, wanted]},
    )
    Item.objects.filter(pk=item.pk).update(updated_at=timezone.now())


@transaction.atomic
def replace_participations(item: Item, participations: Iterable[Mapping[str, Any]], *, actor) -> None:
    """Make the joint item's participating departments exactly ``participations`` (in order):
    each a mapping of ``department`` (a Department), ``promised_limit`` and optional ``duty``.

    Checked against the item as it is now: only a joint item has participants, the lead is not
    one of them, each department once, each limit from 1 to the item's promised limit.
    """
    ensure_can(actor, item, roles=EDITOR_ROLES)
    locked = Item.objects.select_for_update().get(pk=item.pk)
    wanted = [
        {"department": row["department"], "promised_limit": row["promised_limit"],
         "duty": str(row.get("duty") or "").strip()}
        for row in participations
    ]
    errors: list[str] = []
    seen: set[int] = set()
    for position, row in enumerate(wanted, start=1):
        department = row["department"]
        if department.pk in seen:
            errors.append(f"第 {position} 行：协办部门“{department}”重复列出，每个部门只能列一次。")
        seen.add(department.pk)
        for messages in participation_errors(locked, department.pk, row["promised_limit"]).values():
            errors.extend(f"第 {position} 行：{message}" for message in messages)
    if errors:
        raise ValidationError({"participations": errors})
    current = [(p.department_id, p.promised_limit, p.duty) for p in locked.participations.order_by("position", "pk")]
    if current == [(row["department"].pk, row["promised_limit"], row["duty"]) for row in wanted]:
        return
    locked.participations.all().delete()
    for position, row in enumerate(wanted, start=1):
        participation = ParticipatingDepartment(item=locked, position=position, **row)
        participation.full_clean()
        participation.save()
    record_event(
        "catalogue.item.participations_replaced",
        actor=actor,
        target=locked,
        changes={"participating_departments": [
            [{"department": department, "promised_limit": limit, "duty": duty} for department, limit, duty in current],
            [{"department": row["department"].pk, "promised_limit": row["promised_limit"], "duty": row["duty"]}
             for row in wanted],
        ]},
    )
    Item.objects.filter(pk=locked.pk).update(updated_at=timezone.now())


def participation_problems(item: Item) -> list[str]:
    """What keeps a joint item's participants from being published (empty when nothing does)."""
    rows = list(item.participations.select_related("department").order_by("position", "pk"))
    if item.handling_class == HandlingClass.JOINT and not rows and item.status != "cancelled":
        return ["联办件发布前须至少指定一个协办部门及其承诺时限。"]
    problems = []
    for row in rows:
        for messages in participation_errors(item, row.department_id, row.promised_limit).values():
            problems.extend(f"协办部门“{row.department}”：{message}" for message in messages)
    return problems


def build_version_content(item: Item) -> dict[str, Any]:
    """Everything the public guide shows and an application relies on, frozen as JSON."""
    department = item.department
    content = snapshot(item, ITEM_FIELDS)
    content.update(
        {
            "basic_code": item.basic_item.basic_code,
            "basic_name": item.basic_item.name,
            "department_name": department.name,
            "department_code": department.code,
            "region_name": department.region.name,
            "regulator_name": item.regulator.name if item.regulator_id else "",
            "materials": [
                {
                    "position": material.position,
                    "name": material.name,
                    "form": material.form,
                    "copies": material.copies,
                    "required": material.required,
                    "template": material.template.name or "",
                    "sample": material.sample.name or "",
                    "licence_reuse": material.licence_reuse,
                    "notes": material.notes,
                }
                for material in item.materials.order_by("position", "pk")
            ],
            "intermediary_prerequisites": [
                {"document": p.document, "agency_kind": p.agency_kind}
                for p in item.intermediary_prerequisites.order_by("pk")
            ],
            # Joint items: who handles the parallel sub-cases and within what (TIME_RULES §10).
            "participating_departments": [
                {
                    "department_id": p.department_id,
                    "department_code": p.department.code,
                    "department_name": p.department.name,
                    "duty": p.duty,
                    "promised_limit": p.promised_limit,
                }
                for p in item.participations.select_related("department").order_by("position", "pk")
            ],
        }
    )
    return content


def _search_text(content: Mapping[str, Any]) -> str:
    parts = [
        content["name"],
        " ".join(content.get("sub_items") or []),
        content["implementation_code"],
        content["basic_code"],
        content["basic_name"],
        content["department_name"],
    ]
    return " ".join(part for part in parts if part).lower()


@transaction.atomic
def publish_item(item: Item, *, actor) -> ItemVersion:
    """Publish the item's current draft as a new immutable version the public sees."""
    ensure_can(actor, item, roles=EDITOR_ROLES)
    locked = Item.objects.select_for_update().select_related("department__region", "basic_item").get(pk=item.pk)
    locked.full_clean()
    if locked.status != "cancelled" and not locked.materials.exists() and locked.nature == "licensing":
        raise ValidationError({"materials": ["行政许可事项发布前须列明申请材料。"]})
    problems = participation_problems(locked)
    if problems:
        raise ValidationError({"participations": problems})
    content = build_version_content(locked)
    previous = locked.versions.order_by("-number").first()
    if previous is not None and previous.content == content and locked.published_version_id == previous.pk:
        return previous  # nothing changed since the last publication: no new version
    version = ItemVersion.objects.create(
        item=locked,
        number=(previous.number + 1) if previous else 1,
        published_at=timezone.now(),
        published_by=_actor_snapshot(actor),
        content=content,
        implementation_code=locked.implementation_code,
        name=locked.name,
        nature=locked.nature,
        status=locked.status,
        department=locked.department,
        region_path=locked.department.region.path,
        handling_class=locked.handling_class,
        service_category=locked.service_category,
        for_citizens=locked.for_citizens,
        for_enterprises=locked.for_enterprises,
        statutory_limit=locked.statutory_limit,
        promised_limit=locked.promised_limit,
        search_text=_search_text(content),
    )
    Item.objects.filter(pk=locked.pk).update(published_version=version)
    item.published_version = version
    # This process's window sees the new version at once; the others within a few seconds.
    transaction.on_commit(lambda: forget_in_force(version.implementation_code))
    record_event(
        "catalogue.item.published",
        actor=actor,
        target=locked,
        changes={"published_version": [previous.number if previous else None, version.number]},
        data={"version_id": version.pk},
    )
    return version


def _actor_snapshot(actor) -> dict[str, Any]:
    if actor is None:
        return {"id": None, "username": "system", "name": "系统"}
    return {"id": actor.pk, "username": actor.get_username(), "name": str(actor)}
