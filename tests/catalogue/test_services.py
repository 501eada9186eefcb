"""The catalogue's services: validation an official expects, publication, immutability, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.audit.models import AuditEntry
from portal.catalogue import services
from portal.catalogue.models import ItemVersion
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_promised_limit_above_statutory_is_refused_with_a_chinese_message(bureau_city):
    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, statutory_limit=10, promised_limit=12)

    assert error.value.message_dict["promised_limit"] == ["承诺时限（12 个工作日）不得超过法定时限（10 个工作日）。"]


def test_immediate_item_needs_a_zero_day_promise(bureau_city):
    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, handling_class="immediate", promised_limit=1)

    assert error.value.message_dict["promised_limit"] == ["即办件的承诺时限应为 0 个工作日（当场办结）。"]


def test_zero_day_promise_must_be_an_immediate_item(bureau_city):
    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, handling_class="commitment", promised_limit=0)

    assert "handling_class" in error.value.message_dict


def test_statutory_limit_must_be_positive(bureau_city):
    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, statutory_limit=0, promised_limit=0, handling_class="immediate")

    assert error.value.message_dict["statutory_limit"] == ["法定时限必须是正整数（工作日）。"]


def test_joint_handling_is_capped_at_45_working_days(bureau_city):
    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, handling_class="joint", statutory_limit=60, promised_limit=30)

    assert error.value.message_dict["statutory_limit"] == ["联合办理的法定时限不得超过 45 个工作日（《行政许可法》第四十二条）。"]


def test_implementation_codes_are_unique(bureau_city):
    ItemFactory(department=bureau_city, implementation_code="000133000001-C-01")

    with pytest.raises(ValidationError) as error:
        ItemFactory(department=bureau_city, implementation_code="000133000001-C-01")

    assert "implementation_code" in error.value.message_dict


def test_a_refused_edit_writes_nothing(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, publish=True)
    entries_before = AuditEntry.objects.count()

    with pytest.raises(ValidationError):
        services.update_item(item, actor=admin_city, promised_limit=99)

    item.refresh_from_db()
    assert item.promised_limit == 5
    assert AuditEntry.objects.count() == entries_before


def test_edit_after_publication_leaves_the_published_version_unchanged(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, name="食品经营许可", publish=True)
    first = item.published_version

    services.update_item(item, actor=admin_city, promised_limit=3, name="食品经营许可（新办）")

    first.refresh_from_db()
    item.refresh_from_db()
    assert first.promised_limit == 5
    assert first.content["name"] == "食品经营许可"
    assert item.published_version_id == first.pk
    assert item.has_unpublished_changes is True

    second = services.publish_item(item, actor=admin_city)

    item.refresh_from_db()
    assert (second.number, second.promised_limit, second.name) == (2, 3, "食品经营许可（新办）")
    assert item.published_version_id == second.pk
    assert ItemVersion.objects.filter(item=item).count() == 2
    assert item.has_unpublished_changes is False


def test_publishing_an_unchanged_item_makes_no_new_version(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, publish=True)

    again = services.publish_item(item, actor=admin_city)

    assert again.number == 1
    assert ItemVersion.objects.filter(item=item).count() == 1


def test_every_change_is_in_the_audit_trail_with_before_and_after(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, publish=True)

    services.update_item(item, actor=admin_city, promised_limit=2)

    entry = AuditEntry.objects.filter(event_type="catalogue.item.updated").get()
    assert entry.actor_username == "admin_city"
    assert entry.changes["promised_limit"] == [5, 2]
    assert set(entry.changes) == {"promised_limit"}


def test_a_clerk_cannot_edit_the_catalogue(bureau_a, clerk_district_a):
    item = ItemFactory(department=bureau_a)

    with pytest.raises(PermissionDenied):
        services.update_item(item, actor=clerk_district_a, promised_limit=1)


def test_a_district_admin_cannot_edit_another_districts_item(bureau_b, admin_district_a):
    item = ItemFactory(department=bureau_b)

    with pytest.raises(PermissionDenied):
        services.update_item(item, actor=admin_district_a, promised_limit=1)


def test_materials_replaced_by_name_keep_their_uploaded_templates(bureau_city, admin_city):
    from django.core.files.base import ContentFile

    item = ItemFactory(department=bureau_city, materials=[{"name": "申请书"}, {"name": "营业执照"}])
    form = item.materials.get(name="申请书")
    form.template.save("form.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    services.save_material(form, actor=admin_city)

    services.replace_materials(item, [{"name": "营业执照", "form": "copy"}, {"name": "申请书"}], actor=admin_city)

    names = list(item.materials.order_by("position").values_list("name", "position", "form"))
    assert names == [("营业执照", 1, "copy"), ("申请书", 2, "original")]
    assert item.materials.get(name="申请书").template.name.startswith("catalogue/forms/")
