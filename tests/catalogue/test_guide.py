"""The public guide: Chinese search, filters, the full guide page and form downloads."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from portal.catalogue import services
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(bureau_city, bureau_a):
    return {
        "food": ItemFactory(name="食品经营许可", department=bureau_city, publish=True, for_citizens=True),
        "food_small": ItemFactory(name="小餐饮经营许可", department=bureau_a, level="district", publish=True),
        "building": ItemFactory(name="建筑工程施工许可证核发", department=bureau_city, publish=True,
                                service_category="fixed_asset_investment"),
        "draft": ItemFactory(name="食品生产许可", department=bureau_city, publish=False),
    }


def names(response) -> list[str]:
    return [version.name for version in response.context["page"].object_list]


def test_search_matches_chinese_substrings(client, catalogue):
    response = client.get(reverse("catalogue:guide_list"), {"q": "餐饮"})

    assert names(response) == ["小餐饮经营许可"]


def test_search_with_two_terms_needs_both(client, catalogue):
    response = client.get(reverse("catalogue:guide_list"), {"q": "经营 小"})

    assert names(response) == ["小餐饮经营许可"]


def test_unpublished_drafts_are_not_in_the_guide(client, catalogue):
    response = client.get(reverse("catalogue:guide_list"), {"q": "食品"})

    assert names(response) == ["食品经营许可"]


def test_filters_by_department_category_and_audience(client, catalogue, bureau_a):
    by_department = client.get(reverse("catalogue:guide_list"), {"department": bureau_a.pk})
    by_category = client.get(reverse("catalogue:guide_list"), {"category": "fixed_asset_investment"})
    by_audience = client.get(reverse("catalogue:guide_list"), {"audience": "citizen"})

    assert names(by_department) == ["小餐饮经营许可"]
    assert names(by_category) == ["建筑工程施工许可证核发"]
    assert names(by_audience) == ["食品经营许可"]


def test_htmx_request_gets_only_the_results_fragment(client, catalogue):
    response = client.get(reverse("catalogue:guide_list"), {"q": "许可"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "<html" not in body
    assert "共 3 项" in body


def test_guide_page_shows_the_published_version_not_the_draft(client, catalogue, admin_city):
    food = catalogue["food"]
    services.update_item(food, actor=admin_city, conditions="草稿中的新条件")

    response = client.get(reverse("catalogue:guide_detail", args=[food.implementation_code]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "食品经营许可" in body
    assert "草稿中的新条件" not in body
    assert "承诺时限" in body and "5 个工作日" in body and "75%" in body


def test_unpublished_item_page_is_404(client, catalogue):
    response = client.get(reverse("catalogue:guide_detail", args=[catalogue["draft"].implementation_code]))

    assert response.status_code == 404


def test_form_template_downloads_as_an_attachment(client, bureau_city, admin_city):
    item = ItemFactory(department=bureau_city, materials=[{"name": "食品经营许可申请书"}])
    material = item.materials.get()
    material.template.save("blank.xlsx", ContentFile(b"PK\x03\x04 sheet"), save=False)
    services.save_material(material, actor=admin_city)
    services.publish_item(item, actor=admin_city)

    response = client.get(reverse("catalogue:material_file", args=[item.implementation_code, 1, "template"]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"PK\x03\x04 sheet"


def test_public_api_lists_published_items_without_sign_in(client, catalogue):
    response = client.get("/api/catalogue/items/", {"q": "许可", "limit": 50})

    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {
        "食品经营许可", "小餐饮经营许可", "建筑工程施工许可证核发",
    }


def test_public_api_detail_carries_the_full_content(client, catalogue):
    code = catalogue["food"].implementation_code

    response = client.get(f"/api/catalogue/items/{code}/")

    assert response.status_code == 200
    assert response.json()["content"]["materials"][0]["name"] == "申请书"


def test_openapi_schema_is_served(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/catalogue/items/" in response.content


def test_english_is_available(client, catalogue):
    client.cookies["django_language"] = "en"

    response = client.get(reverse("catalogue:guide_list"))

    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
