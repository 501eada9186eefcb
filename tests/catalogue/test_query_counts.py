"""List pages and endpoints keep a flat number of queries however many items there are."""

import pytest
from django.urls import reverse

from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_items(bureau_city, bureau_a):
    for index in range(25):
        ItemFactory(department=bureau_city if index % 2 else bureau_a, publish=True)


def test_guide_list_page(client, many_items, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("catalogue:guide_list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 20


def test_home_page(client, many_items, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert response.context["item_count"] == 25


def test_public_item_list_endpoint(client, many_items, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/api/catalogue/items/?limit=100")

    assert response.json()["count"] == 25


def test_staff_item_list_page(client, many_items, supervisor_city, django_assert_max_num_queries):
    client.force_login(supervisor_city)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("catalogue:staff_item_list"))

    assert response.status_code == 200
    assert len(response.context["object_list"]) == 25
