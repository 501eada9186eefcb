"""A signed-in user is kept a few seconds per process between requests; a change made through the
models (roles, deactivation, a new password) reaches the next request at once."""

import pytest
from django.urls import reverse

from portal.organisation.backends import UserBackend
from portal.organisation.choices import Role
from portal.organisation.models import User

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_roles_department_and_regions_in_one_query(clerk_district_a,
                                                                       django_assert_num_queries):
    with django_assert_num_queries(1):
        user = UserBackend().get_user(clerk_district_a.pk)
        assert Role.WINDOW_CLERK in user.role_codes
        assert user.scope_path == clerk_district_a.scope_path
    with django_assert_num_queries(0):  # then kept, each caller with its own copy
        again = UserBackend().get_user(clerk_district_a.pk)
    assert again is not user and again.pk == user.pk


def test_a_role_taken_away_is_gone_at_the_next_request(client, clerk_district_a):
    client.force_login(clerk_district_a)
    assert client.get(reverse("approvals:intake")).status_code == 200

    clerk_district_a.groups.remove(*clerk_district_a.groups.filter(name=Role.WINDOW_CLERK))

    assert client.get(reverse("approvals:intake")).status_code == 403


def test_a_deactivated_user_is_signed_out_at_the_next_request(client, clerk_district_a):
    client.force_login(clerk_district_a)
    assert client.get(reverse("approvals:intake")).status_code == 200

    user = User.objects.get(pk=clerk_district_a.pk)
    user.is_active = False
    user.save()

    response = client.get(reverse("approvals:intake"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
