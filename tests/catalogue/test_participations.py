"""Joint items (联办件): their participating departments (协办部门), validated and published."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.audit.models import AuditEntry
from portal.catalogue import services
from portal.catalogue.models import ParticipatingDepartment
from tests.factories import DepartmentFactory, ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def health_city(city):
    return DepartmentFactory(code="C-WJW", name="江州市卫生健康委员会", region=city)


@pytest.fixture
def police_city(city):
    return DepartmentFactory(code="C-GAJ", name="江州市公安局", region=city)


@pytest.fixture
def joint_item(bureau_city):
    return ItemFactory(name="企业开办一件事", department=bureau_city, handling_class="joint", statutory_limit=45,
                       promised_limit=10)


def test_a_joint_item_publishes_its_participants_and_their_limits(joint_item, health_city, police_city,
                                                                  admin_city):
    services.replace_participations(joint_item, [
        {"department": health_city, "promised_limit": 8, "duty": "卫生审查"},
        {"department": police_city, "promised_limit": 3},
    ], actor=admin_city)

    version = services.publish_item(joint_item, actor=admin_city)

    assert version.content["participating_departments"] == [
        {"department_id": health_city.pk, "department_code": "C-WJW", "department_name": "江州市卫生健康委员会",
         "duty": "卫生审查", "promised_limit": 8},
        {"department_id": police_city.pk, "department_code": "C-GAJ", "department_name": "江州市公安局",
         "duty": "", "promised_limit": 3},
    ]
    assert list(joint_item.participating_departments.order_by("code")) == [police_city, health_city]
    entry = AuditEntry.objects.get(event_type="catalogue.item.participations_replaced")
    assert entry.actor_username == "admin_city"
    assert entry.changes["participating_departments"][0] == []


def test_a_later_edit_does_not_change_the_published_terms(joint_item, health_city, police_city, admin_city):
    services.replace_participations(joint_item, [{"department": health_city, "promised_limit": 8}], actor=admin_city)
    first = services.publish_item(joint_item, actor=admin_city)

    services.replace_participations(joint_item, [{"department": police_city, "promised_limit": 2}], actor=admin_city)

    first.refresh_from_db()
    assert [p["department_code"] for p in first.content["participating_departments"]] == ["C-WJW"]
    second = services.publish_item(joint_item, actor=admin_city)
    assert (second.number, [p["department_code"] for p in second.content["participating_departments"]]) == (
        2, ["C-GAJ"])


def test_the_lead_department_cannot_also_participate(joint_item, bureau_city, admin_city):
    with pytest.raises(ValidationError) as error:
        services.replace_participations(joint_item, [{"department": bureau_city, "promised_limit": 5}],
                                        actor=admin_city)

    assert error.value.message_dict["participations"] == ["第 1 行：牵头部门（实施部门）不能同时列为协办部门。"]
    assert not ParticipatingDepartment.objects.exists()


@pytest.mark.parametrize(("limit", "message"), [
    (11, "第 1 行：协办承诺时限（11 个工作日）不得超过事项的承诺时限（10 个工作日）。"),
    (0, "第 1 行：协办承诺时限至少为 1 个工作日。"),
])
def test_a_participant_limit_lies_inside_the_item_limit(joint_item, health_city, admin_city, limit, message):
    with pytest.raises(ValidationError) as error:
        services.replace_participations(joint_item, [{"department": health_city, "promised_limit": limit}],
                                        actor=admin_city)

    assert error.value.message_dict["participations"] == [message]


def test_a_department_is_listed_once(joint_item, health_city, admin_city):
    with pytest.raises(ValidationError) as error:
        services.replace_participations(joint_item, [{"department": health_city, "promised_limit": 5},
                                                     {"department": health_city, "promised_limit": 6}],
                                        actor=admin_city)

    assert error.value.message_dict["participations"] == [
        "第 2 行：协办部门“江州市卫生健康委员会”重复列出，每个部门只能列一次。"]


def test_only_a_joint_item_has_participants(bureau_city, health_city, admin_city):
    item = ItemFactory(department=bureau_city, handling_class="commitment")

    with pytest.raises(ValidationError) as error:
        services.replace_participations(item, [{"department": health_city, "promised_limit": 2}], actor=admin_city)

    assert error.value.message_dict["participations"] == [
        "第 1 行：只有联办件可以指定协办部门，请先将办件类型设为“联办件”。"]


def test_a_joint_item_without_participants_is_not_published(joint_item, admin_city):
    with pytest.raises(ValidationError) as error:
        services.publish_item(joint_item, actor=admin_city)

    assert error.value.message_dict["participations"] == ["联办件发布前须至少指定一个协办部门及其承诺时限。"]
    assert not joint_item.versions.exists()


def test_shortening_the_item_limit_below_a_participant_blocks_publication(joint_item, health_city, admin_city):
    services.replace_participations(joint_item, [{"department": health_city, "promised_limit": 8}], actor=admin_city)
    services.update_item(joint_item, actor=admin_city, promised_limit=5)

    with pytest.raises(ValidationError) as error:
        services.publish_item(joint_item, actor=admin_city)

    assert error.value.message_dict["participations"] == [
        "协办部门“江州市卫生健康委员会”：协办承诺时限（8 个工作日）不得超过事项的承诺时限（5 个工作日）。"]


def test_a_participant_needs_an_edit_right_on_the_item(joint_item, health_city, admin_district_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.replace_participations(joint_item, [{"department": health_city, "promised_limit": 2}],
                                        actor=admin_district_a)

    assert not ParticipatingDepartment.objects.exists()


# --- The admin's inline ------------------------------------------------------------------------


def _change_form_data(response) -> dict:
    """What the browser would post back for the change page as it was rendered."""
    data = {}

    def add(form):
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def _participation_rows(data: dict, rows: list[tuple]) -> dict:
    prefix = "participations"
    data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    for index, (department, limit) in enumerate(rows):
        data.update({f"{prefix}-{index}-position": str(index + 1), f"{prefix}-{index}-department": str(department.pk),
                     f"{prefix}-{index}-duty": "", f"{prefix}-{index}-promised_limit": str(limit)})
    return data


def test_the_admin_edits_participants_inline_through_the_service(client, joint_item, health_city, police_city,
                                                                 admin_city):
    client.force_login(admin_city)
    url = reverse("admin:catalogue_item_change", args=[joint_item.pk])
    data = _participation_rows(_change_form_data(client.get(url)), [(health_city, 6), (police_city, 2)])

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(joint_item.participations.values_list("department__code", "promised_limit", "position")) == [
        ("C-WJW", 6, 1), ("C-GAJ", 2, 2)]
    assert AuditEntry.objects.filter(event_type="catalogue.item.participations_replaced",
                                     actor_username="admin_city").count() == 1


def test_the_admin_shows_a_bad_participant_row_in_chinese_and_saves_nothing(client, joint_item, bureau_city,
                                                                            admin_city):
    client.force_login(admin_city)
    url = reverse("admin:catalogue_item_change", args=[joint_item.pk])
    data = _participation_rows(_change_form_data(client.get(url)), [(bureau_city, 12)])

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][2].formset.errors[0]
    assert errors["department"] == ["牵头部门（实施部门）不能同时列为协办部门。"]
    assert errors["promised_limit"] == ["协办承诺时限（12 个工作日）不得超过事项的承诺时限（10 个工作日）。"]
    assert not ParticipatingDepartment.objects.exists()


def test_the_public_guide_names_the_participants_and_their_limits(client, joint_item, health_city, admin_city):
    services.replace_participations(joint_item, [{"department": health_city, "promised_limit": 8,
                                                  "duty": "卫生审查"}], actor=admin_city)
    version = services.publish_item(joint_item, actor=admin_city)

    page = client.get(reverse("catalogue:guide_detail", args=[version.implementation_code])).content.decode()

    assert "协办部门（并联办理）" in page
    assert "江州市卫生健康委员会（卫生审查）：8 个工作日内出具意见" in page
