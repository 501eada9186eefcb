"""Excel round trip: export, edit, preview (writes nothing), import through the services."""

import io

import pytest
import tablib
from django.urls import reverse
from openpyxl import load_workbook

from portal.audit.models import AuditEntry
from portal.catalogue.models import Item
from portal.catalogue.resources import ItemResource
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def exported(user) -> tablib.Dataset:
    return ItemResource(user=user).export()


def test_export_uses_chinese_headers_and_labels(bureau_city, admin_city):
    ItemFactory(department=bureau_city, name="食品经营许可",
                materials=[{"name": "营业执照", "form": "copy", "licence_reuse": "营业执照"}])

    dataset = exported(admin_city)

    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["事项名称"] == "食品经营许可"
    assert row["事项类型"] == "行政许可"
    assert row["办件类型"] == "承诺件"
    assert row["面向法人"] == "是"
    assert row["申请材料"] == "营业执照｜复印件｜1份｜必要｜营业执照"
    assert row["收费标准"] == "不收费"


def test_round_trip_changes_only_what_was_edited(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, name="食品经营许可")
    dataset = exported(admin_city)
    dataset_dict = dataset.dict
    dataset_dict[0]["承诺时限（工作日）"] = 3
    dataset_dict[0]["申请材料"] = "申请书｜原件｜1份｜必要\n场所平面图｜复印件｜2份｜可选"
    edited = tablib.Dataset(headers=dataset.headers)
    for row in dataset_dict:
        edited.append([row[header] for header in dataset.headers])

    result = ItemResource(user=admin_city).import_data(edited, dry_run=False, user=admin_city)

    assert not result.has_errors() and not result.has_validation_errors()
    item.refresh_from_db()
    assert item.promised_limit == 3
    assert list(item.materials.values_list("name", "copies", "required")) == [
        ("申请书", 1, True), ("场所平面图", 2, False),
    ]
    update = AuditEntry.objects.filter(event_type="catalogue.item.updated").get()
    assert update.changes == {"promised_limit": [5, 3]}
    assert update.actor_username == "admin_city"


def test_a_bad_row_is_reported_by_row_and_nothing_is_written(bureau_city, admin_city):
    item = ItemFactory(department=bureau_city)
    dataset = exported(admin_city)
    good = list(dataset[0])
    headers = dataset.headers
    bad = list(good)
    good[headers.index("承诺时限（工作日）")] = 2
    bad[headers.index("实施编码")] = "000133999999-C-01"
    bad[headers.index("承诺时限（工作日）")] = 30
    bad[headers.index("办件类型")] = "快办件"
    upload = tablib.Dataset(good, bad, headers=headers)
    entries_before = AuditEntry.objects.count()

    result = ItemResource(user=admin_city).import_data(upload, dry_run=False, user=admin_city)

    assert result.has_validation_errors()
    invalid = result.invalid_rows
    assert [row.number for row in invalid] == [2]
    errors = invalid[0].error_dict
    assert any("不得超过法定时限" in message for message in errors["promised_limit"])
    assert any("快办件" in message for message in errors["handling_class"])
    item.refresh_from_db()
    assert item.promised_limit == 5
    assert not Item.objects.filter(implementation_code="000133999999-C-01").exists()
    assert AuditEntry.objects.count() == entries_before


def test_admin_import_previews_then_commits(client, bureau_city, admin_city):
    ItemFactory(department=bureau_city, name="食品经营许可")
    dataset = exported(admin_city)
    dataset[0] = tuple(3 if header == "承诺时限（工作日）" else value
                       for header, value in zip(dataset.headers, dataset[0], strict=True))
    xlsx = io.BytesIO(dataset.export("xlsx"))
    xlsx.name = "items.xlsx"
    client.force_login(admin_city)

    preview = client.post(reverse("admin:catalogue_item_import"), {"import_file": xlsx, "format": "0",
                                                                    "resource": "0"})

    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert Item.objects.get().promised_limit == 5  # the preview wrote nothing

    confirm = preview.context["confirm_form"].initial
    committed = client.post(reverse("admin:catalogue_item_process_import"), confirm)

    assert committed.status_code == 302
    assert Item.objects.get().promised_limit == 3


def test_admin_export_downloads_an_xlsx(client, bureau_city, admin_city):
    ItemFactory(department=bureau_city, name="食品经营许可")
    client.force_login(admin_city)

    response = client.post(reverse("admin:catalogue_item_export"), {"format": "0", "resource": "0",
                                                                    "itemresource_implementation_code": True,
                                                                    "itemresource_name": True})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[2]][:2] == [Item.objects.get().implementation_code, "食品经营许可"]


def test_the_sheet_stays_chinese_when_the_screen_is_english(bureau_city, admin_city):
    from django.utils import translation

    ItemFactory(department=bureau_city, name="食品经营许可")

    with translation.override("en"):
        dataset = exported(admin_city)

    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert (row["事项类型"], row["办件类型"]) == ("行政许可", "承诺件")
