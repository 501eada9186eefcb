"""Access by region and department, proven through HTML views and the API alike (issue 2)."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from portal.catalogue.models import Item

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def staff_item_codes(user) -> set[str]:
    response = api(user).get("/api/staff/items/?limit=500")
    assert response.status_code == 200
    return {row["implementation_code"] for row in response.json()["results"]}


def test_clerk_of_district_a_sees_only_district_a_items_in_the_api(clerk_district_a, item_a, item_b, item_city):
    assert staff_item_codes(clerk_district_a) == {item_a.implementation_code}


def test_clerk_of_district_a_gets_404_for_district_b_item_in_the_api(clerk_district_a, item_b):
    response = api(clerk_district_a).get(f"/api/staff/items/{item_b.pk}/")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "未找到该对象，或您无权访问。"}}


def test_district_supervisor_sees_the_district_and_below(supervisor_district_a, item_a, item_b, street_a):
    from tests.factories import DepartmentFactory, ItemFactory

    street_department = DepartmentFactory(code="A1-JD", name="滨江街道办事处", region=street_a)

    street_item = ItemFactory(department=street_department, level="street")

    assert staff_item_codes(supervisor_district_a) == {item_a.implementation_code, street_item.implementation_code}


def test_city_supervisor_sees_everything(supervisor_city, item_a, item_b, item_city):
    assert staff_item_codes(supervisor_city) == {
        item_a.implementation_code, item_b.implementation_code, item_city.implementation_code,
    }


def test_anonymous_gets_no_staff_items_in_the_api(item_a):
    response = api().get("/api/staff/items/")

    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_applicant_and_outsider_see_no_staff_items(applicant_enterprise, outsider, item_a, item_city):
    assert staff_item_codes(applicant_enterprise) == set()
    assert staff_item_codes(outsider) == set()


def test_guardian_grant_adds_one_object_outside_the_region(clerk_district_a, item_a, item_b):
    assign_perm("view_item", clerk_district_a, item_b)

    assert staff_item_codes(clerk_district_a) == {item_a.implementation_code, item_b.implementation_code}
    assert api(clerk_district_a).get(f"/api/staff/items/{item_b.pk}/").status_code == 200


def test_html_detail_of_another_district_answers_404(client, clerk_district_a, item_a, item_b):
    client.force_login(clerk_district_a)

    own = client.get(reverse("catalogue:staff_item_detail", args=[item_a.pk]))
    other = client.get(reverse("catalogue:staff_item_detail", args=[item_b.pk]))

    assert own.status_code == 200
    assert other.status_code == 404


def test_html_list_shows_only_the_scope(client, clerk_district_a, item_a, item_b):
    client.force_login(clerk_district_a)

    response = client.get(reverse("catalogue:staff_item_list"))

    assert response.status_code == 200
    assert item_a.name in response.content.decode()
    assert item_b.name not in response.content.decode()


def test_html_staff_pages_send_anonymous_visitors_to_login(client, item_a):
    response = client.get(reverse("catalogue:staff_item_detail", args=[item_a.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_departments_api_is_scoped(clerk_district_a, bureau_a, market_a, bureau_b, bureau_city):
    response = api(clerk_district_a).get("/api/organisation/departments/")

    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == {"A-SPJ", "A-SCJ"}


def test_admin_changelist_of_district_admin_is_scoped(client, admin_district_a, item_a, item_b):
    client.force_login(admin_district_a)

    listing = client.get(reverse("admin:catalogue_item_changelist"))
    other = client.get(reverse("admin:catalogue_item_change", args=[item_b.pk]))

    assert listing.status_code == 200
    assert item_a.name in listing.content.decode()
    assert item_b.name not in listing.content.decode()
    assert other.status_code == 302  # the admin redirects a missing object to its index, with a message
    assert Item.objects.get(pk=item_b.pk).name == item_b.name


def test_staff_item_list_endpoint_query_count_is_flat(django_assert_max_num_queries, supervisor_city, bureau_city):
    from tests.factories import ItemFactory

    for _ in range(15):
        ItemFactory(department=bureau_city, publish=True)
    client = api(supervisor_city)

    with django_assert_max_num_queries(6):
        response = client.get("/api/staff/items/?limit=100")

    assert response.status_code == 200
    assert response.json()["count"] == 15
